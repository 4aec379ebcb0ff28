// The API's fleet view is kept incrementally: a stored result rebuilds its own cluster's entry, not the fleet's, and
// rebuilds are coalesced; the store says which clusters changed since a revision.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFleetView } from '../../src/api/fleet-view.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';

const cluster = (name: string): ClusterConfig => ({
  name,
  issuer: `https://${name}-oidc.s3.us-east-1.amazonaws.com`,
  region: 'us-east-1',
  labels: {},
  ...clusterDefaults('openshift'),
});
const clusters = ['a', 'b', 'c'].map(cluster);
const ok = (c: string, startedAt: string): ProbeResult => ({
  cluster: c,
  probe: 'issuer',
  status: 'ok',
  startedAt,
  durationMs: 5,
  findings: [],
});

let store: SqliteStore;
beforeEach(() => {
  store = openSqliteStore({ dataDir: '', inMemory: true });
  for (const c of clusters) store.saveResult(ok(c.name, '2026-11-23T10:00:00.000Z'));
});
afterEach(() => store.close());

describe('the store tells what changed', () => {
  it('names the clusters changed after a revision, and cannot tell about one it never had', () => {
    const r = store.revision();
    store.saveResult(ok('b', '2026-11-23T10:01:00.000Z'));
    expect(store.revision()).toBeGreaterThan(r);
    expect(store.changedSince(r)).toEqual(['b']);
    expect(store.changedSince(store.revision())).toEqual([]);
    expect(store.changedSince(store.revision() + 1)).toBeUndefined();
  });
});

describe('fleet view', () => {
  it('rebuilds only the changed cluster, once its coalescing window has passed', async () => {
    const view = createFleetView(
      { store, clusters: () => clusters, now: () => new Date('2026-11-23T10:02:00.000Z') },
      { minAgeMs: 50 },
    );
    const first = view.status();
    expect(view.status()).toBe(first); // nothing changed: the same body
    const latest = vi.spyOn(store, 'latest');
    store.saveResult({ ...ok('c', '2026-11-23T10:01:00.000Z'), status: 'fail', findings: [] });
    expect(view.status()).toBe(first); // within the window: still the coalesced body
    await new Promise((r) => setTimeout(r, 60));
    const next = view.status();
    expect(next.etag).not.toBe(first.etag);
    expect(latest.mock.calls).toEqual([['c']]);
    const body = JSON.parse(next.json.toString()) as { status: string; clusters: { name: string; status: string }[] };
    expect(body.status).toBe('fail');
    expect(body.clusters.map((c) => [c.name, c.status])).toEqual([
      ['a', 'ok'],
      ['b', 'ok'],
      ['c', 'fail'],
    ]);
  });

  it('rebuilds whole when the fleet changes', () => {
    let fleet = clusters;
    const view = createFleetView({ store, clusters: () => fleet, now: () => new Date() });
    expect(view.fleet().clusters).toHaveLength(3);
    fleet = [...clusters, cluster('d')];
    expect(view.fleet().clusters.map((c) => [c.name, c.diagnosis.code])).toEqual([
      ['a', 'HEALTHY'],
      ['b', 'HEALTHY'],
      ['c', 'HEALTHY'],
      ['d', 'NOT_CHECKED'],
    ]);
  });
});
