// The fleet as the read-mostly routes serve it (status, summary.json, badges, the page), kept up to date incrementally:
// each cluster's summary is built from its stored latest results and kept diagnosis when the store says the cluster
// changed (its revision), serialised and redacted once, and the status body is the concatenation of those fragments.
// Rebuilds are coalesced (at most every `minAgeMs`), so a status page polling every few seconds, or a thousand of them,
// costs a lookup and a 304, not a diagnosis of the fleet.
import { createHash } from 'node:crypto';
import type { ClusterConfig } from '../core/cluster.ts';
import { worst } from '../core/model.ts';
import { silenceActive } from '../alerts/quiet.ts';
import { redactText } from '../redact.ts';
import { clusterSummary, fleetOf } from '../status.ts';
import type { ClusterSummary, FleetStatus } from '../status.ts';
import type { ApiDeps } from './deps.ts';
import { statuspageSummary } from './statuspage.ts';

/** A serialised JSON body and its validator. */
export interface Body {
  json: Buffer;
  etag: string;
}

export interface FleetView {
  fleet(): FleetStatus;
  status(): Body;
  summary(): Body;
}

export interface FleetViewOptions {
  /**
   * A view younger than this is served even if the store changed since. Default 1000 ms: at fleet size results arrive
   * every few milliseconds, and each rebuild of the status body (and its ETag and gzip) is the whole fleet's JSON; the
   * routes tell clients the same (Cache-Control max-age=2).
   */
  minAgeMs?: number;
}

export const etagOf = (buf: Buffer | string): string =>
  `W/"${createHash('sha1').update(buf).digest('base64url').slice(0, 22)}"`;

const body = (value: unknown): Body => {
  const json = Buffer.from(redactText(JSON.stringify(value)));
  return { json, etag: etagOf(json) };
};

interface Entry {
  summary: ClusterSummary;
  /** The summary as JSON, redacted. */
  json: string;
}

/** What the status body shows of alerting: per cluster (JSON), and the silences and maintenance windows in force. */
interface AlertsPart {
  at: number;
  key: string;
  clusters: Map<string, string>;
  /** `"silences":[...],"maintenance":[...]` */
  tail: string;
}

const NO_ALERTS = JSON.stringify({ firing: 0, pending: 0, codes: [], quiet: false });

interface State {
  revision: number;
  clusters: readonly ClusterConfig[];
  entries: Map<string, Entry>;
  /** Monotonic time of the last rebuild. */
  at: number;
  generatedAt: Date;
  fleet?: FleetStatus;
  status?: Body & { alertsKey: string };
  summary?: Body & { at: number };
}

/** summary.json also shows maintenance windows, which start and end without a result being stored. */
const SUMMARY_MAX_AGE_MS = 15_000;

export function createFleetView(deps: ApiDeps, opts: FleetViewOptions = {}): FleetView {
  const minAgeMs = opts.minAgeMs ?? 1000;
  let state: State | undefined;

  const entryOf = (c: ClusterConfig): Entry => {
    const summary = clusterSummary(c, deps.store.latest(c.name), deps.store.diagnosis(c.name));
    return { summary, json: redactText(JSON.stringify(summary)) };
  };

  /** Every cluster's entry built anew (a changed fleet, or a store that cannot say what changed). */
  const full = (revision: number, clusters: readonly ClusterConfig[]): State => {
    const byCluster = Map.groupBy(deps.store.latest(), (r) => r.cluster);
    const diagnoses = deps.store.diagnoses();
    const entries = new Map<string, Entry>();
    for (const c of clusters) {
      const summary = clusterSummary(c, byCluster.get(c.name) ?? [], diagnoses.get(c.name));
      entries.set(c.name, { summary, json: redactText(JSON.stringify(summary)) });
    }
    return { revision, clusters, entries, at: performance.now(), generatedAt: deps.now() };
  };

  // Ages on the monotonic clock: deps.now() is the time shown (and a test may hold it still).
  const current = (): State => {
    const revision = deps.store.revision();
    const clusters = deps.clusters();
    if (!state || state.clusters !== clusters) return (state = full(revision, clusters));
    if (state.revision === revision || performance.now() - state.at < minAgeMs) return state;
    const changed = deps.store.changedSince(state.revision);
    if (changed === undefined) return (state = full(revision, clusters));
    const entries = new Map(state.entries);
    const byName = new Map(clusters.map((c) => [c.name, c]));
    for (const name of changed) {
      const c = byName.get(name);
      if (c) entries.set(name, entryOf(c));
    }
    return (state = { revision, clusters, entries, at: performance.now(), generatedAt: deps.now() });
  };

  // Alert state changes without a result being stored: read at most every minAgeMs, the body rebuilt when it changed.
  let alertsPart: AlertsPart | undefined;
  const alertsNow = (): AlertsPart => {
    if (alertsPart && performance.now() - alertsPart.at < minAgeMs) return alertsPart;
    const alerts = deps.alerts;
    const now = deps.now();
    const clusters = new Map<string, string>();
    for (const [name, a] of alerts?.byCluster() ?? []) clusters.set(name, redactText(JSON.stringify(a)));
    const silences = alerts ? alerts.silences().map((x) => ({ ...x, active: silenceActive(x, now) })) : [];
    const maintenance = alerts ? alerts.activeMaintenance(now) : [];
    const tail = redactText(`"silences":${JSON.stringify(silences)},"maintenance":${JSON.stringify(maintenance)}`);
    const key = `${JSON.stringify([...clusters].sort(([a], [b]) => a.localeCompare(b)))}${tail}`;
    return (alertsPart = { at: performance.now(), key, clusters, tail });
  };

  const fleetStatusOf = (s: State): FleetStatus =>
    (s.fleet ??= fleetOf(
      s.clusters.map((c) => s.entries.get(c.name)!.summary),
      s.generatedAt,
    ));

  return {
    fleet: () => fleetStatusOf(current()),
    status() {
      const s = current();
      const alerts = alertsNow();
      if (s.status?.alertsKey === alerts.key) return s.status;
      const entries = s.clusters.map((c) => s.entries.get(c.name)!);
      const status = entries.length === 0 ? 'ok' : worst(entries.map((e) => e.summary.status));
      // Each cluster's fragment is an object: its alerts go in before the closing brace.
      const clusters = s.clusters.map(
        (c) => `${s.entries.get(c.name)!.json.slice(0, -1)},"alerts":${alerts.clusters.get(c.name) ?? NO_ALERTS}}`,
      );
      const json = Buffer.from(
        `{"status":"${status}","generatedAt":"${s.generatedAt.toISOString()}","clusters":[${clusters.join(',')}],${alerts.tail}}`,
      );
      return (s.status = { json, etag: etagOf(json), alertsKey: alerts.key });
    },
    summary() {
      const s = current();
      if (!s.summary || performance.now() - s.summary.at > SUMMARY_MAX_AGE_MS)
        s.summary = { ...body(statuspageSummary(fleetStatusOf(s), deps)), at: performance.now() };
      return s.summary;
    },
  };
}
