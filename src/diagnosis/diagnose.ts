// The diagnosis of a cluster from the latest results of all its probes: every decided cause, the root cause first,
// then each cause it does not account for, each with its fix; and what could not be decided. An undecided link never
// hides a decided problem: the cluster's status is that of its worst decided finding, `unknown` only when nothing
// failed or warned.
import { clusterStatus } from '../core/model.ts';
import type { ProbeResult, Status } from '../core/model.ts';
import { FINDINGS } from '../findings.ts';
import { observationsOf } from '../observations.ts';
import { Findings, plain } from './evidence.ts';
import type { Evidence } from './evidence.ts';
import { RULES } from './rules.ts';
import type { Cause, DiagnosisRule } from './rules.ts';

/** One cause of a cluster's trouble, with its fix and the evidence chain it rests on. */
export interface DiagnosisCause {
  /** A rule code of rules.ts, or DEGRADED for findings no rule names. */
  code: string;
  status: Status;
  summary: string;
  /** What to do (the primary finding's remediation). */
  remediation?: string;
  /** The chain of findings the summary rests on, the primary one first. */
  evidence: Evidence[];
}

export interface Diagnosis extends DiagnosisCause {
  /** The cluster's status. The root cause's code, summary, remediation and evidence lead (HEALTHY, UNKNOWN or
   * NOT_CHECKED when there is no cause). */
  code: string;
  /** Every decided cause, the root cause first. */
  causes: DiagnosisCause[];
  /** Findings that could not be decided (`unknown`) and that no cause accounts for. */
  undecided: Evidence[];
}

/** The fallback codes besides the rule codes. */
export const FALLBACK_CODES = {
  HEALTHY: 'Every checked link of the chain works.',
  DEGRADED: 'Warnings (or failures) that no diagnosis rule names; the findings say what they are.',
  UNKNOWN: 'Nothing failed, but some links could not be checked (no permission, throttled, unreachable dependency).',
  NOT_CHECKED: 'No probe has reported on this cluster yet.',
  AGENT_CREDENTIALS_REJECTED:
    "Nothing failed, but AWS refused the agent's own credentials, so the links its AWS calls check could not be judged: the agent's identity, not the cluster, needs fixing.",
} as const;

/** The diagnosis of a cluster no probe has reported on yet. */
export const notChecked = (): Diagnosis => ({
  code: 'NOT_CHECKED',
  status: 'unknown',
  summary: FALLBACK_CODES.NOT_CHECKED,
  evidence: [],
  causes: [],
  undecided: [],
});

const rolesTestedIn = (results: readonly ProbeResult[]): number => {
  const roles = observationsOf(results, 'roles')?.roles;
  return Array.isArray(roles) ? roles.length : 0;
};

const keyOf = (e: Evidence): string => `${e.probe}\u0000${e.code}\u0000${e.subject ?? ''}`;

interface Match {
  rule: DiagnosisRule;
  cause: Cause;
  /** The weight of its primary finding: a failing cause, or a warning. */
  status: 'fail' | 'warn';
}

/** Which findings a matched cause accounts for: its primary, effects and symptoms (a role-level cause, its roles). */
function covers(m: Match, e: Evidence, primaries: Evidence[]): boolean {
  if (e.code !== m.rule.primary && !m.rule.covers.includes(e.code)) return false;
  if (!m.rule.perRole || e.probe !== 'roles') return true;
  return primaries.some((p) => p.subject === e.subject);
}

function matches(f: Findings, rolesTested: number): Match[] {
  return RULES.flatMap((rule) => {
    const cause = rule.match(f, rolesTested);
    if (!cause) return [];
    const weights = f.all(rule.primary).map((e) => e.severity);
    const status = weights.includes('fail') ? 'fail' : weights.includes('warn') ? 'warn' : undefined;
    return status ? [{ rule, cause, status }] : [];
  });
}

