// Does a bucket policy statement apply to a read (bucket-eval.ts)? Principal, Action, Resource and Condition matched as
// the IAM User Guide's policy element pages describe them. Pure code, no I/O.
import { clauseHolds } from '../iam-conditions/conditions.ts';
import type { ConditionClause } from '../iam-conditions/operators.ts';
import { arnMatch, globMatch, wildcard } from '../iam-conditions/patterns.ts';
import type { Caller, ReadRequest } from './eval-request.ts';
import type { PolicyStatement, PrincipalSpec } from './policy.ts';

const ACTION = 's3:getobject';

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

export type Miss = { element: 'principal' | 'action' | 'resource' } | { element: 'condition'; clause: ConditionClause };

/** Does the statement apply to the request? undefined when it does, else the first element that does not match. */
export function mismatch(s: PolicyStatement, req: ReadRequest, variables: boolean): Miss | undefined {
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
