// The API's own defences: every response redacted on the way out (even what a store did not redact), a Host header
// check against DNS rebinding (421 HOST_NOT_ALLOWED), and a bounded request time.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi, REQUEST_TIMEOUT_MS } from '../../src/api/app.ts';
import { OPEN_ACCESS } from '../helpers/api-access.ts';
import { allowedHostsFor, hostNameOf } from '../../src/api/hosts.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { finding } from '../../src/findings.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL29pZGMuZXhhbXBsZS5jb20iLCJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const KUBE = 'sha256~Hd8xZb5sOp1Cw2mUu3Q4r5T6y7U8i9O0pAsDfGhJkLz';

const cluster: ClusterConfig = {
  name: 'prod',
  issuer: 'https://prod-oidc.s3.us-east-1.amazonaws.com',
  region: 'us-east-1',
  labels: {},
  ...clusterDefaults(),
};

/** A result carrying secrets, as a store that failed to redact would hand it out. */
const leaky: ProbeResult = {
  cluster: 'prod',
  probe: 'issuer',
  status: 'fail',
  startedAt: '2026-11-23T10:00:00.000Z',
  durationMs: 3,
  findings: [
    finding('DISCOVERY_ISSUER_MISMATCH', `The discovery document says issuer "${JWT}", not "${cluster.issuer}".`, {
      evidence: { configured: cluster.issuer, published: `${JWT} ${KUBE}` },
    }),
  ],
  observations: { discoveryIssuer: JWT, SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
};

let app: FastifyInstance | undefined;
let store: Store | undefined;
afterEach(async () => {
  await app?.close();
  store?.close();
});

/** The API over a real store, its latest() replaced by `latest`. */
async function api(opts: { latest?: () => ProbeResult[]; allowedHosts?: string[] } = {}) {
  const real = openSqliteStore({ dataDir: '', inMemory: true });
  store = real;
  const latest = opts.latest;
  const wrapped = new Proxy(real, {
    get(target, key) {
      if (key === 'latest' && latest) return latest;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  app = await buildApi({
    store: wrapped,
    clusters: () => [cluster],
    now: () => new Date('2026-11-23T10:01:00Z'),
    access: OPEN_ACCESS,
    ...(opts.allowedHosts && { allowedHosts: opts.allowedHosts }),
  });
  return app;
}

describe('API responses are redacted on the way out', () => {
  it('replaces a token, an OpenShift token and a secret field a store handed out unredacted', async () => {
    const a = await api({ latest: () => [leaky] });
    for (const url of ['/api/v1/status', '/api/v1/clusters/prod']) {
      const res = await a.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      for (const secret of [JWT, JWT.split('.')[2]!, KUBE, 'wJalrXUtnFEMI'])
        expect(res.body, url).not.toContain(secret);
      expect(() => res.json<unknown>()).not.toThrow();
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
    }
    const res = await a.inject({ method: 'GET', url: '/api/v1/clusters/prod' });
    expect(res.body).toContain('[REDACTED:');
    const body = res.json<{ results: ProbeResult[] }>();
    expect(body.results[0]?.status).toBe('fail');
    expect(body.results[0]?.findings[0]?.evidence).toEqual({
      configured: cluster.issuer,
      published: '[REDACTED:jwt] [REDACTED:kube-token]',
    });
  });

  it('redacts error answers too: a secret in a request is not echoed back', async () => {
    const a = await api();
    const res = await a.inject({ method: 'GET', url: `/api/v1/clusters/${KUBE}` });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain(KUBE.slice(7));
    expect(res.body).toContain('[REDACTED:kube-token]');
    expect(res.json()).toMatchObject({ error: { code: 'CLUSTER_NOT_FOUND' } });
  });
});

describe('Host header check', () => {
  it('bound to loopback, answers only to loopback names: 421 HOST_NOT_ALLOWED to anything else', async () => {
    const a = await api({ allowedHosts: allowedHostsFor({ host: '127.0.0.1' })! });
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'LOCALHOST', 'localhost.'])
      expect((await a.inject({ method: 'GET', url: '/healthz', headers: { host } })).statusCode, host).toBe(200);
    for (const host of ['attacker.example:8080', 'attacker.example', '127.0.0.1.nip.io:8080']) {
      const res = await a.inject({ method: 'GET', url: '/api/v1/status', headers: { host } });
      expect(res.statusCode, host).toBe(421);
      expect(res.json()).toEqual({ error: { code: 'HOST_NOT_ALLOWED', message: expect.any(String) as unknown } });
    }
  });

  it('allowedHostsFor: loopback binds get loopback names, others any unless server.allowedHosts says', () => {
    expect(allowedHostsFor({ host: '127.0.0.1' })).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(allowedHostsFor({ host: '127.0.0.5' })).toEqual(['localhost', '127.0.0.1', '::1', '127.0.0.5']);
    expect(allowedHostsFor({ host: '::1' })).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(allowedHostsFor({ host: '0.0.0.0' })).toBeUndefined();
    expect(allowedHostsFor({ host: '10.0.0.7' })).toBeUndefined();
    expect(allowedHostsFor({ host: '0.0.0.0', allowedHosts: ['Status.Example.com:443'] })).toEqual([
      'status.example.com',
    ]);
    expect(allowedHostsFor({ host: '127.0.0.1', allowedHosts: ['*'] })).toBeUndefined();
    expect(hostNameOf('[::1]:80')).toBe('::1');
    expect(hostNameOf('')).toBeUndefined();
  });

  it('with server.allowedHosts, exactly those; without a list, any Host', async () => {
    const only = await api({ allowedHosts: ['status.example.com'] });
    expect(
      (await only.inject({ method: 'GET', url: '/healthz', headers: { host: 'status.example.com' } })).statusCode,
    ).toBe(200);
    expect((await only.inject({ method: 'GET', url: '/healthz', headers: { host: 'localhost' } })).statusCode).toBe(
      421,
    );
    await only.close();
    store?.close();
    const any = await api();
    expect(
      (await any.inject({ method: 'GET', url: '/healthz', headers: { host: 'anything.example' } })).statusCode,
    ).toBe(200);
  });
});

describe('request time', () => {
  it('is bounded (Fastify 0 means none), and connections idle out', async () => {
    const a = await api();
    expect(REQUEST_TIMEOUT_MS).toBeGreaterThan(0);
    // What Fastify set on the Node server it made.
    expect(a.server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
    expect(a.server.timeout).toBeGreaterThan(a.server.keepAliveTimeout);
  });
});
