// The probes' own anonymous-read evaluator (bucket and cloudtrail probes): may this reader s3:GetObject this object of an OIDC bucket, and what
// denies or blocks it? Written from the IAM User Guide (policy evaluation logic, Principal/Action/Resource/Condition
// elements) and the S3 User Guide (Blocking public access, ACL overview), docs/aws-facts.md 4.1, 4.2, 4.2b. Pure code, no I/O.
// It shares no decision code with the lab (src/lab/policy.ts, public.ts, s3-access.ts): tests hold the two readings
// of AWS's rules against each other.
import { PolicyParseError, describeClause } from '../iam-conditions/conditions.ts';
import { mismatch } from './eval-match.ts';
import type { Miss } from './eval-match.ts';
import { aclNote, allowMessage, denyMessage, unmetText } from './eval-messages.ts';
import { callerOf, contextOf } from './eval-request.ts';
import type { BucketAccessFacts, ReadRequest, Reader } from './eval-request.ts';
import { parsePolicy, statementName } from './policy.ts';
import type { ParsedPolicy, PolicyStatement } from './policy.ts';
import { levelsWith, publicStatementNames, publicityOf } from './public.ts';
import type { BlockLevel } from './public.ts';

export { PolicyParseError } from '../iam-conditions/conditions.ts';
export type { BucketAccessFacts, Reader } from './eval-request.ts';
export { aclPublicity, blockedByBlockPublicPolicy, policyPublicity } from './public.ts';
export type { AclGrant, AclPublicity, BlockLevel, PolicyPublicity, PublicAccessBlockSettings } from './public.ts';

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

const ref = (s: PolicyStatement): StatementRef => ({
  index: s.index,
  ...(s.sid !== undefined ? { sid: s.sid } : {}),
  effect: s.effect,
  ...(s.condition !== undefined ? { condition: s.condition } : {}),
});

const MISS_RANK = { principal: 0, action: 1, resource: 2, condition: 3 } as const;

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
    ctx: contextOf(reader, options.now ?? new Date(), facts.region),
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
