// The fleet's status as the API, the status page and `check` show it: per cluster its worst probe and its kept
// diagnosis, per probe the latest run. A cluster no probe has reported on yet is `unknown`.
import type { ClusterConfig } from './core/cluster.ts';
import { clusterStatus, worst } from './core/model.ts';
import type { ProbeName, ProbeResult, Status } from './core/model.ts';
import { notChecked } from './diagnosis/diagnose.ts';
import type { Diagnosis } from './diagnosis/diagnose.ts';

export interface ProbeSummary {
  status: Status;
  lastRun: string;
  durationMs: number;
  findings: string[];
}

export interface ClusterSummary {
  name: string;
  status: Status;
  issuer: string;
  labels: Record<string, string>;
  /** One root cause from the latest results of every probe: what the status page shows first. */
  diagnosis: Diagnosis;
  probes: Partial<Record<ProbeName, ProbeSummary>>;
}

export interface FleetStatus {
  status: Status;
  generatedAt: string;
  clusters: ClusterSummary[];
}

export { clusterStatus };

/** One cluster as the status shows it: its worst probe, its kept diagnosis, per probe the latest run. */
export function clusterSummary(
  c: ClusterConfig,
  results: readonly ProbeResult[],
  diagnosis: Diagnosis | undefined,
): ClusterSummary {
  const probes: Partial<Record<ProbeName, ProbeSummary>> = {};
  for (const r of results) {
    probes[r.probe] = {
      status: r.status,
      lastRun: r.startedAt,
      durationMs: r.durationMs,
      findings: r.findings.map((f) => f.code),
    };
  }
  return {
    name: c.name,
    status: clusterStatus(results),
    issuer: c.issuer,
    labels: c.labels,
    diagnosis: diagnosis ?? notChecked(),
    probes,
  };
}

/** The fleet's status from its clusters' summaries: the worst cluster's (`ok` for an empty fleet). */
export const fleetOf = (summaries: ClusterSummary[], now: Date): FleetStatus => ({
  status: summaries.length === 0 ? 'ok' : worst(summaries.map((s) => s.status)),
  generatedAt: now.toISOString(),
  clusters: summaries,
});

/** The fleet's status from the stored latest results and the diagnoses kept with them. */
export function fleetStatus(
  clusters: readonly ClusterConfig[],
  latest: readonly ProbeResult[],
  diagnoses: ReadonlyMap<string, Diagnosis>,
  now: Date,
): FleetStatus {
  const byCluster = Map.groupBy(latest, (r) => r.cluster);
  return fleetOf(
    clusters.map((c) => clusterSummary(c, byCluster.get(c.name) ?? [], diagnoses.get(c.name))),
    now,
  );
}