/** Root first: a failing cause before a warning; when roles fail, the first failing cause that accounts for them. */
function ordered(all: Match[], rolesFail: boolean): Match[] {
  const failing = all.filter((m) => m.status === 'fail');
  const root = (rolesFail && failing.find((m) => m.cause.explained > 0)) || failing[0];
  const rest = all.filter((m) => m !== root);
  return [
    ...(root ? [root] : []),
    ...rest.filter((m) => m.status === 'fail'),
    ...rest.filter((m) => m.status === 'warn'),
  ];
}

/** Findings no rule names, as one cause in the words of the first. */
function leftoverCause(left: Evidence[]): DiagnosisCause | undefined {
  const first = left.find((e) => e.severity === 'fail') ?? left[0];
  if (!first) return undefined;
  const status = left.some((e) => e.severity === 'fail') ? 'fail' : 'warn';
  const more = left.length > 1 ? ` (and ${left.length - 1} more)` : '';
  return {
    code: 'DEGRADED',
    status,
    summary: `Degraded: ${first.message.replace(/[.\s]+$/, '')}${more}.`,
    remediation: FINDINGS[first.code].remediation,
    evidence: [first, ...left.filter((e) => e !== first)].map(plain),
  };
}

export function diagnose(results: readonly ProbeResult[]): Diagnosis {
  if (results.length === 0) return notChecked();
  const status = clusterStatus(results);
  const f = new Findings(results);
  const decided = f.atLeast(['fail', 'warn']);
  const rolesFail = decided.some((e) => e.probe === 'roles' && e.severity === 'fail');
  const causes: DiagnosisCause[] = [];
  const covered = new Set<string>();
  for (const m of ordered(matches(f, rolesTestedIn(results)), rolesFail)) {
    const primaries = f.all(m.rule.primary).filter((e) => e.severity === m.status);
    if (primaries.every((e) => covered.has(keyOf(e)))) continue; // an earlier cause accounts for it
    causes.push({
      code: m.rule.code,
      status: m.status,
      summary: m.cause.summary,
      remediation: FINDINGS[m.rule.primary].remediation,
      evidence: m.cause.evidence,
    });
    for (const e of f.atLeast(['fail', 'warn', 'unknown'])) if (covers(m, e, primaries)) covered.add(keyOf(e));
  }
  const leftover = leftoverCause(decided.filter((e) => !covered.has(keyOf(e))));
  if (leftover) causes.push(leftover);
  const undecided = f
    .atLeast(['unknown'])
    .filter((e) => !covered.has(keyOf(e)))
    .map(plain);
  const root = causes[0];
  if (root) return { ...root, status, causes, undecided };
  if (undecided.length === 0)
    return { code: 'HEALTHY', status, summary: FALLBACK_CODES.HEALTHY, evidence: [], causes, undecided };
  // The agent's own credentials refused: say so, not "some links could not be checked" (it is blind, not the cluster).
  const blind = undecided.filter((e) => e.code === 'AWS_CREDENTIALS_REJECTED');
  if (blind.length > 0) {
    const others = undecided.length - blind.length;
    return {
      code: 'AGENT_CREDENTIALS_REJECTED',
      status,
      summary: `AWS refused the agent's own credentials (${blind.map((e) => e.probe).join(', ')})${others > 0 ? `; ${others} more link(s) undecided` : ''}: ${blind[0]!.message.replace(/[.\s]+$/, '')}.`,
      remediation: FINDINGS.AWS_CREDENTIALS_REJECTED.remediation,
      evidence: [...blind, ...undecided.filter((e) => e.code !== 'AWS_CREDENTIALS_REJECTED')],
      causes,
      undecided,
    };
  }
  const first = undecided[0]!;
  const more = undecided.length > 1 ? ` (and ${undecided.length - 1} more)` : '';
  return {
    code: 'UNKNOWN',
    status,
    summary: `Some links could not be checked: ${first.message.replace(/[.\s]+$/, '')}${more}.`,
    remediation: FINDINGS[first.code].remediation,
    evidence: undecided,
    causes,
    undecided,
  };
}
