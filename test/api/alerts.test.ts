// The alerting API: GET /api/v1/alerts, silences (POST needs a write token, compared in constant time; 401 without,
// 403 read-only), test alerts, the status API's alert summary; a silence created through the API holds a firing
// cluster's notifications and ending it releases them. No response holds a sink URL or a token.
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlertService } from '../../src/alerts/service.ts';
import type { AlertService } from '../../src/alerts/service.ts';
import { createWebhookSink } from '../../src/alerts/sinks/webhook/index.ts';
import { buildApi } from '../../src/api/app.ts';
import { OPEN_ACCESS } from '../helpers/api-access.ts';
import { createApiAuth } from '../../src/api/auth.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';
import { silent } from '../alerts/fixtures.ts';
import { result, slow } from '../diagnosis/results.ts';
import { startReceiver } from '../helpers/receiver.ts';
import type { Receiver } from '../helpers/receiver.ts';

const WRITE = 'write-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdefgh';
const CLUSTER = 'prod-east';
const clusters: ClusterConfig[] = [
  {
    name: CLUSTER,
    issuer: 'https://prod-east-oidc.s3.us-east-1.amazonaws.com',
    region: 'us-east-1',
    labels: { env: 'prod' },
    ...clusterDefaults(),
  },
];

let store: SqliteStore;
let service: AlertService;
let app: FastifyInstance;
let hook: Receiver;
let t = Date.parse('2026-12-06T10:00:00.000Z');

beforeEach(async () => {
  hook = await startReceiver();
  store = openSqliteStore({ dataDir: '', inMemory: true });
  service = createAlertService({
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
    sinks: [
      createWebhookSink({
        name: 'hook',
        url: `${hook.url}/secret-path-abcdef0123456789`,
        timeoutMs: 5000,
        sendResolved: true,
      }),
    ],
    expected: () => [],
    baseUrl: () => 'http://127.0.0.1:8080',
    log: silent,
    tickMs: 3_600_000,
  });
  service.start();
  app = await buildApi({
    store,
    clusters: () => clusters,
    now: () => new Date(),
    alerts: service,
    access: OPEN_ACCESS,
    auth: createApiAuth([
      { name: 'ops', token: WRITE, scopes: ['read', 'write'] },
      { name: 'dashboard', token: READ, scopes: ['read'] },
    ]),
  });
});

afterEach(async () => {
  await app.close();
  await service.stop(500);
  store.close();
  await hook.close();
});

/** Two slow issuer results: ISSUER_TOO_SLOW fires. */
function fire(): void {
  for (let i = 0; i < 2; i++) {
    t += 5_000;
    store.saveResult({ ...result('issuer', [slow(3100)]), cluster: CLUSTER, startedAt: new Date(t).toISOString() });
    service.evaluate(CLUSTER);
  }
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const silenceBody = {
  matchers: [{ name: 'cluster', value: CLUSTER }],
  durationMinutes: 60,
  comment: 'rotating the signing key',
};

describe('authentication of mutating routes', () => {
  it.each([
    ['POST', '/api/v1/silences', silenceBody],
    ['DELETE', '/api/v1/silences/abc', undefined],
    ['POST', '/api/v1/sinks/hook/test', undefined],
  ] as const)(
    '%s %s: 401 without a token or with a wrong one, 403 with a read-only one',
    async (method, url, payload) => {
      for (const headers of [
        {},
        auth('wrong-token-0000000000000'),
        { authorization: `Basic ${Buffer.from(`x:${WRITE}`).toString('base64')}` },
      ]) {
        const res = await app.inject({ method, url, headers, ...(payload && { payload }) });
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="irsa-sentinel"');
        expect(res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      }
      const readOnly = await app.inject({ method, url, headers: auth(READ), ...(payload && { payload }) });
      expect(readOnly.statusCode).toBe(403);
      expect(readOnly.json<{ error: { code: string } }>().error.code).toBe('FORBIDDEN');
    },
  );

  it('authenticates before validating: a bad body without a token is 401, not 400', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/silences', payload: { nonsense: true } });
    expect(res.statusCode).toBe(401);
  });

  it('with no token configured, mutating routes are 401 and say how to configure one', async () => {
    const bare = await buildApi({
      store,
      clusters: () => clusters,
      now: () => new Date(),
      alerts: service,
      access: OPEN_ACCESS,
    });
    const res = await bare.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers: auth(WRITE),
      payload: silenceBody,
    });
    await bare.close();
    expect(res.statusCode).toBe(401);
    expect(res.json<{ error: { message: string } }>().error.message).toContain('IRSA_SENTINEL_API_TOKEN');
  });
});

