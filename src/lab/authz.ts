// Identity-side authorization of signed lab requests (IAM UG "policy evaluation logic", same account): a user's
// identity policy, a role session's role policies intersected with its session policy, nothing for root; and the
// access-denied message naming which kind of policy refused (docs/aws-facts.md 4.4).
import { evaluatePolicy, parsePolicy } from './policy.ts';
import type { EvalResult } from './policy.ts';
import type { LabState, PolicyDocument } from './state.ts';
import type { Caller } from './wire.ts';

/** The kind of policy that refused a request, as access-denied messages name it (docs/aws-facts.md 4.4). */
export type PolicyKind = 'identity' | 'resource' | 'session';

/** Why a request was refused: which kind of policy, and whether by an explicit Deny or for want of an Allow. */
export interface Denial {
  policy: PolicyKind;
  explicit: boolean;
}

export type AuthzResult = { allowed: true } | { allowed: false; denial?: Denial; message: string };

export type SignedCaller = Exclude<Caller, { kind: 'anonymous' }>;

type Decision = EvalResult['decision'];

/** The identity side of one request: the identity policies' decision and, for a session with one, its session policy's. */
export interface IdentityEvaluation {
  identity: Decision;
  session?: Decision;
}

const isRoot = (caller: SignedCaller): boolean => caller.kind === 'user' && caller.user.root === true;

export const principalArnOf = (caller: SignedCaller): string =>
  caller.kind === 'user' ? caller.user.arn : caller.session.assumedRoleArn;

/** Request-context keys that describe the principal (IAM UG global condition keys). */
export function principalKeys(state: LabState, caller: SignedCaller): Record<string, string | undefined> {
  if (caller.kind === 'session') {
    return {
      'aws:PrincipalAccount': state.accountId,
      'aws:PrincipalArn': caller.session.roleArn,
      'aws:PrincipalType': 'AssumedRole',
      'aws:userid': caller.session.assumedRoleId,
    };
  }
  const root = isRoot(caller);
  return {
    'aws:PrincipalAccount': state.accountId,
    'aws:PrincipalArn': caller.user.arn,
    'aws:PrincipalType': root ? 'Account' : 'User',
    'aws:userid': caller.user.userId,
    'aws:username': root ? undefined : caller.user.name,
  };
}

/** The role's inline policies (PutRolePolicy validated them; one that no longer parses grants nothing). */
function rolePolicies(state: LabState, roleArn: string): PolicyDocument[] {
  const role = state.roleByArn(roleArn);
  if (!role) return [];
  return [...role.policies.values()].flatMap((text) => {
    try {
      return [parsePolicy(text, 'identity')];
    } catch {
      return [];
    }
  });
}

/** Several policies of one kind: an explicit Deny in any wins, then an Allow in any. */
const combine = (decisions: Decision[]): Decision =>
  decisions.includes('Deny') ? 'Deny' : decisions.includes('Allow') ? 'Allow' : 'NotApplicable';

/**
 * What the caller's identity-side policies say about `action` on `resource`. Root is allowed everything its account
 * may do (no identity policy applies to it). A session's permissions are the intersection of its role's identity
 * policies and its session policy (docs/aws-facts.md 1.8), so both are reported.
 */
export function evaluateIdentity(
  state: LabState,
  caller: SignedCaller,
  action: string,
  resource: string,
  keys: Record<string, string | string[] | undefined>,
): IdentityEvaluation {
  if (isRoot(caller)) return { identity: 'Allow' };
  const ctx = {
    principal: { type: 'AWS' as const, arn: principalArnOf(caller), accountId: state.accountId },
    action,
    resource,
    keys,
  };
  const docs = caller.kind === 'user' ? [caller.user.policy] : rolePolicies(state, caller.session.roleArn);
  const identity = combine(docs.map((d) => evaluatePolicy(d, ctx).decision));
  if (caller.kind !== 'session' || !caller.session.policy) return { identity };
  return { identity, session: evaluatePolicy(caller.session.policy, ctx).decision };
}

/** Explicit denies first (in any policy they win), then a missing Allow: identity-based before session policy. */
export function identityDenial(ev: IdentityEvaluation): Denial | undefined {
  if (ev.identity === 'Deny') return { policy: 'identity', explicit: true };
  if (ev.session === 'Deny') return { policy: 'session', explicit: true };
  if (ev.identity !== 'Allow') return { policy: 'identity', explicit: false };
  if (ev.session !== undefined && ev.session !== 'Allow') return { policy: 'session', explicit: false };
  return undefined;
}

const POLICY_NAMES: Record<PolicyKind, string> = {
  identity: 'identity-based policy',
  resource: 'resource-based policy',
  session: 'session policy',
};

/**
 * `User: <arn> is not authorized to perform: <action> on resource: <resource> <context>` (docs/aws-facts.md 4.4), the context
 * naming the kind of policy. `resource` is given as the service prints it (S3 quotes the ARN); undefined leaves the
 * `on resource` part out (actions on no resource, as the S3 User Guide's examples show).
 */
export function deniedMessage(principalArn: string, action: string, resource: string | undefined, d: Denial): string {
  const name = POLICY_NAMES[d.policy];
  const context = d.explicit
    ? `with an explicit deny in ${d.policy === 'identity' ? 'an' : 'a'} ${name}`
    : `because no ${name} allows the ${action} action`;
  return `User: ${principalArn} is not authorized to perform: ${action}${resource === undefined ? '' : ` on resource: ${resource}`} ${context}`;
}

/**
 * May `caller` perform `action` on `resource` by its identity-side policies alone? (IAM, CloudTrail, S3 Control; S3
 * adds the bucket policy in s3-access.ts.) GetCallerIdentity needs no permission and cannot be denied (docs/aws-facts.md 1.8).
 */
export function authorizeIdentity(state: LabState, caller: Caller, action: string, resource: string): AuthzResult {
  if (action === 'sts:GetCallerIdentity') return { allowed: true };
  if (caller.kind === 'anonymous') return { allowed: false, message: 'Access Denied' };
  const denial = identityDenial(evaluateIdentity(state, caller, action, resource, principalKeys(state, caller)));
  if (!denial) return { allowed: true };
  return { allowed: false, denial, message: deniedMessage(principalArnOf(caller), action, resource, denial) };
}
