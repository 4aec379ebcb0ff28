import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/app.ts';
import { OPEN_ACCESS } from '../helpers/api-access.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import { finding } from '../../src/findings.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';

const clusters: ClusterConfig[] = [
  {
    name: 'healthy',
    issuer: 'https://healthy-oidc.s3.us-east-2.amazonaws.com',
    region: 'us-east-2',
    labels: { env: 'prod' },
    ...clusterDefaults(),
  },
  {
    name: 'broken',
    issuer: 'https://broken-oidc.s3.us-east-2.amazonaws.com',
    region: 'us-east-2',
    labels: {},
    ...clusterDefaults(),
  },
  {
    name: 'new',
    issuer: 'https://new-oidc.s3.us-east-2.amazonaws.com',
    region: 'us-east-2',
    labels: {},
    ...clusterDefaults(),
  },
];

const result = (cluster: string, startedAt: string, status: ProbeResult['status'] = 'ok'): ProbeResult => ({
  cluster,
  probe: 'issuer',
  status,
  startedAt,
  durationMs: 42,
  findings:
    status === 'fail'
      ? [
          finding('ISSUER_HTTP_ERROR', 'GET discovery answered 403 AccessDenied', {
            evidence: { url: 'https://issuer.example/.well-known/openid-configuration', status: 403, latencyMs: 20 },
          }),
        ]
      : [],
});

/** A cluster's alerting summary when the API runs without alerting. */
const NO_ALERTS = { firing: 0, pending: 0, codes: [], quiet: false };