describe('silences', () => {
  it('400 for bad input, naming the field', async () => {
    const post = (payload: unknown) =>
      app.inject({ method: 'POST', url: '/api/v1/silences', headers: auth(WRITE), payload: payload as object });
    const noComment = await post({ matchers: silenceBody.matchers, durationMinutes: 5 });
    expect(noComment.statusCode).toBe(400);
    expect(noComment.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('comment'),
    });
    const regex = await post({ ...silenceBody, matchers: [{ name: 'cluster', value: '(', isRegex: true }] });
    expect(regex.statusCode).toBe(400);
    expect(regex.json()).toEqual({
      error: {
        code: 'SILENCE_INVALID',
        message: expect.stringMatching(/^matchers\[0\]\.value: is not a valid regular expression/),
      },
    });
    const past = await post({ matchers: silenceBody.matchers, comment: 'x', endsAt: '2020-01-01T00:00:00Z' });
    expect(past.json()).toEqual({ error: { code: 'SILENCE_INVALID', message: 'endsAt: must be in the future' } });
    const both = await post({ ...silenceBody, endsAt: '2099-01-01T00:00:00Z' });
    expect(both.json<{ error: { code: string } }>().error.code).toBe('SILENCE_INVALID');
    const empty = await post({ ...silenceBody, matchers: [] });
    expect(empty.statusCode).toBe(400);
    expect((await post({ ...silenceBody, durationMinutes: 60 * 24 * 31 })).statusCode).toBe(400);
  });

  it('created with a write token, listed, shown in the status, ended with DELETE; 404 for an unknown one', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers: auth(WRITE),
      payload: silenceBody,
    });
    expect(created.statusCode).toBe(201);
    const silence = created.json<{ id: string; createdBy: string; active: boolean; endsAt: string }>();
    expect(silence).toMatchObject({
      createdBy: 'ops',
      active: true,
      matchers: [{ name: 'cluster', value: CLUSTER, isRegex: false }],
    });
    const listed = await app.inject({ method: 'GET', url: '/api/v1/silences' });
    expect(listed.json<{ silences: { id: string }[] }>().silences.map((s) => s.id)).toEqual([silence.id]);
    const status = await app.inject({ method: 'GET', url: '/api/v1/status' });
    expect(status.json<{ silences: { id: string }[] }>().silences.map((s) => s.id)).toEqual([silence.id]);
    const ended = await app.inject({ method: 'DELETE', url: `/api/v1/silences/${silence.id}`, headers: auth(WRITE) });
    expect(ended.statusCode).toBe(200);
    expect(ended.json()).toMatchObject({ id: silence.id, active: false, expiredAt: expect.any(String) });
    expect((await app.inject({ method: 'GET', url: '/api/v1/silences' })).json()).toEqual({ silences: [] });
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/silences?all=true' })).json<{ silences: unknown[] }>().silences,
    ).toHaveLength(1);
    const missing = await app.inject({ method: 'DELETE', url: '/api/v1/silences/nope', headers: auth(WRITE) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ error: { code: string } }>().error.code).toBe('SILENCE_NOT_FOUND');
  });

  it("holds a firing cluster's notifications; ending it releases them", async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers: auth(WRITE),
      payload: silenceBody,
    });
    const { id } = created.json<{ id: string }>();
    fire();
    expect(await service.dispatcher.idle()).toBe(true);
    expect(hook.received).toHaveLength(0);
    const alerts = (await app.inject({ method: 'GET', url: '/api/v1/alerts' })).json<{
      firing: { quiet?: unknown; deliveries: { status: string }[] }[];
    }>();
    expect(alerts.firing[0]).toMatchObject({ quiet: { kind: 'silence', id }, deliveries: [{ status: 'held' }] });
    const status = (await app.inject({ method: 'GET', url: '/api/v1/status' })).json<{
      clusters: { alerts: unknown }[];
    }>();
    expect(status.clusters[0]!.alerts).toEqual({ firing: 1, pending: 0, codes: ['ISSUER_TOO_SLOW'], quiet: true });
    await app.inject({ method: 'DELETE', url: `/api/v1/silences/${id}`, headers: auth(WRITE) });
    await hook.waitFor(1);
    expect(hook.json(0)).toMatchObject({ kind: 'trigger', alert: { cluster: CLUSTER, code: 'ISSUER_TOO_SLOW' } });
  });
});

