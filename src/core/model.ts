// The result model every probe, the store, the API and the CLI share (DESIGN.md "Result model"). It imports nothing:
// config, clients, findings and probes build on it, never the other way round.

export const STATUSES = ['ok', 'warn', 'unknown', 'fail'] as const;
/** `unknown`: the probe could not decide (no permission, its own dependencies timed out). */
export type Status = (typeof STATUSES)[number];

export const SEVERITIES = ['info', 'warn', 'unknown', 'fail'] as const;
/** A finding's weight: `info` findings never change a status. */
export type Severity = (typeof SEVERITIES)[number];

/** The probes, in the order the docs, `check` and the API list them. Each has its folder under probes/. */
export const PROBE_NAMES = ['issuer', 'jwks', 'bucket', 'cloudtrail', 'roles'] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

export interface Finding {
  /** A stable UPPER_SNAKE code of the finding table (src/findings.ts). */
  code: string;
  severity: Severity;
  message: string;
  remediation: string;
  /** What it is about: a URL, a role ARN, a kid, a bucket. */
  subject?: string;
  /** Facts that prove it, typed per code by the probe that emits it. Never a token or a credential. */
  evidence?: Record<string, unknown>;
}

/** What a probe returns; the runner adds status, timing and identity. */
export interface ProbeOutcome {
  findings: Finding[];
  /** Facts the probe wants to see again next run (change detection), e.g. the JWKS kids. No secrets. */
  observations?: Record<string, unknown>;
}

export interface ProbeResult extends ProbeOutcome {
  cluster: string;
  probe: ProbeName;
  status: Status;
  /** ISO 8601 */
  startedAt: string;
  durationMs: number;
  traceId?: string;
}

/** A decided problem outranks an undecided link: `unknown` hides no warning or failure. */
const RANK: Record<Status, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };

/** The worst of some statuses (`ok` for none): a cluster's status is its worst probe's. */
export function worst(statuses: Iterable<Status>): Status {
  let w: Status = 'ok';
  for (const s of statuses) if (RANK[s] > RANK[w]) w = s;
  return w;
}

/** A result's status from its findings: the worst severity, `info` counting as ok. */
export function statusOf(findings: readonly Finding[]): Status {
  return worst(findings.map((f) => (f.severity === 'info' ? 'ok' : f.severity)));
}

/** A cluster's status from its latest results: the worst, `unknown` while no probe has reported. */
export function clusterStatus(results: readonly ProbeResult[]): Status {
  return results.length === 0 ? 'unknown' : worst(results.map((r) => r.status));
}
