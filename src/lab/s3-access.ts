// Who may do what on a lab bucket: the lab's reading of S3 authorization for anonymous and signed callers
// (bucket policy, identity policy, Block Public Access). Handlers in s3.ts turn a denial into AccessDenied.
import { evaluateIdentity, identityDenial, principalArnOf, principalKeys } from './authz.ts';
import type { Denial } from './authz.ts';
import { evaluatePolicy, parsePolicy } from './policy.ts';
import type { EvalContext, EvalResult } from './policy.ts';
import { bucketPolicyPublicity } from './public.ts';
import type { Bucket, LabState, PolicyDocument, PublicAccessBlock } from './state.ts';
import type { LabRequest } from './wire.ts';

export interface AccessDecision {
  allowed: boolean;
  reason: string;
  statementSid?: string;
  blockedBy?: { level: 'bucket' | 'account'; setting: keyof PublicAccessBlock };
  /** A signed same-account caller's refusal: the kind of policy its access-denied message names (docs/aws-facts.md 4.4). */
  denial?: Denial;
}

export type ContextKeys = Record<string, string | string[] | undefined>;

export const bucketArn = (bucket: string): string => `arn:aws:s3:::${bucket}`;
export const objectArn = (bucket: string, key: string): string => `arn:aws:s3:::${bucket}/${key}`;

/**
 * The level at which a Block Public Access setting is on, bucket first. Bucket and account settings combine
 * most-restrictively, so the setting is in force if either level has it. (docs/aws-facts.md 4.2)
 */
export function blockingLevel(
  state: LabState,
  bucket: Bucket | undefined,
  setting: keyof PublicAccessBlock,
): 'bucket' | 'account' | undefined {
  if (bucket?.publicAccessBlock?.[setting]) return 'bucket';
  if (state.accountPublicAccessBlock?.[setting]) return 'account';
  return undefined;
}

