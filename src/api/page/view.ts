// The facts the page shows, gathered from the stored state once per request: per cluster its status, diagnosis and
// per probe the latest run with its staleness; the fleet's counts; the filters. Rendering (fleet.ts, cluster.ts)
// only formats these.
import { clusterStatus, PROBE_NAMES, STATUSES } from '../../core/model.ts';
import type { ProbeName, ProbeResult, Status } from '../../core/model.ts';
import type { ClusterConfig } from '../../core/cluster.ts';
import { notChecked } from '../../diagnosis/diagnose.ts';
import type { Diagnosis } from '../../diagnosis/diagnose.ts';
import { periodMsOf } from '../../scheduler/scheduler.ts';

import type { ApiDeps } from '../deps.ts';
import type { Mark } from './format.ts';

/** A probe whose latest result is older than this many of its periods is stale. */
export const STALE_PERIODS = 3;

/** Each probe's schedule period in ms; undefined where it is not known (then the probe is never called stale). */
export type Periods = Partial<Record<ProbeName, number>>;

/** The periods of the configured schedules; a disabled schedule or one of no simple period has none. */
export function periodsOf(deps: Pick<ApiDeps, 'schedules'>): Periods {
  const schedules = deps.schedules?.();
  if (!schedules) return {};
  const periods: Periods = {};
  for (const probe of PROBE_NAMES) {
    const s = schedules[probe];
    if (!s || s.enabled === false) continue;
    const ms = periodMsOf(s.cron);
    if (ms !== undefined) periods[probe] = ms;
  }
  return periods;
}

export interface ProbeState {
  probe: ProbeName;
  result: ProbeResult;
  /** How long ago it started, at the time of the request. */
  ageMs: number;
  /** No report for more than STALE_PERIODS periods. */
  stale: boolean;
  periodMs?: number;
}

export interface ClusterView {
  cluster: ClusterConfig;
  status: Status;
  diagnosis: Diagnosis;
  /** The latest run of each probe that has reported, in PROBE_NAMES order. */
  probes: ProbeState[];
  /** Some probe is stale. */
  stale: boolean;
  /** The newest run of any probe. */
  lastRun?: string;
}

export function probeState(result: ProbeResult, periods: Periods, now: Date): ProbeState {
  const ageMs = now.getTime() - Date.parse(result.startedAt);
  const periodMs = periods[result.probe];
  const stale = periodMs !== undefined && ageMs > STALE_PERIODS * periodMs;
  return { probe: result.probe, result, ageMs, stale, ...(periodMs !== undefined && { periodMs }) };
}

export function clusterView(
  cluster: ClusterConfig,
  results: readonly ProbeResult[],
  diagnosis: Diagnosis | undefined,
  periods: Periods,
  now: Date,
): ClusterView {
  const probes = PROBE_NAMES.flatMap((p) => {
    const r = results.find((x) => x.probe === p);
    return r ? [probeState(r, periods, now)] : [];
  });
  let lastRun: string | undefined;
  let lastMs = -Infinity;
  for (const p of probes) {
    const ms = Date.parse(p.result.startedAt);
    if (ms > lastMs) [lastMs, lastRun] = [ms, p.result.startedAt];
  }
  return {
    cluster,
    status: clusterStatus(results),
    diagnosis: diagnosis ?? notChecked(),
    probes,
    stale: probes.some((p) => p.stale),
    ...(lastRun !== undefined && { lastRun }),
  };
}

const RANK: Record<Status, number> = { fail: 0, warn: 1, unknown: 2, ok: 3 };

/** Worst first (fail, warn, unknown, ok); within a status stale first, then by name. */
export function worstFirst(a: ClusterView, b: ClusterView): number {
  return (
    RANK[a.status] - RANK[b.status] ||
    Number(b.stale) - Number(a.stale) ||
    (a.cluster.name < b.cluster.name ? -1 : a.cluster.name > b.cluster.name ? 1 : 0)
  );
}

/** Every cluster of the fleet with its latest results and kept diagnosis: two store reads, none per cluster. */
export function fleetViews(deps: Omit<ApiDeps, 'alerts'>, now: Date): ClusterView[] {
  const periods = periodsOf(deps);
  const byCluster = Map.groupBy(deps.store.latest(), (r) => r.cluster);
  const diagnoses = deps.store.diagnoses();
  return deps
    .clusters()
    .map((c) => clusterView(c, byCluster.get(c.name) ?? [], diagnoses.get(c.name), periods, now))
    .sort(worstFirst);
}

export type Counts = Record<Mark, number> & { total: number };

/** Clusters by status, and how many have a stale probe (those count under their last status too). */
export function countsOf(views: readonly ClusterView[]): Counts {
  const counts: Counts = { total: views.length, fail: 0, warn: 0, unknown: 0, ok: 0, stale: 0 };
  for (const v of views) {
    counts[v.status]++;
    if (v.stale) counts.stale++;
  }
  return counts;
}

export interface FleetFilter {
  /** Statuses to show (stale: clusters with a stale probe); none: all. */
  statuses: Mark[];
  /** `key=value` (that label with that value) or `key` (that label set); every one must hold. A query's `label`
   * may list several, comma-separated. */
  labels: string[];
  /** Part of the cluster name, case-insensitive. */
  name: string;
}

export interface FleetQuery {
  status?: string[];
  label?: string[];
  q?: string;
}

const MARKS: readonly string[] = [...STATUSES, 'stale'];

/** The filter of a query string; empty values (a form sent with nothing chosen) and unknown statuses ignored. */
export function filterOf(query: FleetQuery): FleetFilter {
  const statuses = [...new Set((query.status ?? []).filter((s) => MARKS.includes(s)))] as Mark[];
  const labels = [
    ...new Set(
      (query.label ?? [])
        .flatMap((l) => l.split(','))
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    ),
  ];
  return { statuses, labels, name: (query.q ?? '').trim() };
}

export const isFiltered = (f: FleetFilter): boolean => f.statuses.length > 0 || f.labels.length > 0 || f.name !== '';

function labelHolds(labels: Readonly<Record<string, string>>, wanted: string): boolean {
  const eq = wanted.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, wanted);
  const key = wanted.slice(0, eq).trim();
  return Object.hasOwn(labels, key) && labels[key] === wanted.slice(eq + 1).trim();
}

export function matches(v: ClusterView, f: FleetFilter): boolean {
  if (f.statuses.length > 0 && !f.statuses.some((s) => (s === 'stale' ? v.stale : v.status === s))) return false;
  if (!f.labels.every((l) => labelHolds(v.cluster.labels, l))) return false;
  return f.name === '' || v.cluster.name.toLowerCase().includes(f.name.toLowerCase());
}
