// The fleet as the read-mostly routes serve it (status, summary.json, badges, the page): built from the stored latest
// results and the diagnoses kept with them, once per change of the store (its revision) or of the fleet, and at most
// every `minAgeMs` while probes keep storing results. Bodies are serialised, redacted and tagged once, so a status page
// polling every few seconds costs a lookup, not a diagnosis of the fleet.
import { createHash } from 'node:crypto';
import type { ClusterConfig } from '../core/cluster.ts';
import { redactText } from '../redact.ts';
import { fleetStatus } from '../status.ts';
import type { FleetStatus } from '../status.ts';
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
  /** A view younger than this is served even if the store changed since. Default 250 ms. */
  minAgeMs?: number;
  /** A view older than this is rebuilt even if nothing changed (ages, maintenance windows). Default 15 s. */
  maxAgeMs?: number;
}

export const etagOf = (buf: Buffer): string =>
  `W/"${createHash('sha1').update(buf).digest('base64url').slice(0, 22)}"`;

const body = (value: unknown): Body => {
  const json = Buffer.from(redactText(JSON.stringify(value)));
  return { json, etag: etagOf(json) };
};

interface Built {
  revision: number;
  clusters: readonly ClusterConfig[];
  at: number;
  fleet: FleetStatus;
  status?: Body;
  summary?: Body;
}

export function createFleetView(deps: ApiDeps, opts: FleetViewOptions = {}): FleetView {
  const minAgeMs = opts.minAgeMs ?? 250;
  const maxAgeMs = opts.maxAgeMs ?? 15_000;
  let built: Built | undefined;

  // Ages on the monotonic clock: deps.now() is the time shown (and a test may hold it still).
  const current = (): Built => {
    const revision = deps.store.revision();
    const clusters = deps.clusters();
    const t = performance.now();
    if (built && built.clusters === clusters) {
      const age = t - built.at;
      const changed = built.revision !== revision;
      if ((!changed && age < maxAgeMs) || (changed && age < minAgeMs)) return built;
    }
    const fleet = fleetStatus(clusters, deps.store.latest(), deps.store.diagnoses(), deps.now());
    built = { revision, clusters, at: t, fleet };
    return built;
  };

  return {
    fleet: () => current().fleet,
    status() {
      const b = current();
      return (b.status ??= body(b.fleet));
    },
    summary() {
      const b = current();
      return (b.summary ??= body(statuspageSummary(b.fleet, deps)));
    },
  };
}
