// What status pages and dashboards read: summary.json in Atlassian Statuspage's shape (checked against a JSON Schema
// written here from Statuspage's public API: page, status {indicator, description}, components, incidents,
// scheduled_maintenances), SVG and shields.io badges, ETags and 304s on the polled routes, the OpenAPI document, and
// a 400 with the error shape for bad input.
import { gunzipSync } from 'node:zlib';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { XMLValidator } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/app.ts';
import { OPEN_ACCESS } from '../helpers/api-access.ts';
import type { AlertsSummary } from '../../src/api/alerts-summary.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { finding } from '../../src/findings.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';

const cluster = (name: string): ClusterConfig => ({
  name,
  issuer: `https://${name}-oidc.s3.us-east-1.amazonaws.com`,
  region: 'us-east-1',
  labels: {},
  ...clusterDefaults('openshift'),
});
const clusters = [cluster('good'), cluster('broken'), cluster('slow'), cluster('new')];
const at = '2026-11-23T10:00:00.000Z';
const result = (c: string, findings: ProbeResult['findings'], status: ProbeResult['status']): ProbeResult => ({
  cluster: c,
  probe: 'issuer',
  status,
  startedAt: at,
  durationMs: 10,
  findings,
});
const denied = finding('ISSUER_HTTP_ERROR', 'The discovery document answered HTTP 403.', {
  evidence: {
    url: 'https://broken-oidc.s3.us-east-1.amazonaws.com/.well-known/openid-configuration',
    status: 403,
    latencyMs: 9,
  },
});
const slow = finding('ISSUER_SLOW', 'slow', {
  evidence: { totalMs: 3000, latencyMs: [{ url: 'https://x', ms: 3000 }], warnMs: 2000, failMs: 5000 },
});

const alertsSummary: AlertsSummary = {
  firing: () => [
    {
      cluster: 'broken',
      code: 'ISSUER_HTTP_ERROR',
      severity: 'critical',
      summary: 'The issuer answers an error.',
      since: at,
      updatedAt: at,
      silenced: false,
    },
  ],
  silences: () => [],
  activeMaintenance: () => [],
  upcomingMaintenance: () => [
    {
      name: 'key-rotation',
      startsAt: '2026-11-23T09:00:00.000Z',
      endsAt: '2026-11-23T11:00:00.000Z',
      clusters: ['slow'],
    },
  ],
};

/** The summary.json shape, from Statuspage's public API (https://metastatuspage.com/api/v2/summary.json). */
const STATUSPAGE_SUMMARY = {
  type: 'object',
  required: ['page', 'status', 'components', 'incidents', 'scheduled_maintenances'],
  properties: {
    page: {
      type: 'object',
      required: ['id', 'name', 'url', 'updated_at'],
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        url: { type: 'string' },
        updated_at: { type: 'string', format: 'date-time' },
      },
    },
    status: {
      type: 'object',
      required: ['indicator', 'description'],
      properties: {
        indicator: { enum: ['none', 'minor', 'major', 'critical'] },
        description: { type: 'string' },
      },
    },
    components: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'status', 'created_at', 'updated_at', 'position', 'page_id', 'only_show_if_degraded'],
        properties: {
          status: {
            enum: ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'],
          },
          description: { type: ['string', 'null'] },
          position: { type: 'integer' },
          group_id: { type: ['string', 'null'] },
        },
      },
    },
    incidents: {
      type: 'array',
      items: {
        type: 'object',
        required: [
          'id',
          'name',
          'status',
          'impact',
          'created_at',
          'updated_at',
          'shortlink',
          'incident_updates',
          'page_id',
        ],
        properties: {
          status: { enum: ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] },
          impact: { enum: ['none', 'minor', 'major', 'critical'] },
          monitoring_at: { type: ['string', 'null'] },
          resolved_at: { type: ['string', 'null'] },
          incident_updates: {
            type: 'array',
            items: { type: 'object', required: ['id', 'status', 'body', 'created_at', 'incident_id'] },
          },
        },
      },
    },
    scheduled_maintenances: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'status', 'impact', 'scheduled_for', 'scheduled_until', 'incident_updates'],
        properties: { status: { enum: ['scheduled', 'in_progress', 'verifying', 'completed'] } },
      },
    },
  },
};

let store: Store;
let app: FastifyInstance;

