// Who reads an OIDC bucket, as the bucket probe's evaluator (bucket-eval.ts) sees the request: the bucket's facts, the
// reader, its caller identity and its request context (IAM UG global condition keys; docs/aws-facts.md 4.1, 4.2b). Pure code.
import type { RequestContext } from '../iam-conditions/patterns.ts';
import { UNKNOWN_PUBLIC_ADDRESS, UNKNOWN_USER_AGENT } from '../iam-conditions/patterns.ts';
import type { AclGrant, PublicAccessBlockSettings } from './public.ts';

export interface BucketAccessFacts {
  bucket: string;
  /** Default 'aws' (arn:aws:s3:::bucket/key). */
  partition?: string;
  ownerAccountId: string;
  /** The bucket's region (aws:RequestedRegion of a read); undefined = unknown, the key is then left out. */
  region?: string;
  /** The bucket policy: its JSON text or the parsed JSON; undefined = no bucket policy. */
  policy?: unknown;
  /** undefined = none configured. */
  bucketBlock?: PublicAccessBlockSettings;
  accountBlock?: PublicAccessBlockSettings;
  /** The bucket ACL (object ACLs are out of scope: ccoctl buckets are BucketOwnerEnforced). */
  aclGrants?: AclGrant[];
}

/**
 * Who reads. `anonymous` defaults to STS fetching from the internet: no VPC endpoint, no VPC, TLS, and a public source
 * address that is not yours (sourceIp undefined = an unknown public IPv4 address: IpAddress matches it only with
 * 0.0.0.0/0, NotIpAddress unless 0.0.0.0/0 is listed).
 */
export type Reader =
  | { kind: 'anonymous'; sourceIp?: string; sourceVpce?: string; sourceVpc?: string; secureTransport?: boolean }
  /** ccoctl --create-private-s3-bucket: Principal {"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E..."} */
  | { kind: 'cloudfront-oai'; oaiArn: string }
  /** Principal {"Service": "cloudfront.amazonaws.com"} + StringEquals AWS:SourceArn arn:aws:cloudfront::<acct>:distribution/<id> */
  | { kind: 'cloudfront-oac'; distributionArn: string };

export interface Caller {
  arn?: string;
  account?: string;
  service?: string;
  /** In the bucket owner's account (RestrictPublicBuckets keeps these). */
  ownerAccount: boolean;
  who: string;
}

export interface ReadRequest {
  resource: string;
  caller: Caller;
  ctx: RequestContext;
  partition: string;
}

/** The account field of an ARN (arn:partition:service:region:account:...). */
const arnAccount = (arn: string): string | undefined => arn.split(':')[4] || undefined;

function anonymousWho(r: Extract<Reader, { kind: 'anonymous' }>): string {
  const from = r.sourceVpce ? `through ${r.sourceVpce}` : r.sourceIp ? `from ${r.sourceIp}` : 'from the internet';
  return `an anonymous caller ${from}${r.secureTransport === false ? ' over plain HTTP' : ''}`;
}

// Request context keys (IAM UG global condition keys, "Availability" of each): aws:SourceIp "is included in the request
// context, except when the requester uses a VPC endpoint"; aws:PrincipalType is always present and "Anonymous" for
// anonymous callers; aws:PrincipalAccount is present "for all requests, including anonymous requests", whose value is
// "anonymous"; aws:PrincipalIsAWSService is present "for all signed API requests that use AWS credentials. Anonymous
// requests do not include this key"; aws:ViaAWSService, aws:UserAgent, aws:RequestedRegion, aws:SecureTransport and the
// times are always present; aws:SourceArn and aws:SourceAccount only when a service calls on behalf of a resource
// (CloudFront OAC). STS's User-Agent is not documented: present, with a value no policy names (UNKNOWN_USER_AGENT).
// Keys not modelled are absent.
export function contextOf(reader: Reader, now: Date, region?: string): Map<string, string[]> {
  const ctx = new Map<string, string[]>([
    ['aws:currenttime', [now.toISOString()]],
    ['aws:epochtime', [String(Math.floor(now.getTime() / 1000))]],
    ['aws:viaawsservice', ['false']],
  ]);
  if (region !== undefined) ctx.set('aws:requestedregion', [region]);
  if (reader.kind === 'anonymous') {
    ctx.set('aws:principaltype', ['Anonymous']);
    ctx.set('aws:principalaccount', ['anonymous']);
    ctx.set('aws:useragent', [UNKNOWN_USER_AGENT]);
    ctx.set('aws:securetransport', [String(reader.secureTransport ?? true)]);
    if (reader.sourceVpce) ctx.set('aws:sourcevpce', [reader.sourceVpce]);
    else ctx.set('aws:sourceip', [reader.sourceIp ?? UNKNOWN_PUBLIC_ADDRESS]);
    if (reader.sourceVpc) ctx.set('aws:sourcevpc', [reader.sourceVpc]);
    return ctx;
  }
  ctx.set('aws:principalisawsservice', [String(reader.kind === 'cloudfront-oac')]);
  // CloudFront reaches the origin from its own public addresses, over HTTPS (ccoctl: origin protocol https-only).
  ctx.set('aws:securetransport', ['true']);
  ctx.set('aws:sourceip', [UNKNOWN_PUBLIC_ADDRESS]);
  if (reader.kind === 'cloudfront-oai') {
    ctx.set('aws:principalarn', [reader.oaiArn]);
  } else {
    ctx.set('aws:principalservicename', ['cloudfront.amazonaws.com']);
    ctx.set('aws:sourcearn', [reader.distributionArn]);
    const account = arnAccount(reader.distributionArn);
    if (account) ctx.set('aws:sourceaccount', [account]);
  }
  return ctx;
}

export function callerOf(reader: Reader, owner: string): Caller {
  if (reader.kind === 'anonymous') return { ownerAccount: false, who: anonymousWho(reader) };
  if (reader.kind === 'cloudfront-oac') {
    return {
      service: 'cloudfront.amazonaws.com',
      ownerAccount: false,
      who: `CloudFront distribution ${reader.distributionArn}`,
    };
  }
  const account = arnAccount(reader.oaiArn);
  return {
    arn: reader.oaiArn,
    ...(account ? { account } : {}),
    ownerAccount: account === owner,
    who: `CloudFront origin access identity ${reader.oaiArn}`,
  };
}