describe('status API', () => {
  let store: Store;
  let app: FastifyInstance;
  beforeEach(async () => {
    store = openSqliteStore({ dataDir: '', inMemory: true });
    store.saveResult(result('healthy', '2026-11-23T10:00:00.000Z'));
    store.saveResult(result('broken', '2026-11-23T10:00:00.000Z'));
    store.saveResult(result('broken', '2026-11-23T10:01:00.000Z', 'fail'));
    app = await buildApi({
      store,
      clusters: () => clusters,
      now: () => new Date('2026-11-23T10:02:00Z'),
      access: OPEN_ACCESS,
    });
  });
  afterEach(async () => {
    await app.close();
    store.close();
  });

  it('GET /api/v1/status: overall worst, per cluster its probes with status, last run and finding codes', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'fail',
      generatedAt: '2026-11-23T10:02:00.000Z',
      clusters: [
        {
          name: 'healthy',
          status: 'ok',
          issuer: clusters[0]!.issuer,
          labels: { env: 'prod' },
          diagnosis: {
            code: 'HEALTHY',
            status: 'ok',
            summary: 'Every checked link of the chain works.',
            evidence: [],
            causes: [],
            undecided: [],
          },
          probes: { issuer: { status: 'ok', lastRun: '2026-11-23T10:00:00.000Z', durationMs: 42, findings: [] } },
          alerts: NO_ALERTS,
        },
        {
          name: 'broken',
          status: 'fail',
          issuer: clusters[1]!.issuer,
          labels: {},
          diagnosis: {
            code: 'ISSUER_HTTP_ERROR',
            status: 'fail',
            summary: 'The issuer answers an error: GET discovery answered 403 AccessDenied.',
            remediation: expect.stringContaining('403 AccessDenied') as unknown,
            evidence: [expect.objectContaining({ probe: 'issuer', code: 'ISSUER_HTTP_ERROR', severity: 'fail' })],
            causes: [expect.objectContaining({ code: 'ISSUER_HTTP_ERROR', status: 'fail' })],
            undecided: [],
          },
          probes: {
            issuer: {
              status: 'fail',
              lastRun: '2026-11-23T10:01:00.000Z',
              durationMs: 42,
              findings: ['ISSUER_HTTP_ERROR'],
            },
          },
          alerts: NO_ALERTS,
        },
        {
          name: 'new',
          status: 'unknown',
          issuer: clusters[2]!.issuer,
          labels: {},
          diagnosis: {
            code: 'NOT_CHECKED',
            status: 'unknown',
            summary: expect.any(String) as unknown,
            evidence: [],
            causes: [],
            undecided: [],
          },
          probes: {},
          alerts: NO_ALERTS,
        },
      ],
      silences: [],
      maintenance: [],
    });
  });

  it('GET /api/v1/clusters/:name returns the latest full results with findings and remediation', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/clusters/broken' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ status: string; results: ProbeResult[] }>();
    expect(body.status).toBe('fail');
    expect(body.results).toHaveLength(1);
    expect(body.results[0]!.findings[0]).toMatchObject({
      code: 'ISSUER_HTTP_ERROR',
      severity: 'fail',
      evidence: { status: 403 },
      remediation: expect.stringContaining('403 AccessDenied'),
    });
  });

  it('GET history is newest first, filters by probe and limits', async () => {
    const all = await app.inject({ method: 'GET', url: '/api/v1/clusters/broken/history' });
    expect(all.json<{ results: ProbeResult[] }>().results.map((r) => r.status)).toEqual(['fail', 'ok']);
    const one = await app.inject({ method: 'GET', url: '/api/v1/clusters/broken/history?probe=issuer&limit=1' });
    expect(one.json<{ results: ProbeResult[] }>().results).toHaveLength(1);
    const none = await app.inject({ method: 'GET', url: '/api/v1/clusters/broken/history?probe=jwks' });
    expect(none.json<{ results: ProbeResult[] }>().results).toEqual([]);
  });

  it('answers coded errors: unknown cluster 404, bad query 400', async () => {
    const missing = await app.inject({ method: 'GET', url: '/api/v1/clusters/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      error: { code: 'CLUSTER_NOT_FOUND', message: 'no cluster named "nope" in the fleet' },
    });
    const badProbe = await app.inject({ method: 'GET', url: '/api/v1/clusters/broken/history?probe=dns' });
    expect(badProbe.statusCode).toBe(400);
    expect(badProbe.json<{ error: { code: string } }>().error.code).toBe('INVALID_REQUEST');
    const badLimit = await app.inject({ method: 'GET', url: '/api/v1/clusters/broken/history?limit=5000' });
    expect(badLimit.statusCode).toBe(400);
    const noRoute = await app.inject({ method: 'GET', url: '/api/v2/status' });
    expect(noRoute.json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
  });

  it('GET /api/v1/clusters/:name/roles shows per-role state from the latest roles run', async () => {
    const empty = await app.inject({ method: 'GET', url: '/api/v1/clusters/healthy/roles' });
    expect(empty.json()).toEqual({ cluster: 'healthy', roles: [] });
    const role = 'arn:aws:iam::111122223333:role/healthy-openshift-ingress-operator-cloud-credentials';
    store.saveResult({
      cluster: 'healthy',
      probe: 'roles',
      status: 'fail',
      startedAt: '2026-11-23T10:01:30.000Z',
      durationMs: 900,
      findings: [finding('ASSUME_ACCESS_DENIED', 'denied', { subject: role })],
      observations: {
        roles: [
          {
            arn: role,
            serviceAccount: 'openshift-ingress-operator/ingress-operator',
            status: 'fail',
            findings: ['ASSUME_ACCESS_DENIED'],
          },
        ],
      },
    });
    const res = await app.inject({ method: 'GET', url: '/api/v1/clusters/healthy/roles' });
    expect(res.json()).toEqual({
      cluster: 'healthy',
      checkedAt: '2026-11-23T10:01:30.000Z',
      roles: [
        {
          arn: role,
          serviceAccount: 'openshift-ingress-operator/ingress-operator',
          status: 'fail',
          findings: ['ASSUME_ACCESS_DENIED'],
        },
      ],
    });
  });

  it('healthz and readyz: ready while the store is open, 503 after it closes', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    store.close();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'not ready', checks: { config: true, store: false } });
  });
});
