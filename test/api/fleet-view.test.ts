// The API's fleet view is kept incrementally: a stored result rebuilds its own cluster's entry, not the fleet's, and
// rebuilds are coalesced; the store says which clusters changed since a revision. The alert state, which changes
// without a result being stored, is read at most every minAgeMs and changes the body and its ETag when it changed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertsApi } from '../../src/alerts/service.ts';
import type { Silence } from '../../src/alerts/types.ts';
import type { ClusterAlerts } from '../../src/alerts/view.ts';
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

describe('fleet view: the alert state', () => {
  /** The alerting API as the view reads it: per cluster, silences and windows, changed by the test. */
  function fakeAlerts() {
    const state = {
      byCluster: new Map<string, ClusterAlerts>(),
      silences: [] as Silence[],
    };
    const api: Pick<AlertsApi, 'byCluster' | 'silences' | 'activeMaintenance'> = {
      byCluster: () => new Map(state.byCluster),
      silences: () => state.silences,
      activeMaintenance: () => [],
    };
    return { state, alerts: api as AlertsApi };
  }

  type Body = { clusters: { name: string; alerts: ClusterAlerts }[]; silences: { id: string }[] };
  const alertsOf = (json: Buffer): Record<string, ClusterAlerts> =>
    Object.fromEntries((JSON.parse(json.toString()) as Body).clusters.map((c) => [c.name, c.alerts]));
  const quietly = { firing: 0, pending: 0, codes: [], quiet: false };

  it('a cluster whose alert fires or clears changes the body and its ETag, once minAgeMs has passed', async () => {
    const { state, alerts } = fakeAlerts();
    const view = createFleetView(
      { store, clusters: () => clusters, now: () => new Date('2026-11-23T10:02:00.000Z'), alerts },
      { minAgeMs: 50 },
    );
    const first = view.status();
    expect(alertsOf(first.json).b).toEqual(quietly);

    const latest = vi.spyOn(store, 'latest');
    state.byCluster.set('b', { firing: 1, pending: 0, codes: ['BUCKET_POLICY_DENIES_STS'], quiet: false });
    expect(view.status()).toBe(first); // read at most every minAgeMs
    await new Promise((r) => setTimeout(r, 60));
    const fired = view.status();
    expect(fired.etag).not.toBe(first.etag);
    expect(alertsOf(fired.json)).toEqual({
      a: quietly,
      b: { firing: 1, pending: 0, codes: ['BUCKET_POLICY_DENIES_STS'], quiet: false },
      c: quietly,
    });
    expect(latest).not.toHaveBeenCalled(); // no result was stored: no cluster entry rebuilt

    // Unchanged alert state: the same body, however often it is read.
    await new Promise((r) => setTimeout(r, 60));
    expect(view.status()).toBe(fired);

    // A silence: quiet, and listed.
    state.byCluster.set('b', { firing: 1, pending: 0, codes: ['BUCKET_POLICY_DENIES_STS'], quiet: true });
    state.silences = [
      {
        id: 's1',
        matchers: [{ name: 'cluster', value: 'b' }],
        startsAt: '2026-11-23T10:00:00.000Z',
        endsAt: '2099-01-01T00:00:00.000Z',
        comment: 'x',
        createdBy: 'ops',
        createdAt: '2026-11-23T10:00:00.000Z',
      },
    ];
    await new Promise((r) => setTimeout(r, 60));
    const silenced = view.status();
    expect(silenced.etag).not.toBe(fired.etag);
    expect(alertsOf(silenced.json).b?.quiet).toBe(true);
    expect((JSON.parse(silenced.json.toString()) as Body).silences.map((s) => s.id)).toEqual(['s1']);

    // Cleared: back to the first body, byte for byte.
    state.byCluster.clear();
    state.silences = [];
    await new Promise((r) => setTimeout(r, 60));
    const cleared = view.status();
    expect(cleared.etag).toBe(first.etag);
    expect(cleared.json.equals(first.json)).toBe(true);
  });
});
