// fast-check generators for the differential test of the two readings of S3's access rules (differential.test.ts):
// bucket policies, Block Public Access and ACL grants over the dimensions that decide an anonymous s3:GetObject of the
// two issuer documents, and the readers that ask. Every value is drawn from small pools on purpose: a pool value that
// one reading matches and the other does not is what the test is for, and small pools make shrunk counterexamples
// short. The pools never contain a CIDR other than a /0 that holds 127.0.0.1, the address the lab sees for a plain GET
// from loopback, which stands for the probe's "unknown public address" (eval-request.ts).
import fc from 'fast-check';
import type { AclGrant, PublicAccessBlockSettings, Reader } from '../../../../probes/shared/s3-read/eval.ts';

export const ACCOUNT = '111122223333';
export const CLUSTER = 'diff';
export const BUCKET = `${CLUSTER}-oidc`;
/** S3 refuses a policy naming another bucket ("Policy has invalid resource"): generated rarely, counted as refused. */
export const OTHER_BUCKET = 'other-oidc';
export const REGION = 'us-east-1';
export const PREFIXES = ['', 'cluster/'] as const;
export const DOCUMENTS = ['.well-known/openid-configuration', 'keys.json'] as const;

export type Json = string | number | boolean | Json[] | { [k: string]: Json };
export type Statement = Record<string, Json>;

export interface DiffCase {
  /** The issuer's key prefix in the bucket ('' for ccoctl's bucket-root issuer). */
  prefix: (typeof PREFIXES)[number];
  policy: { Version?: string; Id?: string; Statement: Statement[] };
  /** Four settings, as S3 stores them; undefined = no configuration at that level. */
  bucketBlock?: Required<PublicAccessBlockSettings>;
  accountBlock?: Required<PublicAccessBlockSettings>;
  /**
   * Bucket ACL grants, for the probe only: the lab's buckets are BucketOwnerEnforced (ACLs disabled, docs/aws-facts.md 4.3)
   * and a bucket ACL never grants s3:GetObject (eval-messages.ts aclNote), so they must not change a verdict.
   */
  aclGrants: AclGrant[];
}

// ---- readers -------------------------------------------------------------------------------------------------------

export interface DiffReader {
  name: string;
  /** The probe's reader. */
  probe: Extract<Reader, { kind: 'anonymous' }>;
  /** What the lab sees: its lab-only headers, or (no header) the loopback address of a plain GET. */
  lab: { sourceIp?: string; sourceVpce?: string; sourceVpc?: string };
}

export const READERS: DiffReader[] = [
  // The reader the bucket probe really uses: STS from the internet, an unknown public address, TLS.
  { name: 'internet (unknown address)', probe: { kind: 'anonymous' }, lab: {} },
  {
    name: 'vpce-1a2b3c4d in vpc-111bbb22',
    probe: { kind: 'anonymous', sourceVpce: 'vpce-1a2b3c4d', sourceVpc: 'vpc-111bbb22' },
    lab: { sourceVpce: 'vpce-1a2b3c4d', sourceVpc: 'vpc-111bbb22' },
  },
  {
    name: 'vpce-9z8y7x6w',
    probe: { kind: 'anonymous', sourceVpce: 'vpce-9z8y7x6w' },
    lab: { sourceVpce: 'vpce-9z8y7x6w' },
  },
  { name: 'ip 203.0.113.9', probe: { kind: 'anonymous', sourceIp: '203.0.113.9' }, lab: { sourceIp: '203.0.113.9' } },
  { name: 'ip 10.1.2.3', probe: { kind: 'anonymous', sourceIp: '10.1.2.3' }, lab: { sourceIp: '10.1.2.3' } },
  { name: 'ip 2001:db8::7', probe: { kind: 'anonymous', sourceIp: '2001:db8::7' }, lab: { sourceIp: '2001:db8::7' } },
];

// ---- principals, actions, resources ----------------------------------------------------------------------------------

