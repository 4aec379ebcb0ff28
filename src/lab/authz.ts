// Identity-based authorization of signed lab requests: the user's policy (or a session's role) must allow the action.
import { evaluatePolicy } from './policy.ts';
import type { LabState } from './state.ts';
import type { Caller } from './wire.ts';

/** `explicitDeny`: an identity policy denied it outright (IAM: an explicit deny wins over any allow). */
export type AuthzResult = { allowed: true } | { allowed: false; message: string; explicitDeny: boolean };

/**
 * Decide whether `caller` may perform `action` on `resource` by its identity policy. An explicit Deny wins,
 * otherwise an Allow is needed (IAM policy evaluation logic). Sessions from AssumeRoleWithWebIdentity carry
 * no permissions in the lab beyond sts:GetCallerIdentity, which AWS never denies.
 */
export function authorizeIdentity(state: LabState, caller: Caller, action: string, resource: string): AuthzResult {
  if (action === 'sts:GetCallerIdentity') return { allowed: true };
  if (caller.kind === 'anonymous') return { allowed: false, message: 'Access Denied', explicitDeny: false };
  const principalArn = caller.kind === 'user' ? caller.user.arn : caller.session.assumedRoleArn;
  if (caller.kind === 'user') {
    const result = evaluatePolicy(caller.user.policy, {
      principal: { type: 'AWS', arn: caller.user.arn, accountId: state.accountId },
      action,
      resource,
      keys: {
        'aws:PrincipalArn': caller.user.arn,
        'aws:PrincipalAccount': state.accountId,
        'aws:username': caller.user.name,
      },
    });
    if (result.decision === 'Allow') return { allowed: true };
    const why =
      result.decision === 'Deny'
        ? 'with an explicit deny in an identity-based policy'
        : 'because no identity-based policy allows the ' + action + ' action';
    return {
      allowed: false,
      message: `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${why}`,
      explicitDeny: result.decision === 'Deny',
    };
  }
  return {
    allowed: false,
    message: `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    explicitDeny: false,
  };
}
