// One root cause per cluster from the latest results of all its probes: the first rule of the table that matches
// a failing cluster, else a summary of what is degraded or unknown, else healthy.
import { FINDINGS } from '../findings.ts';
import { clusterStatus } from '../core/model.ts';
import type { ProbeResult, Status } from '../core/model.ts';
import { observationsOf } from '../observations.ts';
import { Findings, plain } from './evidence.ts';
import type { Evidence } from './evidence.ts';
import { RULES } from './rules.ts';

export interface Diagnosis {
  /** A rule code of rules.ts, or HEALTHY, DEGRADED, UNKNOWN, NOT_CHECKED. */
  code: string;
  status: Status;
  summary: string;
  /** What to do first (the primary finding's remediation). */
  remediation?: string;
  /** The chain of findings the summary rests on, the primary one first. */
  evidence: Evidence[];
}

const rolesTestedIn = (results: readonly ProbeResult[]): number => {
  const roles = observationsOf(results, 'roles')?.roles;
  return Array.isArray(roles) ? roles.length : 0;
};

/** The diagnosis of a cluster no probe has reported on yet. */
export const notChecked = (): Diagnosis => ({
  code: 'NOT_CHECKED',
  status: 'unknown',
  summary: 'No probe has reported on this cluster yet.',
  evidence: [],
});

export function diagnose(results: readonly ProbeResult[]): Diagnosis {
  const status = clusterStatus(results);
  if (results.length === 0) return notChecked();
  const f = new Findings(results);
  if (status === 'fail' || status === 'warn') {
    const n = rolesTestedIn(results);
    // The cause of a failing cluster is a failing finding, not a warning that happens to rank higher; among the
    // matching rules, the first that accounts for the failing roles wins over one that accounts for none.
    const causes = RULES.flatMap((rule) => {
      const cause = rule.match(f, n);
      return cause && f.all(cause.primary).some((e) => e.severity === status) ? [{ rule, cause }] : [];
    });
    const rolesFail = f.atLeast(['fail']).some((e) => e.probe === 'roles');
    const chosen = (rolesFail && causes.find((c) => c.cause.explained > 0)) || causes[0];
    if (chosen)
      return {
        code: chosen.rule.code,
        status,
        summary: chosen.cause.summary,
        remediation: FINDINGS[chosen.cause.primary].remediation,
        evidence: chosen.cause.evidence,
      };
  }
  const weighty = f.atLeast(status === 'ok' ? [] : [status]);
  const first = weighty[0];
  if (status === 'ok' || !first)
    return { code: 'HEALTHY', status, summary: 'Every checked link of the chain works.', evidence: [] };
  const code = status === 'unknown' ? 'UNKNOWN' : 'DEGRADED';
  const lead = status === 'unknown' ? 'Some links could not be checked' : 'Degraded';
  return {
    code,
    status,
    summary: `${lead}: ${first.message.replace(/[.\s]+$/, '')}${weighty.length > 1 ? ` (and ${weighty.length - 1} more)` : ''}.`,
    remediation: FINDINGS[first.code].remediation,
    evidence: weighty.map(plain),
  };
}