const OAI = 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL';
const principal: fc.Arbitrary<Json> = fc.constantFrom<Json>(
  '*',
  '*',
  '*',
  { AWS: '*' },
  { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  { AWS: ACCOUNT },
  { AWS: `arn:aws:iam::${ACCOUNT}:role/reader` },
  { AWS: ['arn:aws:iam::444455556666:root', '*'] },
  { AWS: OAI },
  { Service: 'cloudfront.amazonaws.com' },
  { Federated: 'graph.facebook.com' },
  { CanonicalUser: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' },
);
/** NotPrincipal never takes "*" here: "everyone except everyone" is no statement anyone writes. */
const notPrincipal: fc.Arbitrary<Json> = fc.constantFrom<Json>(
  { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  { AWS: `arn:aws:iam::${ACCOUNT}:role/reader` },
  { AWS: OAI },
  { Service: 'cloudfront.amazonaws.com' },
);

const ACTIONS = [
  's3:GetObject',
  's3:Get*',
  's3:*',
  '*',
  's3:ListBucket',
  's3:GetObjectVersion',
  's3:PutObject',
  'S3:getobject',
  's3:Get?bject',
  's3:*Object',
  's3:Delete*',
];

const oneOrMany = <T extends Json>(arb: fc.Arbitrary<T[]>): fc.Arbitrary<Json> =>
  arb.map((list) => (list.length === 1 ? list[0]! : list));

function resources(prefix: string): fc.Arbitrary<string> {
  const obj = (key: string) => `arn:aws:s3:::${BUCKET}/${key}`;
  return fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom(obj('*'), obj('*'), `arn:aws:s3:::${BUCKET}`) },
    {
      weight: 30,
      arbitrary: fc.constantFrom(
        obj(`${prefix}.well-known/openid-configuration`),
        obj(`${prefix}keys.json`),
        obj(`${prefix}.well-known/*`),
        obj(`${prefix}*.json`),
        obj(`${prefix}keys.jso?`),
        obj(`${prefix}KEYS.json`),
        obj('elsewhere/*'),
        `arn:aws:s3:::${BUCKET.slice(0, 3)}*/*`,
        'arn:aws:s3:::*',
        // Policy variables (2012-10-17 only; literal text under 2008-10-17).
        obj(`${prefix}\${aws:SourceVpce}/*`),
        obj(`\${aws:PrincipalType, 'x'}*`),
      ),
    },
    { weight: 1, arbitrary: fc.constant(`arn:aws:s3:::${OTHER_BUCKET}/*`) },
  );
}

// ---- conditions ------------------------------------------------------------------------------------------------------

type Kind = 'string' | 'arn' | 'ip' | 'bool' | 'date' | 'epoch';

interface KeySpec {
  key: string;
  kind: Kind;
  values: Json[];
}

// The keys an anonymous GetObject has or lacks (IAM UG global condition keys, Availability), with values that match or
// miss the readers above.
export const KEY_SPECS: KeySpec[] = [
  {
    key: 'aws:SourceVpce',
    kind: 'string',
    // A policy variable: the request's own value under 2012-10-17, literal text under 2008-10-17.
    values: ['vpce-1a2b3c4d', 'vpce-9z8y7x6w', 'vpce-*', 'VPCE-1A2B3C4D', '${aws:SourceVpce}'],
  },
  { key: 'aws:SourceVpc', kind: 'string', values: ['vpc-111bbb22', 'vpc-999zzz99', 'vpc-*'] },
  {
    key: 'aws:SourceIp',
    kind: 'ip',
    values: [
      '0.0.0.0/0',
      '::/0',
      '203.0.113.0/24',
      '203.0.113.9',
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '128.0.0.0/1',
      '198.51.100.0/24',
      '2001:db8::/32',
    ],
  },
  { key: 'aws:SecureTransport', kind: 'bool', values: ['true', 'false', true, false] },
  {
    key: 'aws:PrincipalArn',
    kind: 'arn',
    values: [`arn:aws:iam::${ACCOUNT}:role/reader`, 'arn:aws:iam::*:role/*', `arn:aws:iam::${ACCOUNT}:root`],
  },
  { key: 'aws:PrincipalAccount', kind: 'string', values: [ACCOUNT, 'anonymous'] },
  { key: 'aws:PrincipalOrgID', kind: 'string', values: ['o-a1b2c3d4e5'] },
  { key: 'aws:PrincipalType', kind: 'string', values: ['Anonymous', 'AssumedRole', 'anonymous'] },
  // Both readings leave aws:userid out of an anonymous request (IAM UG policy variables: "anonymous users will not
  // populate the ${aws:userid} variable"; the global condition keys page says the opposite: pinned.test.ts).
  { key: 'aws:userid', kind: 'string', values: ['AROAEXAMPLEID:*', 'AIDAEXAMPLEUSER', 'anonymous'] },
  { key: 'aws:PrincipalIsAWSService', kind: 'bool', values: ['true', 'false'] },
  { key: 'aws:PrincipalServiceName', kind: 'string', values: ['cloudfront.amazonaws.com'] },
  { key: 'aws:ViaAWSService', kind: 'bool', values: ['true', 'false'] },
  {
    key: 'aws:SourceArn',
    kind: 'arn',
    values: [`arn:aws:cloudfront::${ACCOUNT}:distribution/E2QWRUHAPOMQZL`, 'arn:aws:cloudfront::*:distribution/*'],
  },
  { key: 'aws:SourceAccount', kind: 'string', values: [ACCOUNT] },
  { key: 'aws:Referer', kind: 'string', values: ['https://example.com/*', 'https://example.com/page'] },
  { key: 'aws:UserAgent', kind: 'string', values: ['*', 'aws-sdk-*', '*Mozilla*', 'Amazon CloudFront'] },
  { key: 'aws:RequestedRegion', kind: 'string', values: [REGION, 'eu-west-1'] },
  { key: `s3:ExistingObjectTag/Name`, kind: 'string', values: [CLUSTER, 'other'] },
  { key: 's3:ExistingObjectTag/classification', kind: 'string', values: ['public'] },
  { key: 'aws:CurrentTime', kind: 'date', values: ['2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z'] },
  { key: 'aws:EpochTime', kind: 'epoch', values: ['946684800', '4102444800'] },
];

const STRING_OPS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'BinaryEquals',
];
const ARN_OPS = ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'];
const ordered = (p: string) => [
  `${p}Equals`,
  `${p}NotEquals`,
  `${p}LessThan`,
  `${p}LessThanEquals`,
  `${p}GreaterThan`,
  `${p}GreaterThanEquals`,
];
const OPS_BY_KIND: Record<Kind, string[]> = {
  string: STRING_OPS,
  arn: [...ARN_OPS, ...STRING_OPS],
  ip: ['IpAddress', 'NotIpAddress'],
  bool: ['Bool'],
  date: ordered('Date'),
  epoch: [...ordered('Date'), ...ordered('Numeric')],
};