/** The stored policy parsed, or the reason it cannot be read (S3 never stores such a policy; fault injection may). */
function storedPolicy(bucket: Bucket): { doc?: PolicyDocument; error?: string } {
  if (bucket.policy === undefined) return {};
  try {
    return { doc: parsePolicy(bucket.policy, 'resource') };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Request-context keys every S3 request carries, whoever signs it. */
function networkKeys(req: LabRequest): ContextKeys {
  const now = new Date();
  return {
    // A caller coming through a VPC endpoint has no aws:SourceIp. (docs/aws-facts.md 4.2b)
    'aws:SourceIp': req.sourceVpce ? undefined : req.sourceIp,
    'aws:SourceVpce': req.sourceVpce,
    'aws:SourceVpc': req.sourceVpc,
    'aws:SecureTransport': 'true', // the lab serves HTTPS only
    // "This key is always included in the request context"; true only for forward access sessions, which the lab
    // has none of. (IAM UG global condition keys, aws:ViaAWSService)
    'aws:ViaAWSService': 'false',
    'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:UserAgent': req.userAgent,
    'aws:Referer': typeof req.headers.referer === 'string' ? req.headers.referer : undefined,
    'aws:RequestedRegion': req.region,
  };
}

const sidOf = (r: EvalResult): string | undefined => r.statement?.Sid;
const statementName = (r: EvalResult): string =>
  r.statement?.Sid !== undefined ? `statement "${r.statement.Sid}"` : `statement #${r.index ?? 0}`;

/**
 * The decision for a caller outside the bucket owner's account, whom only the bucket policy can admit: ACLs are
 * disabled or ignored on lab buckets (docs/aws-facts.md 4.3). An explicit Deny wins, then RestrictPublicBuckets on either
 * level voids the grants of a public policy for everyone outside the owner's account (docs/aws-facts.md 4.2), then an Allow
 * is needed.
 */
function decideOutsider(state: LabState, bucket: Bucket, ctx: EvalContext): AccessDecision {
  const { doc, error } = storedPolicy(bucket);
  if (error !== undefined) return { allowed: false, reason: `the stored bucket policy cannot be read: ${error}` };
  if (!doc) return { allowed: false, reason: 'the bucket has no policy, so no statement allows' };
  const result = evaluatePolicy(doc, ctx);
  if (result.decision === 'Deny') {
    return {
      allowed: false,
      reason: `explicit Deny in bucket policy ${statementName(result)}`,
      statementSid: sidOf(result),
    };
  }
  if (result.decision === 'NotApplicable') return { allowed: false, reason: 'no statement allows' };
  const level = blockingLevel(state, bucket, 'RestrictPublicBuckets');
  if (level && bucketPolicyPublicity(doc).isPublic) {
    return {
      allowed: false,
      reason: `RestrictPublicBuckets at ${level} level restricts the public bucket policy to the bucket owner's account`,
      statementSid: sidOf(result),
      blockedBy: { level, setting: 'RestrictPublicBuckets' },
    };
  }
  return { allowed: true, reason: `bucket policy ${statementName(result)} allows`, statementSid: sidOf(result) };
}

/** May an anonymous caller perform `action` on `resource` of `bucket`? (decideOutsider) */
export function decideAnonymous(
  state: LabState,
  bucket: Bucket,
  action: string,
  resource: string,
  req: LabRequest,
  extraKeys: ContextKeys = {},
): AccessDecision {
  return decideOutsider(state, bucket, {
    principal: { type: 'anonymous' },
    action,
    resource,
    // aws:PrincipalAccount "is included in the request context for all requests, including anonymous requests", as
    // `anonymous` (IAM UG global condition keys). aws:PrincipalArn and aws:PrincipalIsAWSService are not.
    keys: { ...networkKeys(req), 'aws:PrincipalType': 'Anonymous', 'aws:PrincipalAccount': 'anonymous', ...extraKeys },
  });
}

/**
 * Stands for the CloudFront edge's origin-facing address in aws:SourceIp (TEST-NET-2; the real ranges are AWS's
 * CLOUDFRONT_ORIGIN_FACING list, not in docs/aws-facts.md).
 */
const CLOUDFRONT_ORIGIN_IP = '198.51.100.10';

/**
 * May CloudFront, fetching from the origin as a distribution's Origin Access Identity, perform `action` (s3:GetObject
 * of a key, s3:ListBucket of the bucket) on `resource`? The OAI is an AWS principal outside the bucket owner's account
 * (`arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <id>`), so only the bucket policy admits it, and
 * Block Public Access applies as to any outsider: RestrictPublicBuckets voids the grants of a *public* policy only
 * (docs/aws-facts.md 4.2), and a policy granting only a fixed principal such as the OAI is non-public (docs/aws-facts.md 4.1). So
 * ccoctl's private bucket, all four settings on, still serves its distribution (docs/aws-facts.md 5).
 */
export function decideOriginAccessIdentity(
  state: LabState,
  bucket: Bucket,
  oaiArn: string,
  action: string,
  resource: string,
): AccessDecision {
  const now = new Date();
  return decideOutsider(state, bucket, {
    // No 12-digit account: the OAI matches only a statement that names its ARN (or "*").
    principal: { type: 'AWS', arn: oaiArn, accountId: 'cloudfront' },
    action,
    resource,
    keys: {
      'aws:PrincipalArn': oaiArn,
      'aws:SourceIp': CLOUDFRONT_ORIGIN_IP,
      // ccoctl's distribution is https-only, and CloudFront reaches an S3 origin with the viewer's protocol.
      'aws:SecureTransport': 'true',
      'aws:UserAgent': 'Amazon CloudFront',
      'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
      'aws:RequestedRegion': bucket.region,
    },
  });
}

/** Can an anonymous internet (or VPCE, per req) caller GetObject `key`? The issuer documents STS fetches. */
export function decideObjectRead(state: LabState, bucket: Bucket, key: string, req: LabRequest): AccessDecision {
  return decideAnonymous(state, bucket, 's3:GetObject', objectArn(bucket.name, key), req);
}

/** The three bucket-policy actions the owner account's root may always call (docs/aws-facts.md 4.4, S3 API reference). */
const ROOT_EXEMPT_ACTIONS = new Set(['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy']);

/** Does the allowing statement name this very principal (a session's ARN), rather than its role or account? */
const namesPrincipal = (result: EvalResult, arn: string): boolean => {
  const p = result.statement?.Principal;
  return typeof p === 'object' && [p.AWS ?? []].flat().includes(arn);
};

const denied = (denial: Denial, reason: string, result?: EvalResult): AccessDecision => ({
  allowed: false,
  reason,
  denial,
  ...(result ? { statementSid: sidOf(result) } : {}),
});

/**
 * A signed caller of the bucket owner's account (every signed lab caller): IAM policy evaluation logic, same-account
 * case. An explicit Deny in any policy wins; then the bucket policy's Allow or the identity policy's Allow admits, a
 * session's permissions being limited by its session policy (docs/aws-facts.md 1.8). Block Public Access does not restrict
 * principals of the owner's account (docs/aws-facts.md 4.2). The bucket owner's root may always call the bucket-policy
 * actions, whatever the bucket policy says (docs/aws-facts.md 4.4).
 */
function decideSigned(
  state: LabState,
  bucket: Bucket | undefined,
  action: string,
  resource: string,
  req: LabRequest,
  extraKeys: ContextKeys,
): AccessDecision {
  const caller = req.caller;
  if (caller.kind === 'anonymous') return { allowed: false, reason: 'not signed' };
  const keys = { ...networkKeys(req), ...principalKeys(state, caller), ...extraKeys };
  const arn = principalArnOf(caller);
  const identity = evaluateIdentity(state, caller, action, resource, keys);
  const rootExempt = caller.kind === 'user' && caller.user.root === true && ROOT_EXEMPT_ACTIONS.has(action);
  const { doc } = bucket && !rootExempt ? storedPolicy(bucket) : {};
  const byBucket: EvalResult = doc
    ? evaluatePolicy(doc, { principal: { type: 'AWS', arn, accountId: state.accountId }, action, resource, keys })
    : { decision: 'NotApplicable' };
  // AWS names one kind of policy when several deny (IAM UG "access denied error messages"): the lab names the
  // bucket policy's explicit Deny first.
  if (byBucket.decision === 'Deny') {
    return denied(
      { policy: 'resource', explicit: true },
      `explicit Deny in bucket policy ${statementName(byBucket)}`,
      byBucket,
    );
  }
  const idDenial = identityDenial(identity);
  if (idDenial?.explicit) return denied(idDenial, `explicit Deny in the ${idDenial.policy} policy`);
  if (byBucket.decision === 'Allow') {
    // A grant to the role (or account) passes through the session policy; one naming the session itself does not
    // (IAM UG "session policies").
    if (identity.session !== undefined && identity.session !== 'Allow' && !namesPrincipal(byBucket, arn)) {
      return denied({ policy: 'session', explicit: false }, 'no session policy statement allows', byBucket);
    }
    return { allowed: true, reason: `bucket policy ${statementName(byBucket)} allows`, statementSid: sidOf(byBucket) };
  }
  if (idDenial) return denied(idDenial, `no ${idDenial.policy} policy statement allows`);
  return { allowed: true, reason: 'identity policy allows' };
}

/** The decision for the request's own caller. Without a bucket (ListBuckets, CreateBucket) only identity counts. */
export function decideAccess(
  state: LabState,
  bucket: Bucket | undefined,
  action: string,
  resource: string,
  req: LabRequest,
  extraKeys: ContextKeys = {},
): AccessDecision {
  if (req.caller.kind !== 'anonymous') return decideSigned(state, bucket, action, resource, req, extraKeys);
  if (!bucket) return { allowed: false, reason: `anonymous callers cannot perform ${action}` };
  return decideAnonymous(state, bucket, action, resource, req, extraKeys);
}
