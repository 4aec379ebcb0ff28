// Who may read what (server.access): by default the status page, summary.json, badges, health and metrics answer
// anyone, the details (ARNs, account ids, error text, evidence, alerts, silences, the what-if, cluster pages) need a
// bearer token with the read scope, and mutating routes always need the write scope. A refused request answers 401
// with WWW-Authenticate: Bearer and the error shape and shows nothing of the fleet; each surface follows its setting.
// While the details need a token, the public page and summary.json hide the account ids of the ARNs they quote.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlertService } from '../../src/alerts/service.ts';
import type { AlertService } from '../../src/alerts/service.ts';
import { buildApi } from '../../src/api/app.ts';
import { accessWarning, createApiAuth } from '../../src/api/auth.ts';
import { hideAccounts } from '../../src/api/public-text.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import { DEFAULT_ACCESS, SURFACES } from '../../src/core/access.ts';
import type { AccessPolicy, Surface } from '../../src/core/access.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';
import { createMetrics } from '../../src/telemetry/metrics.ts';
import type { Metrics } from '../../src/telemetry/metrics.ts';
import { silent } from '../alerts/fixtures.ts';
import {
  ACCOUNT,
  ALICE,
  bucketDenied,
  CLUSTER,
  changedBy,
  everyRoleFails,
  ISSUER,
  REGION,
  result,
} from '../diagnosis/results.ts';
import { OPEN_ACCESS } from '../helpers/api-access.ts';

const READ = 'read-token-0123456789abcdefgh';
const WRITE = 'write-token-0123456789abcdef';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const clusters: ClusterConfig[] = [
  { name: CLUSTER, issuer: ISSUER, region: REGION, account: 'prod', labels: { env: 'prod' }, ...clusterDefaults() },
];

/** The cluster broken by a Deny alice put: its diagnosis names her ARN, its roles results every role ARN and STS's error. */
function broken(at: string): ProbeResult[] {
  return [
    everyRoleFails('ASSUME_KEY_RETRIEVAL_FAILED'),
    result('bucket', [bucketDenied('DenyOutsideVpce')]),
    result('cloudtrail', [changedBy('PutBucketPolicy', '2026-12-02T14:02:11.000Z', ALICE)]),
  ].map((r) => ({ ...r, startedAt: at }));
}

let store: SqliteStore;
let alerts: AlertService;
let metrics: Metrics;
let app: FastifyInstance | undefined;

