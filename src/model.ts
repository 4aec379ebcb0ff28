// The result model every probe, the store, the API and the CLI share (DESIGN.md "Result model").
import type { Logger } from 'pino';
import type { AwsClients } from './clients/aws.ts';
import type { HttpFetcher } from './clients/http.ts';
import type { KubeAccess } from './clients/kube.ts';
import type { ClusterConfig } from './config/types.ts';
import type { FindingCode } from './findings.ts';

export const STATUSES = ['ok', 'warn', 'unknown', 'fail'] as const;
/** `unknown`: the probe could not decide (no permission, its own dependencies timed out). */
export type Status = (typeof STATUSES)[number];

/** A finding's weight: `info` findings never change a status. */
export type Severity = 'info' | 'warn' | 'unknown' | 'fail';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  message: string;
  remediation: string;
  /** What it is about: a URL, a role ARN, a kid, a bucket. */
  subject?: string;
  /** Facts that prove it (status code, latency, the policy statement). Never a token or a credential. */
  evidence?: Record<string, unknown>;
}

export const PROBE_NAMES = ['issuer', 'jwks', 'bucket', 'cloudtrail', 'roles'] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

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

/** What a probe may touch. Probes never read config files, write the store or alert: they return results. */
export interface ProbeContext {
  http: HttpFetcher;
  log: Logger;
  now: () => Date;
  /** The previous result of the same probe for the same cluster, if any. */
  previous?: ProbeResult;
  /** Aborted when the run's timeout passes or the agent shuts down. */
  signal: AbortSignal;
  /** AWS clients for the cluster's account and region; absent when the cluster names no account. */
  aws?: AwsClients;
  /** The cluster's API; absent when the cluster has no `kube` access configured. */
  kube?: KubeAccess;
  /** Read a projected token file (the agent's own); the token is never logged or stored. */
  readTokenFile: (path: string) => Promise<string>;
}

export interface Probe {
  name: ProbeName;
  /** One line for docs and `check` output. */
  description: string;
  /** Whether the probe has anything to check for this cluster (e.g. the bucket probe needs a bucket). Default yes. */
  appliesTo?(cluster: ClusterConfig): boolean;
  run(cluster: ClusterConfig, ctx: ProbeContext): Promise<ProbeOutcome>;
}

const RANK: Record<Status, number> = { ok: 0, warn: 1, unknown: 2, fail: 3 };

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
