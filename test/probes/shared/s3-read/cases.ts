// Bucket policy + Block Public Access cases for anonymous readers, each with the outcome AWS's documentation gives
// (the `source` names it). bucket-eval.test.ts holds the bucket probe's evaluator to these outcomes;
// bucket-eval-lab.test.ts applies every case to a real lab bucket and holds the lab's anonymous GET to the evaluator.
import { readFileSync } from 'node:fs';
import type { PublicAccessBlockSettings, ReadVerdict, Reader } from '../../../../probes/shared/s3-read/eval.ts';

export const DISCOVERY = '.well-known/openid-configuration';
export const JWKS = 'keys.json';
export const KEYS = [DISCOVERY, JWKS] as const;
export type Key = (typeof KEYS)[number];

export type AnonymousReader = Extract<Reader, { kind: 'anonymous' }>;

/** STS as the internet sees it: TLS, no VPC endpoint, a public address that is not yours (TEST-NET-2). */
export const INTERNET: AnonymousReader = { kind: 'anonymous', sourceIp: '198.51.100.7' };
/**
 * The reader the bucket probe really uses: STS from an unknown public (IPv4) address. The lab sees a plain GET from
 * loopback, which it treats as an internet caller; no CIDR in these cases but 0.0.0.0/0 holds 127.0.0.1.
 */
export const UNKNOWN: AnonymousReader = { kind: 'anonymous' };
/** A caller inside the VPC, through its S3 gateway endpoint (no aws:SourceIp then). */
export const VPCE: AnonymousReader = { kind: 'anonymous', sourceVpce: 'vpce-1a2b3c4d', sourceVpc: 'vpc-111bbb22' };
export const OTHER_VPCE: AnonymousReader = {
  kind: 'anonymous',
  sourceVpce: 'vpce-9z8y7x6w',
  sourceVpc: 'vpc-999zzz99',
};
/** The first endpoint in the other VPC. */
export const VPCE_OTHER_VPC: AnonymousReader = {
  kind: 'anonymous',
  sourceVpce: 'vpce-1a2b3c4d',
  sourceVpc: 'vpc-999zzz99',
};
/** A caller from the corporate range 203.0.113.0/24 (TEST-NET-3). */
export const CORP: AnonymousReader = { kind: 'anonymous', sourceIp: '203.0.113.9' };
export const PRIVATE_NET: AnonymousReader = { kind: 'anonymous', sourceIp: '10.1.2.3' };

export interface Outcome {
  reason: ReadVerdict['reason'];
  sid?: string;
  level?: 'bucket' | 'account';
}
export const allowed = (sid: string): Outcome => ({ reason: 'allowed-by-policy', sid });
export const denied = (sid: string): Outcome => ({ reason: 'explicit-deny', sid });
export const blocked = (level: 'bucket' | 'account', sid: string): Outcome => ({
  reason: 'public-access-blocked',
  sid,
  level,
});
export const NO_GRANT: Outcome = { reason: 'no-grant' };

export interface Read {
  reader: AnonymousReader;
  /** Both documents unless one is named. */
  key?: Key;
  expect: Outcome;
}

export interface Where {
  bucket: string;
  account: string;
}

export interface ReadCase {
  name: string;
  /** The documentation the expected outcomes rest on. */
  source: string;
  policy?: (w: Where) => Record<string, unknown>;
  /** GetBucketPolicyStatus IsPublic per S3 UG "The meaning of public" (docs/aws-facts.md 4.1). */
  isPublic?: boolean;
  bucketBlock?: PublicAccessBlockSettings;
  accountBlock?: PublicAccessBlockSettings;
  reads: Read[];
}

const FIXTURE = readFileSync(
  new URL('../../../fixtures/ccoctl-bucket-policy-public-read.json', import.meta.url),
  'utf8',
);

/** ccoctl's public-read policy (docs/aws-facts.md 5), for this bucket. */
export const ccoctlPublicRead = (w: Where): Record<string, unknown> =>
  JSON.parse(FIXTURE.replaceAll('mycluster-oidc', w.bucket)) as Record<string, unknown>;