export interface Clause {
  operator: string;
  key: string;
  values: Json[];
}

/** One operator on one key: every operator family, with and without IfExists and a set qualifier, and Null. */
const clause: fc.Arbitrary<Clause> = fc.constantFrom(...KEY_SPECS).chain((spec) =>
  fc.oneof(
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('true', 'false')
        .map((v): Clause => ({ operator: 'Null', key: spec.key, values: [v] })),
    },
    {
      weight: 6,
      arbitrary: fc
        .record({
          base: fc.constantFrom(...OPS_BY_KIND[spec.kind]),
          ifExists: fc.boolean(),
          qualifier: fc.constantFrom('', '', '', 'ForAnyValue:', 'ForAllValues:'),
          values: fc.uniqueArray(fc.constantFrom(...spec.values), { minLength: 1, maxLength: 2 }),
        })
        .map(({ base, ifExists, qualifier, values }): Clause => ({
          operator: `${qualifier}${base}${ifExists ? 'IfExists' : ''}`,
          key: spec.key,
          // Numeric operators on aws:EpochTime take numbers; Date operators also take ISO 8601 text.
          values: values.map((v) => (base.startsWith('Numeric') ? Number(v) : v)),
        })),
    },
  ),
);

/** Clauses grouped into a Condition block; one operator+key pair at most once (JSON objects have unique keys). */
const condition: fc.Arbitrary<Record<string, Json> | undefined> = fc
  .oneof(
    { weight: 2, arbitrary: fc.constant([]) },
    { weight: 3, arbitrary: fc.uniqueArray(clause, { maxLength: 3, selector: (c) => `${c.operator} ${c.key}` }) },
  )
  .map((clauses) => {
    if (clauses.length === 0) return undefined;
    const block: Record<string, Record<string, Json>> = {};
    for (const c of clauses) (block[c.operator] ??= {})[c.key] = c.values.length === 1 ? c.values[0]! : c.values;
    return block;
  });

