// The bucket probe's own anonymous-read evaluator: may this reader s3:GetObject this object of an OIDC bucket, and what
// denies or blocks it? Written from the IAM User Guide (policy evaluation logic, Principal/Action/Resource/Condition
// elements) and the S3 User Guide (Blocking public access, ACL overview), AWS-FACTS 4.1, 4.2, 4.2b. Pure code, no I/O.
// It shares no decision code with the lab (src/lab/policy.ts, public.ts, s3-access.ts): tests hold the two readings
// of AWS's rules against each other.
import {
  PolicyParseError,
  UNKNOWN_PUBLIC_ADDRESS,
  arnMatch,
  clauseHolds,
  describeClause,
  describeRequestValue,
  globMatch,
  wildcard,
} from './bucket-eval-conditions.ts';
import type { ConditionClause, RequestContext } from './bucket-eval-conditions.ts';
import { parsePolicy, statementName } from './bucket-policy.ts';
import type { ParsedPolicy, PolicyStatement, PrincipalSpec } from './bucket-policy.ts';
import { aclPublicity, levelsWith, publicStatementNames, publicityOf } from './bucket-public.ts';
import type { AclGrant, BlockLevel, PublicAccessBlockSettings } from './bucket-public.ts';

export { PolicyParseError } from './bucket-eval-conditions.ts';
export { aclPublicity, blockedByBlockPublicPolicy, policyPublicity } from './bucket-public.ts';
export type {
  AclGrant,
  AclPublicity,
  BlockLevel,
  PolicyPublicity,
  PublicAccessBlockSettings,
} from './bucket-public.ts';

