// The roles probe's own reading of a role's trust policy (docs/aws-facts.md 2.2): does it let this cluster's IAM OIDC provider
// assume the role with sts:AssumeRoleWithWebIdentity for a service account's subject and audience? Only conditions on
// `<provider>:sub` and `<provider>:aud` are judged; conditions on other keys (source IP, time, tags) are outside it.

import {
  clauseHolds,
  globMatch,
  parseCondition,
  PolicyParseError,
  wildcard,
} from '../shared/iam-conditions/conditions.ts';
import type { RequestContext } from '../shared/iam-conditions/conditions.ts';
import { providerArnOf, providerUrlOf } from '../shared/issuer-urls.ts';
import { serviceAccountSubject } from '../../src/ccoctl/credentials-requests.ts';
import { finding } from './findings.ts';
import type { Finding } from '../../src/core/model.ts';
import { serviceAccountName } from './sources.ts';
import type { RoleToTest } from './sources.ts';

const ASSUME_ACTION = 'sts:assumerolewithwebidentity';

/** The provider a token's issuer resolves to, and the claims STS puts into the trust policy's context. */
export interface TrustRequest {
  /** arn:<partition>:iam::<account>:oidc-provider/<issuer without https://> */
  providerArn: string;
  /** The issuer without https://: the prefix of the condition keys. */
  providerUrl: string;
  subject: string;
  audience: string;
}

export type TrustVerdict =
  | { admitted: true }
  /** No Allow statement names the provider as Federated principal for the action: the principals found instead. */
  | { admitted: false; reason: 'provider'; federated: string[] }
  /** The provider is trusted, but no Allow admits the claims (or a Deny matches): the sub/aud conditions seen. */
  | { admitted: false; reason: 'subject'; conditions: Record<string, Record<string, unknown>>[]; deniedBy?: string };

export const providerOf = (
  issuer: string,
  partition: string,
  account: string,
): Omit<TrustRequest, 'subject' | 'audience'> => ({
  providerUrl: providerUrlOf(issuer),
  providerArn: providerArnOf(account, issuer, partition),
});

export interface TrustStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === 'string');

/** The statements of a policy (GetRole returns it URL-encoded). Text that is not a policy has none. */
export function trustStatements(policy: string): TrustStatement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(policy.trimStart().startsWith('{') ? policy : decodeURIComponent(policy));
  } catch {
    return [];
  }
  const raw = typeof doc === 'object' && doc !== null ? (doc as { Statement?: unknown }).Statement : undefined;
  return list(raw).filter((s): s is TrustStatement => typeof s === 'object' && s !== null);
}

function principals(s: TrustStatement): { any: boolean; federated: string[] } {
  if (s.Principal === '*') return { any: true, federated: [] };
  const p = (typeof s.Principal === 'object' && s.Principal !== null ? s.Principal : {}) as Record<string, unknown>;
  return { any: strings(p.AWS).includes('*'), federated: strings(p.Federated) };
}

function allowsAction(s: TrustStatement): boolean {
  // Action names match case-insensitively, with IAM's `*` and `?` wildcards.
  const names = (v: unknown) => strings(v).map((a) => wildcard(a.toLowerCase()));
  if (s.Action !== undefined) return names(s.Action).some((p) => globMatch(p, ASSUME_ACTION));
  return s.NotAction !== undefined && !names(s.NotAction).some((p) => globMatch(p, ASSUME_ACTION));
}

/**
 * Whether one condition on a claim holds, by the IAM condition matcher the bucket probe uses too. `undefined`: the key
 * is not a claim this check judges, or the condition is not one IAM would accept.
 */
function conditionHolds(operator: string, key: string, values: unknown, claims: RequestContext): boolean | undefined {
  if (!claims.has(key.toLowerCase())) return undefined;
  let clauses;
  try {
    clauses = parseCondition({ [operator]: { [key]: values } }, 'Condition');
  } catch (err) {
    if (err instanceof PolicyParseError) return undefined;
    throw err;
  }
  return clauses.every((c) => clauseHolds(c, claims, false));
}