type Statement = Record<string, unknown>;
const objects = (w: Where): string => `arn:aws:s3:::${w.bucket}/*`;
const policy = (...statements: ((w: Where) => Statement)[]) => {
  return (w: Where): Record<string, unknown> => ({ Version: '2012-10-17', Statement: statements.map((s) => s(w)) });
};
const PUBLIC_READ = (w: Where): Statement => ({
  Sid: 'AllowReadPublicAccess',
  Effect: 'Allow',
  Principal: '*',
  Action: ['s3:GetObject'],
  Resource: [objects(w)],
});
const allowIf =
  (sid: string, condition: Record<string, unknown>) =>
  (w: Where): Statement => ({ ...PUBLIC_READ(w), Sid: sid, Condition: condition });
// The conditional denies name s3:GetObject on the objects only: a `Deny s3:*` to "*" outside an endpoint would also
// deny the bucket owner's own management calls that follow (as it does in AWS).
const denyIf =
  (sid: string, condition: Record<string, unknown>, action: unknown = 's3:GetObject') =>
  (w: Where): Statement => ({
    Sid: sid,
    Effect: 'Deny',
    Principal: '*',
    Action: action,
    Resource: action === 's3:GetObject' ? objects(w) : [`arn:aws:s3:::${w.bucket}`, objects(w)],
    Condition: condition,
  });

const ALL_ON: PublicAccessBlockSettings = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};
const CCOCTL_BPA: PublicAccessBlockSettings = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
};
const RPB: PublicAccessBlockSettings = { RestrictPublicBuckets: true };

const S3_MEANING = 'S3 UG Blocking public access: The meaning of public / RestrictPublicBuckets';
const MISSING_KEY = 'IAM UG condition operators: missing key (docs/aws-facts.md 4.2b)';
const A = 'AllowReadPublicAccess';