describe('GET /api/v1/alerts', () => {
  it('firing and recent alerts with their deliveries by sink name, never the sink URL', async () => {
    fire();
    await hook.waitFor(1);
    expect(await service.dispatcher.idle()).toBe(true);
    const res = await app.inject({ method: 'GET', url: '/api/v1/alerts' });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toEqual({
      generatedAt: expect.any(String),
      firing: [
        expect.objectContaining({
          cluster: CLUSTER,
          code: 'ISSUER_TOO_SLOW',
          severity: 'warning',
          state: 'firing',
          title: 'The issuer is too slow for STS',
          summary: expect.stringContaining('too slow'),
          remediation: expect.any(String),
          labels: { env: 'prod' },
          link: 'http://127.0.0.1:8080/clusters/prod-east',
          deliveries: [
            {
              sink: 'hook',
              kind: 'trigger',
              status: 'delivered',
              attempts: 1,
              createdAt: expect.any(String),
              deliveredAt: expect.any(String),
              lastOutcome: { outcome: 'delivered', httpStatus: 200, message: 'HTTP 200', at: expect.any(String) },
            },
          ],
        }),
      ],
      pending: [],
      recent: [],
      silences: [],
      maintenance: [],
      deliveries: [{ sink: 'hook', outcome: 'delivered', count: 1 }],
    });
    expect(res.body).not.toContain(hook.url);
    expect(res.body).not.toContain('secret-path');
    const other = await app.inject({ method: 'GET', url: '/api/v1/alerts?cluster=other' });
    expect(other.json<{ firing: unknown[] }>().firing).toEqual([]);
  });

  it('409 ALERTS_DISABLED where the agent does not run alerting', async () => {
    const bare = await buildApi({ store, clusters: () => clusters, now: () => new Date(), access: OPEN_ACCESS });
    const res = await bare.inject({ method: 'GET', url: '/api/v1/alerts' });
    await bare.close();
    expect(res.statusCode).toBe(409);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('ALERTS_DISABLED');
  });
});

describe('POST /api/v1/sinks/:name/test', () => {
  it('sends the sample through the sink and answers its outcome; 404 for an unknown sink', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/sinks/hook/test', headers: auth(WRITE) });
    expect(res.json()).toEqual({ sink: 'hook', type: 'webhook', ok: true, httpStatus: 200, message: 'HTTP 200' });
    expect(hook.json(0)).toMatchObject({ kind: 'test' });
    const missing = await app.inject({ method: 'POST', url: '/api/v1/sinks/nope/test', headers: auth(WRITE) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ error: { code: string } }>().error.code).toBe('SINK_NOT_FOUND');
  });
});