export interface BucketAccessFacts {
  bucket: string;
  /** Default 'aws' (arn:aws:s3:::bucket/key). */
  partition?: string;
  ownerAccountId: string;
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
 * address that is not yours (sourceIp undefined = an unknown public address: IpAddress matches it only with a /0,
 * NotIpAddress unless a /0 is listed).
 */
export type Reader =
  | { kind: 'anonymous'; sourceIp?: string; sourceVpce?: string; sourceVpc?: string; secureTransport?: boolean }
  /** ccoctl --create-private-s3-bucket: Principal {"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E..."} */
  | { kind: 'cloudfront-oai'; oaiArn: string }
  /** Principal {"Service": "cloudfront.amazonaws.com"} + StringEquals AWS:SourceArn arn:aws:cloudfront::<acct>:distribution/<id> */
  | { kind: 'cloudfront-oac'; distributionArn: string };

export interface StatementRef {
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  condition?: unknown;
}

export interface ReadVerdict {
  allowed: boolean;
  reason: 'allowed-by-policy' | 'explicit-deny' | 'public-access-blocked' | 'no-grant' | 'policy-invalid';
  /** The Deny that wins, or the Allow that grants (also when blocked: the voided grant). */
  statement?: StatementRef;
  /** RestrictPublicBuckets voided the grant; `level` is the bucket when both levels have it on. */
  blockedBy?: { level: BlockLevel; levels: BlockLevel[]; setting: 'RestrictPublicBuckets' };
  /** For no-grant: the Allow statement that came closest, and what it lacks. */
  unmet?: { statement: StatementRef; element: 'principal' | 'action' | 'resource' | 'condition'; clause?: string };
  /** One sentence naming the statement (Sid or Statement[index]) or the setting. */
  message: string;
}

export interface EvaluateOptions {
  /** aws:CurrentTime / aws:EpochTime; default now. */
  now?: Date;
}

const ACTION = 's3:getobject';

interface Caller {
  arn?: string;
  account?: string;
  service?: string;
  /** In the bucket owner's account (RestrictPublicBuckets keeps these). */
  ownerAccount: boolean;
  who: string;
}

interface ReadRequest {
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

// Request context keys (IAM UG global condition keys): aws:SourceIp "is always present ... except when the requester
// uses a VPC endpoint"; aws:PrincipalType is always present and "Anonymous" for anonymous callers; aws:SourceArn and
// aws:SourceAccount only when a service calls on behalf of a resource (CloudFront OAC). Keys not modelled are absent.
function contextOf(reader: Reader, now: Date): Map<string, string[]> {
  const ctx = new Map<string, string[]>([
    ['aws:currenttime', [now.toISOString()]],
    ['aws:epochtime', [String(Math.floor(now.getTime() / 1000))]],
    ['aws:principalisawsservice', [String(reader.kind === 'cloudfront-oac')]],
    ['aws:viaawsservice', ['false']],
  ]);
  if (reader.kind === 'anonymous') {
    ctx.set('aws:principaltype', ['Anonymous']);
    ctx.set('aws:securetransport', [String(reader.secureTransport ?? true)]);
    if (reader.sourceVpce) ctx.set('aws:sourcevpce', [reader.sourceVpce]);
    else ctx.set('aws:sourceip', [reader.sourceIp ?? UNKNOWN_PUBLIC_ADDRESS]);
    if (reader.sourceVpc) ctx.set('aws:sourcevpc', [reader.sourceVpc]);
    return ctx;
  }
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

function callerOf(reader: Reader, owner: string): Caller {
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

// An account principal ("123456789012" or arn:...:iam::123456789012:root) delegates to every principal of the account
// (IAM UG Principal, AWS account principals); other ARNs match exactly; `*` matches all, anonymous included.
function listed(spec: PrincipalSpec, caller: Caller, partition: string): boolean {
  if (spec.any) return true;
  if (caller.service !== undefined && spec.service.includes(caller.service)) return true;
  const account = caller.account;
  return spec.aws.some(
    (p) =>
      p === caller.arn || (account !== undefined && (p === account || p === `arn:${partition}:iam::${account}:root`)),
  );
}

type Miss = { element: 'principal' | 'action' | 'resource' } | { element: 'condition'; clause: ConditionClause };

/** Does the statement apply to the request? undefined when it does, else the first element that does not match. */
function mismatch(s: PolicyStatement, req: ReadRequest, variables: boolean): Miss | undefined {
  const arnPartition = req.caller.arn?.split(':')[1] ?? req.partition;
  if (listed(s.principal, req.caller, arnPartition) === s.notPrincipal) return { element: 'principal' };
  // Action names are case-insensitive (IAM UG Action); `s3:Get*`, `s3:*` and `*` are wildcards.
  const action = s.actions.some((a) => globMatch(wildcard(a.toLowerCase()), ACTION));
  if (action === s.notAction) return { element: 'action' };
  // Resource ARNs are case-sensitive, with `*` and `?` within each ARN segment (IAM UG Resource).
  const resource = s.resources.some((r) => r === '*' || arnMatch(r, req.resource, variables, req.ctx));
  if (resource === s.notResource) return { element: 'resource' };
  // AND across operators and keys, OR across a key's values (IAM UG Condition; multi-value conditions).
  const clause = s.conditions.find((c) => !clauseHolds(c, req.ctx, variables));
  return clause ? { element: 'condition', clause } : undefined;
}

const ref = (s: PolicyStatement): StatementRef => ({
  index: s.index,
  ...(s.sid !== undefined ? { sid: s.sid } : {}),
  effect: s.effect,
  ...(s.condition !== undefined ? { condition: s.condition } : {}),
});

function principalPhrase(s: PolicyStatement): string {
  const names = [...s.principal.aws, ...s.principal.service, ...s.principal.federated, ...s.principal.canonicalUser];
  if (s.notPrincipal) return `every principal except ${s.principal.any ? '"*"' : names.join(', ')}`;
  return s.principal.any ? 'everyone' : names.join(', ');
}

/** "callers outside vpce-1a2b3c4d" for the usual deny conditions, else the clause itself. */
function denyPhrase(c: ConditionClause): string {
  const key = c.key.toLowerCase();
  const values = c.values.join(' or ');
  if (c.negated && ['aws:sourcevpce', 'aws:sourcevpc', 'aws:sourceip'].includes(key))
    return `callers outside ${values}`;
  if (key === 'aws:securetransport' && c.base === 'Bool' && c.values.every((v) => v.toLowerCase() === 'false')) {
    return 'requests not sent over TLS';
  }
  if (c.base === 'Null' && c.values.every((v) => v.toLowerCase() === 'true')) return `callers without ${c.key}`;
  return `requests where ${describeClause(c)}`;
}

function denyMessage(s: PolicyStatement, req: ReadRequest): string {
  const name = statementName(s);
  if (s.conditions.length === 0) {
    return `${name} denies s3:GetObject on ${req.resource} to ${principalPhrase(s)}, ${req.caller.who} included.`;
  }
  const phrases = s.conditions.map(denyPhrase).join(' and ');
  const ops = s.conditions.map((c) => `${c.operator} ${c.key}`).join(', ');
  const has = s.conditions.map((c) => describeRequestValue(c, req.ctx)).join(' and ');
  return `${name} denies s3:GetObject to ${phrases} (${ops}), and ${req.caller.who} has ${has}.`;
}

function allowMessage(s: PolicyStatement, req: ReadRequest): string {
  const when = s.conditions.length ? ` when ${s.conditions.map(describeClause).join(' and ')}` : '';
  return `${statementName(s)} allows s3:GetObject on ${req.resource} to ${principalPhrase(s)}${when}.`;
}

const MISS_RANK = { principal: 0, action: 1, resource: 2, condition: 3 } as const;

function unmetText(s: PolicyStatement, miss: Miss, req: ReadRequest): string {
  const name = statementName(s);
  if (miss.element === 'condition') {
    return `${name} requires ${describeClause(miss.clause)}, and ${req.caller.who} has ${describeRequestValue(miss.clause, req.ctx)}`;
  }
  if (miss.element === 'principal') return `${name} grants only to ${principalPhrase(s)}`;
  if (miss.element === 'action') return `${name} does not cover s3:GetObject`;
  return `${name} covers ${s.resources.join(', ')}${s.notResource ? ' (NotResource)' : ''} only`;
}

// Bucket ACL READ "Allows grantee to list the objects in the bucket" and FULL_CONTROL means READ, WRITE, READ_ACP and
// WRITE_ACP on the bucket (S3 API PutBucketAcl; S3 UG ACL overview, permissions on a bucket vs an object): no bucket
// ACL grants s3:GetObject, which only an object ACL can. So a public bucket ACL never allows reading the documents.
function aclNote(facts: BucketAccessFacts): string {
  const acl = aclPublicity(facts);
  if (!acl.isPublic) return '';
  const grantees = [...new Set(acl.publicGrants.map((g) => g.grantee))].join(' and ');
  return `; the bucket ACL's ${grantees} grant lets them list the bucket, not read its objects`;
}

function noGrant(
  facts: BucketAccessFacts,
  policy: ParsedPolicy | undefined,
  misses: [PolicyStatement, Miss][],
  req: ReadRequest,
): ReadVerdict {
  const head = `No statement grants s3:GetObject on ${req.resource} to ${req.caller.who}, so S3 denies by default`;
  if (!policy) {
    return { allowed: false, reason: 'no-grant', message: `${head} (the bucket has no policy)${aclNote(facts)}.` };
  }
  const best = misses
    .filter(([s]) => s.effect === 'Allow')
    .sort((a, b) => MISS_RANK[b[1].element] - MISS_RANK[a[1].element])[0];
  if (!best) return { allowed: false, reason: 'no-grant', message: `${head}${aclNote(facts)}.` };
  const [s, miss] = best;
  return {
    allowed: false,
    reason: 'no-grant',
    unmet: {
      statement: ref(s),
      element: miss.element,
      ...(miss.element === 'condition' ? { clause: describeClause(miss.clause) } : {}),
    },
    message: `${head}: ${unmetText(s, miss, req)}${aclNote(facts)}.`,
  };
}

// RestrictPublicBuckets "restricts access to ... a bucket with a public policy to only AWS service principals and
// authorized users within the bucket owner's account ... blocks public and cross-account access derived from any public
// ... bucket policy, including non-public delegation to specific accounts" (S3 UG, Block public access settings).
function restricted(facts: BucketAccessFacts, policy: ParsedPolicy, grant: PolicyStatement, req: ReadRequest) {
  const levels = levelsWith(facts, 'RestrictPublicBuckets');
  if (levels.length === 0 || req.caller.service !== undefined || req.caller.ownerAccount) return undefined;
  const publicity = publicityOf(policy);
  if (!publicity.isPublic) return undefined;
  const where = levels.length === 2 ? 'at the bucket and account levels' : `at the ${levels[0]!} level`;
  return {
    allowed: false,
    reason: 'public-access-blocked',
    statement: ref(grant),
    blockedBy: { level: levels[0]!, levels, setting: 'RestrictPublicBuckets' },
    message:
      `${statementName(grant)} grants s3:GetObject to ${req.caller.who}, but RestrictPublicBuckets ${where} voids it: ` +
      `the bucket policy is public (${publicStatementNames(publicity)}), so only AWS service principals and the ` +
      `bucket owner's account may use it.`,
  } satisfies ReadVerdict;
}

function invalid(err: PolicyParseError): ReadVerdict {
  return {
    allowed: false,
    reason: 'policy-invalid',
    message: `The bucket policy is invalid (${err.message}), so S3 would not have accepted it and its effect is unknown.`,
  };
}

/**
 * May `reader` s3:GetObject `key`? Explicit Deny wins, then an Allow grants unless RestrictPublicBuckets voids it,
 * else the default deny (IAM UG policy evaluation logic; S3 UG Block Public Access). Never throws on a hostile
 * policy: a malformed one gives reason 'policy-invalid'.
 */
export function evaluateRead(
  facts: BucketAccessFacts,
  key: string,
  reader: Reader,
  options: EvaluateOptions = {},
): ReadVerdict {
  let policy: ParsedPolicy | undefined;
  try {
    policy = facts.policy === undefined ? undefined : parsePolicy(facts.policy);
  } catch (err) {
    if (err instanceof PolicyParseError) return invalid(err);
    throw err;
  }
  const partition = facts.partition ?? 'aws';
  const req: ReadRequest = {
    resource: `arn:${partition}:s3:::${facts.bucket}/${key}`,
    caller: callerOf(reader, facts.ownerAccountId),
    ctx: contextOf(reader, options.now ?? new Date()),
    partition,
  };
  const variables = policy?.variables ?? false;
  const results = (policy?.statements ?? []).map((s) => [s, mismatch(s, req, variables)] as const);
  const applying = results.filter(([, miss]) => miss === undefined).map(([s]) => s);
  const deny = applying.find((s) => s.effect === 'Deny');
  if (deny) return { allowed: false, reason: 'explicit-deny', statement: ref(deny), message: denyMessage(deny, req) };
  const grant = applying.find((s) => s.effect === 'Allow');
  if (!policy || !grant) {
    const misses = results.filter((r): r is [PolicyStatement, Miss] => r[1] !== undefined);
    return noGrant(facts, policy, misses, req);
  }
  return (
    restricted(facts, policy, grant, req) ?? {
      allowed: true,
      reason: 'allowed-by-policy',
      statement: ref(grant),
      message: allowMessage(grant, req),
    }
  );
}