export const CASES: ReadCase[] = [
  {
    name: "ccoctl's public-read policy, no Block Public Access",
    source: 'docs/aws-facts.md 5 (ccoctl) and 4.1: Principal "*" is public',
    policy: ccoctlPublicRead,
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: allowed(A) },
      { reader: INTERNET, expect: allowed(A) },
      { reader: VPCE, expect: allowed(A) },
    ],
  },
  {
    name: "ccoctl's public-read policy with ccoctl's BlockPublicAcls + IgnorePublicAcls",
    source: 'docs/aws-facts.md 4.3: ACL settings do not touch policies',
    policy: ccoctlPublicRead,
    isPublic: true,
    bucketBlock: CCOCTL_BPA,
    reads: [{ reader: INTERNET, expect: allowed(A) }],
  },
  {
    name: 'BlockPublicAcls alone does not block a policy',
    source: 'S3 UG BPA settings: BlockPublicAcls only rejects PUTs with public ACLs',
    policy: ccoctlPublicRead,
    isPublic: true,
    bucketBlock: { BlockPublicAcls: true },
    reads: [{ reader: INTERNET, expect: allowed(A) }],
  },
  {
    name: 'BlockPublicPolicy leaves an existing public policy in force',
    source: 'S3 UG BPA settings: "Enabling this setting doesn\'t affect existing ... bucket policies"',
    policy: ccoctlPublicRead,
    isPublic: true,
    bucketBlock: { BlockPublicPolicy: true },
    reads: [{ reader: INTERNET, expect: allowed(A) }],
  },
  {
    name: 'all four Block Public Access settings on the bucket',
    source: S3_MEANING,
    policy: ccoctlPublicRead,
    isPublic: true,
    bucketBlock: ALL_ON,
    reads: [
      { reader: UNKNOWN, expect: blocked('bucket', A) },
      { reader: INTERNET, expect: blocked('bucket', A) },
      { reader: VPCE, expect: blocked('bucket', A) },
    ],
  },
  {
    name: 'RestrictPublicBuckets on the account only',
    source: `${S3_MEANING}; most restrictive of bucket and account`,
    policy: ccoctlPublicRead,
    isPublic: true,
    bucketBlock: CCOCTL_BPA,
    accountBlock: RPB,
    reads: [
      { reader: UNKNOWN, expect: blocked('account', A) },
      { reader: INTERNET, expect: blocked('account', A) },
    ],
  },
  {
    name: 'RestrictPublicBuckets on bucket and account names the bucket',
    source: S3_MEANING,
    policy: ccoctlPublicRead,
    isPublic: true,
    bucketBlock: RPB,
    accountBlock: ALL_ON,
    reads: [{ reader: INTERNET, expect: blocked('bucket', A) }],
  },
  {
    name: 'public read + Deny unless aws:SourceVpce (StringNotEquals)',
    source: `${MISSING_KEY}: negated operator with the key absent is true`,
    policy: policy(PUBLIC_READ, denyIf('DenyOutsideVpce', { StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: denied('DenyOutsideVpce') },
      { reader: INTERNET, expect: denied('DenyOutsideVpce') },
      { reader: VPCE, expect: allowed(A) },
      { reader: OTHER_VPCE, expect: denied('DenyOutsideVpce') },
    ],
  },
  {
    name: 'public read + Deny unless aws:SourceVpc',
    source: MISSING_KEY,
    policy: policy(PUBLIC_READ, denyIf('DenyOutsideVpc', { StringNotEquals: { 'aws:SourceVpc': 'vpc-111bbb22' } })),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: denied('DenyOutsideVpc') },
      { reader: INTERNET, expect: denied('DenyOutsideVpc') },
      { reader: VPCE, expect: allowed(A) },
    ],
  },
  {
    name: 'Allow only through aws:SourceVpce',
    source: `${MISSING_KEY}: positive operator with the key absent is false`,
    policy: policy(allowIf('AllowVpce', { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
    isPublic: false,
    reads: [
      { reader: UNKNOWN, expect: NO_GRANT },
      { reader: INTERNET, expect: NO_GRANT },
      { reader: VPCE, expect: allowed('AllowVpce') },
      { reader: OTHER_VPCE, expect: NO_GRANT },
    ],
  },
  {
    name: 'Allow only through aws:SourceVpce is non-public, so RestrictPublicBuckets leaves it alone',
    source: `${S3_MEANING}: "RestrictPublicBuckets only applies to buckets that have public policies"`,
    policy: policy(allowIf('AllowVpce', { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
    isPublic: false,
    bucketBlock: ALL_ON,
    reads: [
      { reader: VPCE, expect: allowed('AllowVpce') },
      { reader: INTERNET, expect: NO_GRANT },
    ],
  },
  {
    name: 'StringLike aws:SourceVpc vpc-* is public, so RestrictPublicBuckets voids it',
    source: `${S3_MEANING} (its example)`,
    policy: policy(allowIf('AllowAnyVpc', { StringLike: { 'aws:SourceVpc': 'vpc-*' } })),
    isPublic: true,
    bucketBlock: RPB,
    reads: [
      { reader: VPCE, expect: blocked('bucket', 'AllowAnyVpc') },
      { reader: INTERNET, expect: NO_GRANT },
    ],
  },
  {
    name: 'IpAddress allow on a narrow CIDR',
    source: 'IAM UG condition operators: IpAddress',
    policy: policy(allowIf('AllowCorp', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } })),
    isPublic: false,
    reads: [
      { reader: UNKNOWN, expect: NO_GRANT },
      { reader: INTERNET, expect: NO_GRANT },
      { reader: CORP, expect: allowed('AllowCorp') },
      { reader: VPCE, expect: NO_GRANT },
    ],
  },
  {
    name: 'public read + NotIpAddress Deny outside the corporate CIDR',
    source: 'IAM UG condition operators: NotIpAddress',
    policy: policy(PUBLIC_READ, denyIf('DenyOutsideCorp', { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } })),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: denied('DenyOutsideCorp') },
      { reader: INTERNET, expect: denied('DenyOutsideCorp') },
      { reader: CORP, expect: allowed(A) },
      // No aws:SourceIp through a VPC endpoint: a negated operator with the key absent is true.
      { reader: VPCE, expect: denied('DenyOutsideCorp') },
    ],
  },
  {
    name: 'aws:SourceIp 0.0.0.0/0 allows the internet but not a VPC endpoint caller',
    source: 'IAM UG: aws:SourceIp is absent when the requester uses a VPC endpoint',
    policy: policy(allowIf('AllowAnyIp', { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } })),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: allowed('AllowAnyIp') },
      { reader: INTERNET, expect: allowed('AllowAnyIp') },
      { reader: VPCE, expect: NO_GRANT },
    ],
  },
  {
    name: 'aws:SourceIp ::/0 holds no IPv4 address, the unknown one included',
    source:
      'S3 UG Making requests over IPv6 (only dual-stack endpoints take IPv6; ccoctl issuers are standard endpoints); ' +
      'IAM UG aws:SourceIp (IPv4 and IPv6 ranges are listed apart)',
    policy: policy(allowIf('AllowAnyIpv6', { IpAddress: { 'aws:SourceIp': '::/0' } })),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: NO_GRANT },
      { reader: INTERNET, expect: NO_GRANT },
    ],
  },
  {
    name: 'aws:SourceIp 0.0.0.0/0 is public: RestrictPublicBuckets voids it',
    source: `${S3_MEANING}: SourceIp broader than /8 is public`,
    policy: policy(allowIf('AllowAnyIp', { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } })),
    isPublic: true,
    accountBlock: RPB,
    reads: [
      { reader: UNKNOWN, expect: blocked('account', 'AllowAnyIp') },
      { reader: INTERNET, expect: blocked('account', 'AllowAnyIp') },
    ],
  },
  {
    name: 'aws:SourceIp 10.0.0.0/8 is non-public: RestrictPublicBuckets leaves it alone',
    source: `${S3_MEANING}: a /8 is not broader than /8`,
    policy: policy(allowIf('AllowPrivateNet', { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })),
    isPublic: false,
    bucketBlock: ALL_ON,
    reads: [
      { reader: UNKNOWN, expect: NO_GRANT },
      { reader: PRIVATE_NET, expect: allowed('AllowPrivateNet') },
      { reader: INTERNET, expect: NO_GRANT },
    ],
  },
  {
    name: 'aws:SourceIp 198.0.0.0/7 is broader than /8: public, voided by RestrictPublicBuckets',
    source: `${S3_MEANING}: "values broader than /8 for IPv4"`,
    policy: policy(allowIf('AllowSlash7', { IpAddress: { 'aws:SourceIp': '198.0.0.0/7' } })),
    isPublic: true,
    bucketBlock: RPB,
    reads: [{ reader: INTERNET, expect: blocked('bucket', 'AllowSlash7') }],
  },
  {
    name: 'aws:SourceIp 198.0.0.0/8 is not broader than /8: non-public, RestrictPublicBuckets leaves it alone',
    source: `${S3_MEANING}: "values broader than /8 for IPv4"`,
    policy: policy(allowIf('AllowSlash8', { IpAddress: { 'aws:SourceIp': '198.0.0.0/8' } })),
    isPublic: false,
    bucketBlock: RPB,
    reads: [
      { reader: UNKNOWN, expect: NO_GRANT },
      { reader: INTERNET, expect: allowed('AllowSlash8') },
      { reader: CORP, expect: NO_GRANT },
    ],
  },
  {
    name: 'public read + Deny when aws:SecureTransport is false',
    source: 'IAM UG condition operators: Bool aws:SecureTransport (always present)',
    policy: policy(PUBLIC_READ, denyIf('DenyPlainHttp', { Bool: { 'aws:SecureTransport': 'false' } }, 's3:*')),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: allowed(A) },
      { reader: INTERNET, expect: allowed(A) },
    ],
  },
  {
    name: 'public read + Deny to everyone but the owner account (NotPrincipal)',
    source: 'IAM UG NotPrincipal with Deny',
    policy: policy(PUBLIC_READ, (w) => ({
      Sid: 'DenyAllButOwner',
      Effect: 'Deny',
      NotPrincipal: { AWS: `arn:aws:iam::${w.account}:root` },
      Action: 's3:*',
      Resource: objects(w),
    })),
    isPublic: true,
    reads: [{ reader: INTERNET, expect: denied('DenyAllButOwner') }],
  },
  {
    name: 'Allow with NotAction s3:Delete* covers s3:GetObject',
    source: 'IAM UG NotAction',
    policy: policy((w) => ({
      Sid: 'AllButDelete',
      Effect: 'Allow',
      Principal: '*',
      NotAction: 's3:Delete*',
      Resource: objects(w),
    })),
    isPublic: true,
    reads: [{ reader: INTERNET, expect: allowed('AllButDelete') }],
  },
  {
    name: 'public read + Deny NotAction s3:GetObject leaves reads alone',
    source: 'IAM UG NotAction with Deny',
    policy: policy(PUBLIC_READ, (w) => ({
      Sid: 'DenyAllButGet',
      Effect: 'Deny',
      Principal: '*',
      NotAction: ['s3:GetObject'],
      Resource: objects(w),
    })),
    isPublic: true,
    reads: [{ reader: INTERNET, expect: allowed(A) }],
  },
  {
    name: 'public read + Deny StringNotEqualsIfExists aws:SourceVpce',
    source:
      'IAM UG ...IfExists: "with Deny ... StringNotEqualsIfExists, the request is still denied even if the key is missing"',
    policy: policy(
      PUBLIC_READ,
      denyIf('DenyOutsideVpceIfExists', { StringNotEqualsIfExists: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: denied('DenyOutsideVpceIfExists') },
      { reader: INTERNET, expect: denied('DenyOutsideVpceIfExists') },
      { reader: VPCE, expect: allowed(A) },
    ],
  },
  {
    name: 'Allow with StringEqualsIfExists aws:SourceVpce admits callers without the key',
    source: 'IAM UG ...IfExists: key absent, the condition is true',
    policy: policy(allowIf('AllowVpceIfExists', { StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: allowed('AllowVpceIfExists') },
      { reader: INTERNET, expect: allowed('AllowVpceIfExists') },
      { reader: VPCE, expect: allowed('AllowVpceIfExists') },
      { reader: OTHER_VPCE, expect: NO_GRANT },
    ],
  },
  {
    name: 'public read + Deny when aws:SourceVpce is Null',
    source: 'IAM UG condition operators: Null "true" (the key does not exist)',
    policy: policy(PUBLIC_READ, denyIf('DenyWithoutVpce', { Null: { 'aws:SourceVpce': 'true' } })),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: denied('DenyWithoutVpce') },
      { reader: INTERNET, expect: denied('DenyWithoutVpce') },
      { reader: VPCE, expect: allowed(A) },
    ],
  },
  {
    name: 'Action s3:Get* wildcard',
    source: 'IAM UG Action: wildcards',
    policy: policy((w) => ({ ...PUBLIC_READ(w), Sid: 'GetStar', Action: 's3:Get*' })),
    isPublic: true,
    reads: [{ reader: INTERNET, expect: allowed('GetStar') }],
  },
  {
    // Not Resource "*": S3 refuses it in a bucket policy, MalformedPolicy "Policy has invalid resource" (observed,
    // noobaa/noobaa-core#10058); bucket-eval.test.ts checks that "*" matches.
    name: 'Action "*" with Principal {"AWS": "*"}',
    source: 'IAM UG Action: "*"; Principal: {"AWS": "*"} is "*"',
    policy: policy((w) => ({
      Sid: 'Everything',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: '*',
      Resource: objects(w),
    })),
    isPublic: true,
    reads: [{ reader: INTERNET, expect: allowed('Everything') }],
  },
  {
    name: 'action names are case-insensitive',
    source: 'IAM UG Action: "action names are not case-sensitive"',
    policy: policy((w) => ({ ...PUBLIC_READ(w), Sid: 'LowerCase', Action: 'S3:getobject' })),
    isPublic: true,
    reads: [{ reader: INTERNET, expect: allowed('LowerCase') }],
  },
  {
    name: 'Resource with ? matches one character',
    source: 'IAM UG Resource: ? is any single character',
    policy: policy((w) => ({ ...PUBLIC_READ(w), Sid: 'KeysOnly', Resource: `arn:aws:s3:::${w.bucket}/keys.jso?` })),
    isPublic: true,
    reads: [
      { reader: INTERNET, key: JWKS, expect: allowed('KeysOnly') },
      { reader: INTERNET, key: DISCOVERY, expect: NO_GRANT },
    ],
  },
  {
    name: 'Resource with a prefix and *',
    source: 'IAM UG Resource: * is any combination of characters',
    policy: policy((w) => ({
      ...PUBLIC_READ(w),
      Sid: 'WellKnownOnly',
      Resource: `arn:aws:s3:::${w.bucket}/.well-known/*`,
    })),
    isPublic: true,
    reads: [
      { reader: INTERNET, key: DISCOVERY, expect: allowed('WellKnownOnly') },
      { reader: INTERNET, key: JWKS, expect: NO_GRANT },
    ],
  },
  {
    name: 'Resource ARNs are case-sensitive',
    source: 'IAM UG identifiers: ARN resource parts are case-sensitive',
    policy: policy((w) => ({ ...PUBLIC_READ(w), Sid: 'UpperKeys', Resource: `arn:aws:s3:::${w.bucket}/KEYS.json` })),
    isPublic: true,
    reads: [{ reader: INTERNET, key: JWKS, expect: NO_GRANT }],
  },
  {
    name: 'public read + Deny on keys.json only',
    source: 'IAM UG policy evaluation: an explicit deny wins',
    policy: policy(PUBLIC_READ, (w) => ({
      Sid: 'DenyJwks',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${w.bucket}/keys.json`,
    })),
    isPublic: true,
    reads: [
      { reader: INTERNET, key: JWKS, expect: denied('DenyJwks') },
      { reader: INTERNET, key: DISCOVERY, expect: allowed(A) },
    ],
  },
  {
    name: 'public read + Deny NotResource the discovery document',
    source: 'IAM UG NotResource',
    policy: policy(PUBLIC_READ, (w) => ({
      Sid: 'DenyAllButDiscovery',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:GetObject',
      NotResource: `arn:aws:s3:::${w.bucket}/.well-known/openid-configuration`,
    })),
    isPublic: true,
    reads: [
      { reader: INTERNET, key: DISCOVERY, expect: allowed(A) },
      { reader: INTERNET, key: JWKS, expect: denied('DenyAllButDiscovery') },
    ],
  },
  {
    name: 'public read + Deny ArnNotLike aws:SourceArn denies callers without a source ARN',
    source: MISSING_KEY,
    policy: policy(
      PUBLIC_READ,
      denyIf('DenyNotCloudFront', { ArnNotLike: { 'aws:SourceArn': 'arn:aws:cloudfront::*:distribution/*' } }),
    ),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: denied('DenyNotCloudFront') },
      { reader: INTERNET, expect: denied('DenyNotCloudFront') },
    ],
  },
  {
    name: 'public read + Deny StringNotEqualsIgnoreCase aws:SourceVpce',
    source: 'IAM UG condition operators: StringNotEqualsIgnoreCase',
    policy: policy(
      PUBLIC_READ,
      denyIf('DenyOutsideVpceAnyCase', { StringNotEqualsIgnoreCase: { 'aws:SourceVpce': 'VPCE-1A2B3C4D' } }),
    ),
    isPublic: true,
    reads: [
      { reader: VPCE, expect: allowed(A) },
      { reader: INTERNET, expect: denied('DenyOutsideVpceAnyCase') },
    ],
  },
  {
    name: 'public read + Deny StringNotLike aws:SourceVpce vpce-1a2b*',
    source: 'IAM UG condition operators: StringNotLike',
    policy: policy(PUBLIC_READ, denyIf('DenyOtherVpce', { StringNotLike: { 'aws:SourceVpce': 'vpce-1a2b*' } })),
    isPublic: true,
    reads: [
      { reader: VPCE, expect: allowed(A) },
      { reader: OTHER_VPCE, expect: denied('DenyOtherVpce') },
    ],
  },
  {
    name: 'StringNotEquals with two values is NOR: either endpoint passes',
    source: 'IAM UG condition: OR across values, negated operators match none of them',
    policy: policy(
      PUBLIC_READ,
      denyIf('DenyOutsideVpces', { StringNotEquals: { 'aws:SourceVpce': ['vpce-9z8y7x6w', 'vpce-1a2b3c4d'] } }),
    ),
    isPublic: true,
    reads: [
      { reader: VPCE, expect: allowed(A) },
      { reader: OTHER_VPCE, expect: allowed(A) },
      { reader: INTERNET, expect: denied('DenyOutsideVpces') },
    ],
  },
  {
    name: 'two keys in one condition are ANDed',
    source: 'IAM UG condition: AND across keys',
    policy: policy(
      allowIf('AllowVpceAndVpc', {
        StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d', 'aws:SourceVpc': 'vpc-999zzz99' },
      }),
    ),
    isPublic: false,
    reads: [
      { reader: VPCE_OTHER_VPC, expect: allowed('AllowVpceAndVpc') },
      { reader: VPCE, expect: NO_GRANT },
      { reader: OTHER_VPCE, expect: NO_GRANT },
    ],
  },
  {
    name: 'ForAnyValue:StringEquals aws:SourceVpce is false without the key',
    source: 'IAM UG multi-value conditions: ForAnyValue with no request values is false',
    policy: policy(allowIf('AllowAnyValue', { 'ForAnyValue:StringEquals': { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
    isPublic: false,
    reads: [
      { reader: UNKNOWN, expect: NO_GRANT },
      { reader: INTERNET, expect: NO_GRANT },
      { reader: VPCE, expect: allowed('AllowAnyValue') },
    ],
  },
  {
    // The disagreement issue 9 names (the lab said Allow): found by differential.test.ts, pinned in pinned.test.ts.
    name: 'ForAnyValue:StringEqualsIfExists aws:SourceVpce is false without the key, IfExists or not',
    source:
      're:Post "ForAnyValue:StringEqualsIfExists behaving unexpectedly" (AWS did not allow); IAM UG multivalued context ' +
      'keys: ForAnyValue with no matching context key "returns false"',
    policy: policy(
      allowIf('AllowAnyValueIfExists', { 'ForAnyValue:StringEqualsIfExists': { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: NO_GRANT },
      { reader: INTERNET, expect: NO_GRANT },
      { reader: VPCE, expect: allowed('AllowAnyValueIfExists') },
      { reader: OTHER_VPCE, expect: NO_GRANT },
    ],
  },
  {
    name: 'ForAllValues:StringEquals aws:SourceVpce is true without the key',
    source: 'IAM UG multi-value conditions: ForAllValues "also returns true if there are no context keys"',
    policy: policy(allowIf('AllowAllValues', { 'ForAllValues:StringEquals': { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
    isPublic: true,
    reads: [
      { reader: UNKNOWN, expect: allowed('AllowAllValues') },
      { reader: INTERNET, expect: allowed('AllowAllValues') },
      { reader: OTHER_VPCE, expect: NO_GRANT },
    ],
  },
  {
    name: 'Deny unless aws:SourceVpce with RestrictPublicBuckets: the deny is named first',
    source: 'IAM UG policy evaluation (explicit deny) + S3 UG: one public statement makes the policy public',
    policy: policy(PUBLIC_READ, denyIf('DenyOutsideVpce', { StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
    isPublic: true,
    bucketBlock: RPB,
    reads: [
      { reader: INTERNET, expect: denied('DenyOutsideVpce') },
      { reader: VPCE, expect: blocked('bucket', A) },
    ],
  },
  {
    name: 'an Allow to the owner account only grants nothing to anonymous callers',
    source: 'IAM UG Principal: an account principal delegates to that account',
    policy: policy((w) => ({
      ...PUBLIC_READ(w),
      Sid: 'OwnerOnly',
      Principal: { AWS: `arn:aws:iam::${w.account}:root` },
    })),
    isPublic: false,
    bucketBlock: ALL_ON,
    reads: [{ reader: INTERNET, expect: NO_GRANT }],
  },
  {
    name: 'no bucket policy',
    source: 'IAM UG policy evaluation: default deny',
    reads: [
      { reader: UNKNOWN, expect: NO_GRANT },
      { reader: INTERNET, expect: NO_GRANT },
    ],
  },
  {
    name: 'no bucket policy, all Block Public Access on',
    source: 'IAM UG policy evaluation: default deny',
    bucketBlock: ALL_ON,
    accountBlock: ALL_ON,
    reads: [{ reader: VPCE, expect: NO_GRANT }],
  },
];

/** Every (case, read, key) triple, for test tables. */
export function expandReads(c: ReadCase): { reader: AnonymousReader; key: Key; expect: Outcome }[] {
  return c.reads.flatMap((r) =>
    (r.key ? [r.key] : [...KEYS]).map((key) => ({ reader: r.reader, key, expect: r.expect })),
  );
}

/** `internet 198.51.100.7`, `vpce-1a2b3c4d`, ... for test names. */
export const readerName = (r: AnonymousReader): string =>
  (r.sourceVpce
    ? `${r.sourceVpce} in ${r.sourceVpc ?? 'no vpc'}`
    : r.sourceIp
      ? `ip ${r.sourceIp}`
      : 'unknown address') + (r.secureTransport === false ? ' over http' : '');