// ---- statements, policies, settings ----------------------------------------------------------------------------------

function statement(prefix: string): fc.Arbitrary<Statement> {
  return fc
    .record({
      effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
      who: fc.oneof(
        { weight: 9, arbitrary: principal.map((p) => ['Principal', p] as const) },
        { weight: 1, arbitrary: notPrincipal.map((p) => ['NotPrincipal', p] as const) },
      ),
      action: oneOrMany(fc.uniqueArray(fc.constantFrom(...ACTIONS), { minLength: 1, maxLength: 3 })),
      notAction: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
      notResource: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
      resource: oneOrMany(fc.uniqueArray(resources(prefix), { minLength: 1, maxLength: 3 })),
      condition,
    })
    .map(({ effect, who, action, notAction, notResource, resource, condition: c }) => ({
      Effect: effect,
      [who[0]]: who[1],
      [notAction ? 'NotAction' : 'Action']: action,
      [notResource ? 'NotResource' : 'Resource']: resource,
      ...(c ? { Condition: c } : {}),
    }));
}

const settings: fc.Arbitrary<Required<PublicAccessBlockSettings> | undefined> = fc.option(
  fc.record({
    BlockPublicAcls: fc.boolean(),
    IgnorePublicAcls: fc.boolean(),
    BlockPublicPolicy: fc.boolean(),
    RestrictPublicBuckets: fc.boolean(),
  }),
  { freq: 2 },
);

const aclGrants: fc.Arbitrary<AclGrant[]> = fc.subarray<AclGrant>([
  { grantee: 'Owner', permission: 'FULL_CONTROL' },
  { grantee: 'AllUsers', permission: 'READ' },
  { grantee: 'AuthenticatedUsers', permission: 'READ' },
  { grantee: 'AllUsers', permission: 'FULL_CONTROL' },
]);

export const diffCase: fc.Arbitrary<DiffCase> = fc.constantFrom(...PREFIXES).chain((prefix) =>
  fc
    .record({
      version: fc.constantFrom<string | undefined>('2012-10-17', '2012-10-17', '2012-10-17', '2008-10-17', undefined),
      statements: fc.array(statement(prefix), { minLength: 1, maxLength: 4 }),
      sids: fc.boolean(),
      bucketBlock: settings,
      accountBlock: settings,
      aclGrants,
    })
    .map(({ version, statements, sids, bucketBlock, accountBlock, aclGrants: acl }) => ({
      prefix,
      policy: {
        ...(version ? { Version: version } : {}),
        // Sids are unique within a policy.
        Statement: sids ? statements.map((s, i) => ({ Sid: `S${i}`, ...s })) : statements,
      },
      ...(bucketBlock ? { bucketBlock } : {}),
      ...(accountBlock ? { accountBlock } : {}),
      aclGrants: acl,
    })),
);