/** The sub/aud conditions of a statement, and whether they all hold; `judgedAll` false when it has other conditions. */
function conditions(
  s: TrustStatement,
  claims: RequestContext,
): { hold: boolean; judgedAll: boolean; seen: Record<string, Record<string, unknown>> } {
  let hold = true;
  let judgedAll = true;
  const seen: Record<string, Record<string, unknown>> = {};
  for (const [operator, block] of Object.entries(s.Condition ?? {})) {
    for (const [key, values] of Object.entries(block)) {
      const verdict = conditionHolds(operator, key, values, claims);
      if (verdict === undefined) {
        judgedAll = false;
        continue;
      }
      (seen[operator] ??= {})[key] = values;
      hold &&= verdict;
    }
  }
  return { hold, judgedAll, seen };
}

export function evaluateTrust(statements: TrustStatement[], req: TrustRequest): TrustVerdict {
  const claims: RequestContext = new Map([
    [`${req.providerUrl}:sub`.toLowerCase(), [req.subject]],
    [`${req.providerUrl}:aud`.toLowerCase(), [req.audience]],
  ]);
  const forUs = statements
    .filter((s) => {
      const p = principals(s);
      return (p.any || p.federated.includes(req.providerArn)) && allowsAction(s);
    })
    .map((s) => ({ s, ...conditions(s, claims) }));
  const allows = forUs.filter(({ s }) => s.Effect === 'Allow');
  if (allows.length === 0) {
    const federated = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => principals(s).federated);
    return { admitted: false, reason: 'provider', federated: [...new Set(federated)] };
  }
  const seen = allows.map((a) => a.seen);
  // A Deny counts only when every condition it has is one this check can judge, and all of them hold.
  const deny = forUs.find((d) => d.s.Effect === 'Deny' && d.hold && d.judgedAll);
  if (deny) {
    const deniedBy = deny.s.Sid ?? `Statement[${statements.indexOf(deny.s)}]`;
    return { admitted: false, reason: 'subject', conditions: seen, deniedBy };
  }
  if (allows.some((a) => a.hold)) return { admitted: true };
  return { admitted: false, reason: 'subject', conditions: seen };
}

/** The role's trust policy judged for every service account of the role: at most one finding, naming who is refused. */
export function trustFindings(policy: string, issuer: string, role: RoleToTest): Finding[] {
  const statements = trustStatements(policy);
  const provider = providerOf(issuer, role.partition, role.account);
  const refused = role.serviceAccounts.flatMap((sa) => {
    const subject = serviceAccountSubject(sa.namespace, sa.name);
    const verdict = evaluateTrust(statements, { ...provider, subject, audience: role.audience });
    return verdict.admitted ? [] : [{ serviceAccount: serviceAccountName(sa), subject, verdict }];
  });
  const first = refused[0];
  if (!first) return [];
  if (first.verdict.reason === 'provider') {
    const evidence = { roleArn: role.arn, providerArn: provider.providerArn, federated: first.verdict.federated };
    const message = `The trust policy of ${role.arn} does not let ${provider.providerArn} assume it with sts:AssumeRoleWithWebIdentity.`;
    return [finding('TRUST_POLICY_PROVIDER_MISMATCH', message, { subject: role.arn, evidence })];
  }
  const { conditions, deniedBy } = first.verdict;
  const names = refused.map((r) => r.serviceAccount);
  const evidence = {
    roleArn: role.arn,
    serviceAccounts: names,
    subjects: refused.map((r) => r.subject),
    audience: role.audience,
    conditions,
    ...(deniedBy !== undefined && { deniedBy }),
  };
  const message = `The trust policy of ${role.arn} does not admit ${names.join(', ')} with audience ${role.audience}${deniedBy ? ` (denied by ${deniedBy})` : ''}.`;
  return [finding('TRUST_POLICY_SUBJECT_MISMATCH', message, { subject: role.arn, evidence })];
}
