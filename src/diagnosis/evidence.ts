// The facts diagnosis rules read: a cluster's latest findings, indexed by code, and small renderers for the
// evidence chain (who changed the bucket, how many roles fail).
import type { Finding, ProbeName, ProbeResult } from '../core/model.ts';
import { isFindingCode } from '../findings.ts';
import type { EvidenceOf, FindingCode } from '../findings.ts';

export interface Evidence {
  probe: ProbeName;
  code: FindingCode;
  severity: Finding['severity'];
  message: string;
  subject?: string;
}

/** A finding of one code with its facts, typed as the code's evidence declares them. */
export type Fact<C extends FindingCode> = Evidence & { code: C; facts?: EvidenceOf<C> };

export class Findings {
  readonly #byCode = new Map<FindingCode, Fact<FindingCode>[]>();
  constructor(results: readonly ProbeResult[]) {
    for (const r of results)
      for (const f of r.findings) {
        // A code this agent does not know (a result stored by another version) has no rule to match.
        if (!isFindingCode(f.code)) continue;
        const list = this.#byCode.get(f.code) ?? [];
        this.#byCode.set(f.code, list);
        list.push({
          probe: r.probe,
          code: f.code,
          severity: f.severity,
          message: f.message,
          ...(f.subject !== undefined && { subject: f.subject }),
          ...(f.evidence !== undefined && { facts: f.evidence }),
        });
      }
  }
  all<C extends FindingCode>(...codes: C[]): Fact<C>[] {
    return codes.flatMap((c) => (this.#byCode.get(c) ?? []) as Fact<C>[]);
  }
  first<C extends FindingCode>(...codes: C[]): Fact<C> | undefined {
    return this.all(...codes)[0];
  }
  has(...codes: FindingCode[]): boolean {
    return codes.some((c) => this.#byCode.has(c));
  }
  /** Every finding of at least `severity` weight, in result order. */
  atLeast(severities: Finding['severity'][]): Evidence[] {
    return [...this.#byCode.values()].flat().filter((e) => severities.includes(e.severity));
  }
}

/** Without the raw facts: what the evidence chain shows. */
export const plain = (e: Evidence & { facts?: unknown }): Evidence => {
  const { facts: _facts, ...rest } = e;
  return rest;
};

/** The newest BUCKET_POLICY_CHANGED_BY of the given event names: ", added by <actor> at <time>". */
export function changedBy(
  f: Findings,
  eventNames: string[],
  verb = 'changed',
): { clause: string; evidence?: Evidence } {
  const changes = f
    .all('BUCKET_POLICY_CHANGED_BY')
    .filter((e) => eventNames.includes(e.facts?.eventName ?? ''))
    .sort((a, b) => (b.facts?.time ?? '').localeCompare(a.facts?.time ?? ''));
  const newest = changes[0];
  if (!newest) return { clause: '' };
  const actor = newest.facts?.sessionIssuer ?? newest.facts?.actor ?? 'an unknown identity';
  return { clause: ` (${verb} by ${actor} at ${newest.facts?.time ?? '?'})`, evidence: plain(newest) };
}

/** A role ARN's name: arn:aws:iam::1:role/path/name -> name. */
const roleName = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1) || arn;

const ASSUME_ERRORS: Partial<Record<FindingCode, string>> = {
  ASSUME_KEY_RETRIEVAL_FAILED: "Couldn't retrieve verification key",
  ASSUME_NO_PROVIDER: 'No OpenIDConnect provider found',
  ASSUME_AUDIENCE_REJECTED: 'Incorrect token audience',
  ASSUME_THUMBPRINT_REJECTED: 'a thumbprint error',
  ASSUME_ACCESS_DENIED: 'AccessDenied',
  ASSUME_TOKEN_EXPIRED: 'ExpiredTokenException',
};

/** The failing roles of an assume error: "every role (7) fails", "3 roles fail", "1 role fails". */
export function rolesFailing(
  f: Findings,
  code: FindingCode,
  rolesTested: number,
  subjects?: ReadonlySet<string>,
): { who: string; evidence: Evidence[] } {
  const failing = f
    .all(code)
    .filter((e) => e.probe === 'roles' && e.severity === 'fail' && (!subjects || subjects.has(e.subject ?? '')));
  const n = new Set(failing.map((e) => e.subject ?? '')).size;
  const who =
    n === 0
      ? ''
      : n === rolesTested && n > 1
        ? `every role (${n}) fails`
        : n === 1
          ? `role ${roleName(failing[0]?.subject ?? '?')} fails`
          : `${n} roles fail`;
  return { who, evidence: failing.map(plain) };
}

/**
 * What the cause does to the pods, among the effects it `explains`: "every role (7) fails with Couldn't retrieve
 * verification key" from the roles probe's assume tests, else (when the issuer's failure is among them) that STS gets
 * an error from the issuer, else nothing (the clause is then empty). Only failing findings are effects.
 */
export function effectOf(
  f: Findings,
  rolesTested: number,
  cause: FindingCode,
  explains: readonly FindingCode[],
  /** Only these roles' failures (a role-level cause); default every role's. */
  subjects?: ReadonlySet<string>,
): { clause: string; evidence: Evidence[] } {
  for (const [code, phrase] of Object.entries(ASSUME_ERRORS) as [FindingCode, string][]) {
    if (code === cause || !explains.includes(code)) continue;
    const { who, evidence } = rolesFailing(f, code, rolesTested, subjects);
    if (who) return { clause: `${who} with ${phrase}`, evidence };
  }
  const issuer = f
    .all('ISSUER_HTTP_ERROR', 'ISSUER_UNREACHABLE', 'JWKS_HTTP_ERROR')
    .find((e) => e.severity === 'fail' && explains.includes(e.code) && e.code !== cause);
  if (issuer) return { clause: 'STS gets an error from the issuer', evidence: [plain(issuer)] };
  return { clause: '', evidence: [] };
}