beforeEach(async () => {
  store = openSqliteStore({ dataDir: '', inMemory: true });
  store.saveResult(result('good', [], 'ok'));
  store.saveResult(result('broken', [denied], 'fail'));
  store.saveResult(result('slow', [slow], 'warn'));
  app = await buildApi({
    store,
    clusters: () => clusters,
    now: () => new Date('2026-11-23T10:02:00.000Z'),
    alertsSummary,
    publicUrl: 'https://status.example.com/',
    access: OPEN_ACCESS,
  });
});
afterEach(async () => {
  await app.close();
  store.close();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

describe('summary.json', () => {
  it("matches Statuspage's summary shape, clusters as components and firing alerts as incidents", async () => {
    const res = await get('/api/v1/summary.json');
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      status: { indicator: string; description: string };
      components: { name: string; status: string }[];
      incidents: { name: string; shortlink: string }[];
      scheduled_maintenances: { name: string; status: string }[];
    }>();
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    const valid = ajv.validate(STATUSPAGE_SUMMARY, body);
    expect(ajv.errors ?? [], JSON.stringify(ajv.errors)).toEqual([]);
    expect(valid).toBe(true);
    expect(body.status).toEqual({ indicator: 'critical', description: 'Major Service Outage' });
    expect(Object.fromEntries(body.components.map((c) => [c.name, c.status]))).toEqual({
      good: 'operational',
      broken: 'major_outage',
      slow: 'under_maintenance',
      new: 'degraded_performance',
    });
    expect(body.incidents.map((i) => [i.name, i.shortlink])).toEqual([
      ['broken: ISSUER_HTTP_ERROR', 'https://status.example.com/clusters/broken'],
    ]);
    expect(body.scheduled_maintenances).toEqual([
      expect.objectContaining({ name: 'key-rotation', status: 'in_progress' }),
    ]);
  });

  it('answers 304 to a client that has it, with a short cache policy', async () => {
    const first = await get('/api/v1/summary.json');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"/);
    expect(first.headers['cache-control']).toMatch(/max-age=\d+/);
    const again = await get('/api/v1/summary.json', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });
});

describe('GET /api/v1/status with validators', () => {
  it('serves the stored status with an ETag, 304 when unchanged, and a new ETag once a result is stored', async () => {
    const first = await get('/api/v1/status');
    const etag = first.headers.etag as string;
    expect((await get('/api/v1/status', { 'if-none-match': etag })).statusCode).toBe(304);
    store.saveResult({ ...result('good', [denied], 'fail'), startedAt: '2026-11-23T10:01:00.000Z' });
    await new Promise((r) => setTimeout(r, 1050)); // the view coalesces changes for a second
    const changed = await get('/api/v1/status', { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.json<{ clusters: { name: string; status: string }[] }>().clusters[0]).toMatchObject({
      name: 'good',
      status: 'fail',
    });
  });
});

describe('GET /api/v1/status compressed', () => {
  it('sends gzip to a client that takes it (the same JSON), plain otherwise; summary.json is never compressed', async () => {
    const plain = await get('/api/v1/status');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    expect(plain.rawPayload.length).toBeGreaterThanOrEqual(1024);
    const gz = await get('/api/v1/status', { 'accept-encoding': 'br;q=1, gzip;q=0.8' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.etag).toBe(plain.headers.etag);
    expect(gz.rawPayload.length).toBeLessThan(plain.rawPayload.length);
    expect(gunzipSync(gz.rawPayload).toString('utf8')).toBe(plain.body);
    for (const refused of ['gzip;q=0', 'identity', 'br'])
      expect((await get('/api/v1/status', { 'accept-encoding': refused })).headers['content-encoding'], refused).toBe(
        undefined,
      );
    const summary = await get('/api/v1/summary.json', { 'accept-encoding': 'gzip' });
    expect(summary.headers['content-encoding']).toBeUndefined();
    expect(summary.json()).toHaveProperty('components');
  });
});

describe('badges', () => {
  it.each([
    ['/badges/broken/health.svg', 'failing'],
    ['/badges/good/health.svg', 'healthy'],
    ['/badges/fleet/health.svg', 'failing'],
  ])('%s is a valid SVG saying %s', async (url, message) => {
    const res = await get(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(XMLValidator.validate(res.body)).toBe(true);
    expect(res.body).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(res.body).toContain(`>${message}<`);
    expect(res.headers.etag).toBeDefined();
    expect(res.headers['cache-control']).toMatch(/max-age=30/);
  });

  it('serves shields.io endpoint JSON, and 404 for an unknown cluster', async () => {
    expect((await get('/badges/slow/health.json')).json()).toEqual({
      schemaVersion: 1,
      label: 'irsa slow',
      message: 'degraded',
      color: 'yellow',
      cacheSeconds: 30,
    });
    const missing = await get('/badges/nope/health.svg');
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ error: { code: string } }>().error.code).toBe('CLUSTER_NOT_FOUND');
  });
});

describe('API hygiene', () => {
  it('/docs/json is a valid OpenAPI 3 document describing every route, and /docs serves its UI', async () => {
    const doc = (await get('/docs/json')).json<{ openapi: string; paths: Record<string, unknown> }>();
    const verdict = await new Validator().validate(doc);
    expect(verdict.errors ?? [], JSON.stringify(verdict.errors)).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/v1/status',
      '/api/v1/summary.json',
      '/api/v1/clusters/{name}',
      '/badges/{cluster}/health.{format}',
    ])
      expect(Object.keys(doc.paths)).toContain(path);
    expect((await get('/docs')).statusCode).toBe(200);
  });

  it('answers a malformed JSON body with 400 and the error shape, not 500', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/clusters/broken/bucket-policy/simulate',
      headers: { 'content-type': 'application/json' },
      payload: '{"Version": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string; message: string } }>().error.code).toBe('INVALID_REQUEST');
  });

  it('sends security headers (a strict CSP, nosniff, frame denial)', async () => {
    const res = await get('/api/v1/status');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
  });
});
