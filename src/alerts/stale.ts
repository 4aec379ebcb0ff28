// Staleness: a cluster whose probes have not reported for `periods` of their periods raises STALE. The clock starts at
// the agent's start for a probe with no result since, so a restart (whose stored results are all old) raises nothing
// until the probes had their chance.
import type { ProbeResult } from '../core/model.ts';
import type { StaleReport } from './engine.ts';

/** A (cluster, probe) the scheduler runs, and its period. */
export interface ExpectedRun {
  cluster: string;
  probe: string;
  periodMs: number;
}

/** The cluster's probes that are stale at `now`; empty when every one reported in time. */
export function staleProbes(
  expected: readonly ExpectedRun[],
  latest: readonly ProbeResult[],
  startedAt: Date,
  now: Date,
  periods: number,
): StaleReport['probes'] {
  const out: StaleReport['probes'] = [];
  for (const run of expected) {
    const result = latest.find((r) => r.probe === run.probe);
    const reported = result ? Date.parse(result.startedAt) + result.durationMs : Number.NEGATIVE_INFINITY;
    const since = Math.max(reported, startedAt.getTime());
    if (now.getTime() - since > periods * run.periodMs)
      out.push({ probe: run.probe, since: result ? result.startedAt : 'never', periods });
  }
  return out;
}
