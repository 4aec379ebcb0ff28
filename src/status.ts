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

/** The fleet's status from the stored latest results and the diagnoses kept with them. */
export function fleetStatus(
  clusters: readonly ClusterConfig[],
  latest: readonly ProbeResult[],
  diagnoses: ReadonlyMap<string, Diagnosis>,
  now: Date,
): FleetStatus {
  const byCluster = Map.groupBy(latest, (r) => r.cluster);
  const summaries = clusters.map((c): ClusterSummary => {
    const results = byCluster.get(c.name) ?? [];
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
      diagnosis: diagnoses.get(c.name) ?? notChecked(),
      probes,
    };
  });
  return {
    status: summaries.length === 0 ? 'ok' : worst(summaries.map((s) => s.status)),
    generatedAt: now.toISOString(),
    clusters: summaries,
  };
}