beforeAll(() => {
  store = openSqliteStore({ dataDir: '', inMemory: true });
  alerts = createAlertService({
    config: {
      failAfter: 2,
      resolveAfter: 2,
      reminderMinutes: 240,
      sendResolved: true,
      staleAfterPeriods: 3,
      rerunCooldownSeconds: 60,
      recentHours: 24,
      retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 50 },
      sinks: [],
      routes: [],
      maintenance: [],
    },
    clusters: () => clusters,
    results: store,
    store: store.alertStore(),
    sinks: [],
    expected: () => [],
    baseUrl: () => 'http://127.0.0.1:8080',
    log: silent,
    tickMs: 3_600_000,
  });
  // Two evaluations finding the cause: the alert fires (its summary is the diagnosis, naming alice).
  for (const at of ['2026-12-02T14:10:00.000Z', '2026-12-02T14:11:00.000Z']) {
    for (const r of broken(at)) store.saveResult(r);
    alerts.evaluate(CLUSTER);
  }
  expect(alerts.firing().map((a) => a.cluster)).toEqual([CLUSTER]);
  metrics = createMetrics({
    latest: () => store.latest(),
    diagnoses: () => store.diagnoses(),
    clusters: () => clusters,
    periodMs: () => 60_000,
    now: () => new Date('2026-12-02T14:12:00.000Z'),
  });
});
afterAll(async () => {
  await alerts.stop(100);
  store.close();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function api(access?: AccessPolicy): Promise<FastifyInstance> {
  await app?.close();
  app = await buildApi({
    store,
    clusters: () => clusters,
    now: () => new Date('2026-12-02T14:12:00.000Z'),
    alerts,
    metrics,
    ...(access && { access }),
    simulateBucketPolicy: (cluster) =>
      Promise.resolve({ cluster: cluster.name, bucket: 'b', wouldBreak: false, documents: [], findings: [] }),
    runProbe: (cluster, probe) => {
      const latest = store.latest(cluster).find((r) => r.probe === probe);
      return latest ? Promise.resolve({ result: latest, joined: false }) : Promise.reject(new Error('no result'));
    },
    auth: createApiAuth([
      { name: 'dashboard', token: READ, scopes: ['read'] },
      { name: 'ops', token: WRITE, scopes: ['read', 'write'] },
    ]),
  });
  return app;
}

const policy = { Version: '2012-10-17', Statement: [] };

/** A request per route of each surface, and the status it answers once let in. */
const SURFACE_REQUESTS: Record<Surface, [InjectOptions, number][]> = {
  page: [[{ method: 'GET', url: '/' }, 200]],
  summary: [[{ method: 'GET', url: '/api/v1/summary.json' }, 200]],
  badges: [
    [{ method: 'GET', url: `/badges/${CLUSTER}/health.svg` }, 200],
    [{ method: 'GET', url: '/badges/fleet/health.json' }, 200],
  ],
  health: [
    [{ method: 'GET', url: '/healthz' }, 200],
    [{ method: 'GET', url: '/readyz' }, 200],
  ],
  metrics: [[{ method: 'GET', url: '/metrics' }, 200]],
  details: [
    [{ method: 'GET', url: '/api/v1/status' }, 200],
    [{ method: 'HEAD', url: '/api/v1/status' }, 200],
    [{ method: 'GET', url: `/api/v1/clusters/${CLUSTER}` }, 200],
    [{ method: 'GET', url: `/api/v1/clusters/${CLUSTER}/history` }, 200],
    [{ method: 'GET', url: `/api/v1/clusters/${CLUSTER}/roles` }, 200],
    [{ method: 'GET', url: '/api/v1/alerts' }, 200],
    [{ method: 'GET', url: '/api/v1/silences' }, 200],
    [{ method: 'GET', url: `/clusters/${CLUSTER}` }, 200],
    [{ method: 'POST', url: `/api/v1/clusters/${CLUSTER}/bucket-policy/simulate`, payload: policy }, 200],
  ],
};

const MUTATING: [InjectOptions, number][] = [
  [{ method: 'POST', url: `/api/v1/clusters/${CLUSTER}/probes/bucket/run` }, 200],
  [
    {
      method: 'POST',
      url: '/api/v1/silences',
      // Another cluster's: the alert above stays unsilenced (summary.json's incidents).
      payload: { matchers: [{ name: 'cluster', value: 'elsewhere' }], durationMinutes: 5, comment: 'x' },
    },
    201,
  ],
  [{ method: 'DELETE', url: '/api/v1/silences/no-such-silence' }, 404],
  [{ method: 'POST', url: '/api/v1/sinks/no-such-sink/test' }, 404],
];

const label = (r: InjectOptions) => `${r.method ?? 'GET'} ${r.url as string}`;
const send = (a: FastifyInstance, r: InjectOptions, headers: Record<string, string> = {}) =>
  a.inject({ ...r, headers: { ...r.headers, ...headers } });

/** A refusal: the status, the Bearer challenge (401), the error shape, and nothing of the fleet in it. */
async function expectRefused(a: FastifyInstance, r: InjectOptions, headers: Record<string, string>, status: 401 | 403) {
  const res = await send(a, r, headers);
  expect(res.statusCode, label(r)).toBe(status);
  if (status === 401) expect(res.headers['www-authenticate'], label(r)).toBe('Bearer realm="irsa-sentinel"');
  if (r.method === 'HEAD') return;
  expect(res.json(), label(r)).toEqual({
    error: { code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', message: expect.any(String) as unknown },
  });
  for (const leak of [ACCOUNT, 'arn:', 'alice', CLUSTER, 'DenyOutsideVpce', 'BUCKET_POLICY_DENIES_STS', READ, WRITE])
    expect(res.body, `${label(r)} leaks ${leak}`).not.toContain(leak);
}

describe('the defaults', () => {
  it('are: page, summary, badges, health and metrics public; details behind a token', () => {
    expect(DEFAULT_ACCESS).toEqual({
      page: 'public',
      summary: 'public',
      badges: 'public',
      health: 'public',
      metrics: 'public',
      details: 'token',
    });
  });

  it.each(SURFACE_REQUESTS.details.map(([r, ok]) => [label(r), r, ok] as const))(
    'details: %s answers 401 without a token or with a wrong one, and once let in with a read token',
    async (_label, r, ok) => {
      const a = await api();
      await expectRefused(a, r, {}, 401);
      await expectRefused(a, r, bearer('not-a-token-0000000000000'), 401);
      await expectRefused(a, r, { authorization: `Basic ${Buffer.from(`x:${READ}`).toString('base64')}` }, 401);
      // Read routes take either scope (write includes read): no token can lack it, so no 403 here.
      for (const token of [READ, WRITE]) expect((await send(a, r, bearer(token))).statusCode, label(r)).toBe(ok);
    },
  );

  it('a refused caller cannot tell a cluster that exists from one that does not', async () => {
    const a = await api();
    for (const name of [CLUSTER, 'no-such-cluster']) {
      await expectRefused(a, { method: 'GET', url: `/api/v1/clusters/${name}` }, {}, 401);
      await expectRefused(a, { method: 'GET', url: `/clusters/${name}` }, {}, 401);
    }
    const unknown = await a.inject({ method: 'GET', url: '/api/v1/clusters/no-such-cluster', headers: bearer(READ) });
    expect(unknown.json()).toMatchObject({ error: { code: 'CLUSTER_NOT_FOUND' } });
  });

  it('authenticates before validating: bad input without a token is 401, not 400', async () => {
    const a = await api();
    await expectRefused(a, { method: 'GET', url: `/api/v1/clusters/${CLUSTER}/history?limit=-5` }, {}, 401);
    await expectRefused(
      a,
      { method: 'POST', url: `/api/v1/clusters/${CLUSTER}/bucket-policy/simulate`, payload: '{not json' },
      { 'content-type': 'application/json' },
      401,
    );
  });

  it.each(MUTATING.map(([r, ok]) => [label(r), r, ok] as const))(
    'mutating: %s answers 401 without a token, 403 with a read token, and runs with a write token',
    async (_label, r, ok) => {
      // Even with every read surface public.
      for (const access of [undefined, OPEN_ACCESS]) {
        const a = await api(access);
        await expectRefused(a, r, {}, 401);
        await expectRefused(a, r, bearer(READ), 403);
        expect((await send(a, r, bearer(WRITE))).statusCode, label(r)).toBe(ok);
      }
    },
  );

  it.each(
    (['page', 'summary', 'badges', 'health', 'metrics'] as const).flatMap((s) =>
      SURFACE_REQUESTS[s].map(([r, ok]) => [s, label(r), r, ok] as const),
    ),
  )('%s: %s answers without a token', async (_surface, _label, r, ok) => {
    const a = await api();
    expect((await send(a, r)).statusCode).toBe(ok);
  });

  it('the OpenAPI document and its UI, and the page assets, are public', async () => {
    const a = await api();
    for (const url of ['/docs/json', '/docs/', '/assets/page.css', '/assets/page.js'])
      expect((await a.inject({ method: 'GET', url })).statusCode, url).toBe(200);
  });

  it('the OpenAPI document marks the routes that need a token with the bearer scheme', async () => {
    const a = await api();
    const doc = (await a.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    }>();
    expect(doc.paths['/api/v1/status']?.get?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/clusters/{name}/probes/{probe}/run']?.post?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/summary.json']?.get?.security).toEqual([]);
  });
});

describe('each surface follows server.access', () => {
  const only = (surface: Surface, mode: 'public' | 'token', rest: 'public' | 'token'): AccessPolicy =>
    Object.fromEntries(SURFACES.map((s) => [s, s === surface ? mode : rest])) as Record<Surface, 'public' | 'token'>;

  it.each(SURFACES)('%s: token while the others are public', async (surface) => {
    const a = await api(only(surface, 'token', 'public'));
    for (const [r, ok] of SURFACE_REQUESTS[surface]) {
      await expectRefused(a, r, {}, 401);
      expect((await send(a, r, bearer(READ))).statusCode, label(r)).toBe(ok);
    }
    for (const other of SURFACES.filter((s) => s !== surface))
      for (const [r, ok] of SURFACE_REQUESTS[other]) expect((await send(a, r)).statusCode, label(r)).toBe(ok);
  });

  it.each(SURFACES)('%s: public while the others need a token', async (surface) => {
    const a = await api(only(surface, 'public', 'token'));
    for (const [r, ok] of SURFACE_REQUESTS[surface]) expect((await send(a, r)).statusCode, label(r)).toBe(ok);
    for (const other of SURFACES.filter((s) => s !== surface))
      for (const [r] of SURFACE_REQUESTS[other]) await expectRefused(a, r, {}, 401);
  });
});

describe('public surfaces while the details need a token', () => {
  const ALICE_HIDDEN = 'arn:aws:iam::[account]:user/alice';

  it("the fleet page and summary.json quote the diagnosis with the ARN's account hidden", async () => {
    const a = await api();
    const page = await a.inject({ method: 'GET', url: '/' });
    const summary = await a.inject({ method: 'GET', url: '/api/v1/summary.json' });
    for (const res of [page, summary]) {
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(ALICE_HIDDEN);
      expect(res.body).not.toContain(ACCOUNT);
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
    }
    const body = summary.json<{ components: { description: string }[]; incidents: { name: string }[] }>();
    expect(body.components[0]?.description).toContain(`changed by ${ALICE_HIDDEN}`);
    expect(body.incidents.map((i) => i.name)).toEqual([`${CLUSTER}: BUCKET_POLICY_DENIES_STS`]);
    // The refresh of the page (its main content alone) too.
    const fragment = await a.inject({ method: 'GET', url: '/', headers: { 'x-page-fragment': '1' } });
    expect(fragment.body).toContain(ALICE_HIDDEN);
    expect(fragment.body).not.toContain(ACCOUNT);
  });

  it('with the details public, they show the ARN whole', async () => {
    const a = await api({ ...DEFAULT_ACCESS, details: 'public' });
    for (const url of ['/', '/api/v1/summary.json'])
      expect((await a.inject({ method: 'GET', url })).body, url).toContain(ALICE);
  });

  it('hideAccounts replaces the account field of every ARN, and nothing else', () => {
    expect(hideAccounts(`by ${ALICE} and arn:aws-us-gov:iam::444455556666:role/x-1.`)).toBe(
      'by arn:aws:iam::[account]:user/alice and arn:aws-us-gov:iam::[account]:role/x-1.',
    );
    // No account in the ARN, or a number that is not in one: unchanged.
    for (const text of ['arn:aws:s3:::acme-oidc/keys.json', 'took 123456789012 ms', 'cluster-111122223333'])
      expect(hideAccounts(text)).toBe(text);
  });
});

describe('start-up warning', () => {
  it('names the settings that lock everyone out when no token is configured', () => {
    expect(accessWarning(DEFAULT_ACCESS, 0)).toMatch(
      /^server\.access\.details is token and no API token is configured/,
    );
    expect(accessWarning(DEFAULT_ACCESS, 0)).toContain('IRSA_SENTINEL_API_TOKEN');
    expect(accessWarning(DEFAULT_ACCESS, 0)).toContain('GET /api/v1/status');
    expect(accessWarning({ ...DEFAULT_ACCESS, metrics: 'token' }, 0)).toMatch(
      /^server\.access\.metrics, server\.access\.details are token/,
    );
    expect(accessWarning(DEFAULT_ACCESS, 1)).toBeUndefined();
    expect(accessWarning(OPEN_ACCESS, 0)).toBeUndefined();
  });
});
