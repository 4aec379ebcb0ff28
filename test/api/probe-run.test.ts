// POST /api/v1/clusters/:name/probes/:probe/run against the lab, through the agent (config -> scheduler -> runner ->
// probe -> store -> API and alerts): the result is answered, stored, shown by /api/v1/status with the cluster's
// diagnosis, and the cluster's alerts are evaluated; a run in flight is joined; bad input is a coded error; it needs
// the write scope; the answer is redacted like every other.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.ts';
import type { Agent } from '../../src/agent.ts';
import { buildApi } from '../../src/api/app.ts';
import { createApiAuth } from '../../src/api/auth.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { loadText, tempDir } from '../config/temp-config.ts';

const WRITE = 'ops-token-0123456789abcdefgh';
const READ = 'dashboard-token-0123456789ab';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let agent: Agent;
let app: FastifyInstance;

beforeAll(async () => {
  const config = loadText(
    [
      'lab:',
      `  dataDir: ${tempDir()}`,
      '  fleet:',
      '    keyPool: 1',
      '    clusters:',
      '      - name: healthy',
      // alice's VPC-endpoint Deny: the bucket probe fails, naming her.
      '      - name: locked',
      '        faults:',
      '          - fault: bucket-policy-deny-non-vpce',
      '            form: aws-documented',
      '            actor: alice',
      // Each issuer document answers after 400 ms: a run lasts long enough for a second request to join it.
      '      - name: slow',
      '        faults:',
      '          - fault: issuer-slow',
      '            ms: 400',
      // A cluster of the file beside the lab's: the issuer probe only, and no account (cloudtrail needs one).
      'clusters:',
      '  - name: offline',
      '    issuer: https://offline.example.invalid',
      '    region: us-east-1',
      '    probes: [issuer, cloudtrail]',
      'schedules:',
      '  roles:',
      '    enabled: false',
      'storage:',
      '  inMemory: true',
      'server:',
      '  auth:',
      '    tokens:',
      `      - { name: ops, token: ${WRITE}, scopes: [read, write] }`,
      `      - { name: dashboard, token: ${READ}, scopes: [read] }`,
      '',
    ].join('\n'),
  );
  // Alerting as `serve` runs it; nothing is scheduled: every run here is asked for through the API.
  agent = await createAgent(config, pino({ level: 'silent' }), { alerting: true });
  app = await agent.api();
}, 60_000);
afterAll(async () => {
  await app.close();
  await agent.stop();
});

/** `null`: no Authorization header. */
const run = (cluster: string, probe: string, token: string | null = WRITE) =>
  app.inject({
    method: 'POST',
    url: `/api/v1/clusters/${cluster}/probes/${probe}/run`,
    ...(token !== null && { headers: bearer(token) }),
  });

interface RunBody {
  cluster: string;
  probe: string;
  joined: boolean;
  status: string;
  result: ProbeResult;
  diagnosis: { code: string; summary: string };
}

describe('POST /api/v1/clusters/:name/probes/:probe/run', () => {
  it('runs the probe now: answered, stored, in /api/v1/status with the diagnosis, and the alerts evaluated', async () => {
    expect(agent.store.latest('locked')).toEqual([]);
    const res = await run('locked', 'bucket');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<RunBody>();
    expect(body).toMatchObject({ cluster: 'locked', probe: 'bucket', joined: false, status: 'fail' });
    expect(body.result).toMatchObject({ cluster: 'locked', probe: 'bucket', status: 'fail' });
    expect(body.result.findings.map((f) => f.code)).toContain('BUCKET_ANONYMOUS_READ_DENIED');

    // Stored as the scheduled runs are (latest and history), and diagnosed.
    expect(agent.store.latest('locked')).toEqual([body.result]);
    expect(agent.store.history('locked', { probe: 'bucket', limit: 10 })).toEqual([body.result]);
    expect(body.diagnosis.code).toBe('BUCKET_POLICY_DENIES_STS');
    expect(agent.store.diagnosis('locked')?.code).toBe('BUCKET_POLICY_DENIES_STS');
    expect(body.diagnosis.summary).toContain('alice');

    const status = await app.inject({ method: 'GET', url: '/api/v1/status', headers: bearer(READ) });
    expect(status.statusCode).toBe(200);
    const locked = status
      .json<{
        clusters: { name: string; status: string; diagnosis: { code: string }; probes: Record<string, unknown> }[];
      }>()
      .clusters.find((c) => c.name === 'locked');
    expect(locked).toMatchObject({
      status: 'fail',
      diagnosis: { code: 'BUCKET_POLICY_DENIES_STS' },
      probes: { bucket: { status: 'fail', lastRun: body.result.startedAt } },
    });

    // The alert state machine saw it: the cause is pending (it fires after failAfter, 2, evaluations).
    const alerts = await app.inject({ method: 'GET', url: '/api/v1/alerts?cluster=locked', headers: bearer(READ) });
    expect(alerts.json<{ pending: { code: string }[] }>().pending.map((a) => a.code)).toEqual([
      'BUCKET_POLICY_DENIES_STS',
    ]);
    const again = await run('locked', 'bucket');
    expect(again.json<RunBody>().joined).toBe(false);
    expect(agent.store.history('locked', { probe: 'bucket', limit: 10 })).toHaveLength(2);
    expect(agent.alerts?.firing().map((a) => [a.cluster, a.code])).toEqual([['locked', 'BUCKET_POLICY_DENIES_STS']]);
  });

  it('a healthy cluster: ok, and its diagnosis says so', async () => {
    const body = (await run('healthy', 'issuer')).json<RunBody>();
    expect(body).toMatchObject({
      status: 'ok',
      result: { status: 'ok', findings: [] },
      diagnosis: { code: 'HEALTHY' },
    });
  });

  it('a request while a run of that pair is in flight joins it: one run, one stored result', async () => {
    const [a, b] = await Promise.all([run('slow', 'issuer'), run('slow', 'issuer')]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const [x, y] = [a.json<RunBody>(), b.json<RunBody>()];
    expect([x.joined, y.joined].sort()).toEqual([false, true]);
    expect(y.result).toEqual(x.result);
    expect(x.result.durationMs).toBeGreaterThanOrEqual(800);
    expect(agent.store.history('slow', { probe: 'issuer', limit: 10 })).toHaveLength(1);
  });

  it('needs the write scope: 401 without a token, 403 with a read token; nothing runs', async () => {
    for (const [token, status] of [
      [null, 401],
      ['not-a-token-0000000000000', 401],
      [READ, 403],
    ] as const) {
      const res = await run('healthy', 'jwks', token);
      expect(res.statusCode).toBe(status);
      expect(res.json<{ error: { code: string } }>().error.code).toBe(status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
      if (status === 401) expect(res.headers['www-authenticate']).toBe('Bearer realm="irsa-sentinel"');
    }
    expect(agent.store.latest('healthy').map((r) => r.probe)).not.toContain('jwks');
  });

  it('answers coded errors: unknown cluster or probe 404, a probe that does not apply or is disabled 409', async () => {
    const cases: [string, string, number, string, RegExp][] = [
      ['nope', 'issuer', 404, 'CLUSTER_NOT_FOUND', /"nope"/],
      ['healthy', 'dns', 404, 'PROBE_NOT_FOUND', /"dns".*issuer, jwks, bucket, cloudtrail, roles/],
      [
        'offline',
        'bucket',
        409,
        'PROBE_NOT_APPLICABLE',
        /bucket probe does not apply to cluster "offline": its probes are issuer, cloudtrail/,
      ],
      [
        'offline',
        'cloudtrail',
        409,
        'PROBE_NOT_APPLICABLE',
        /cloudtrail probe does not apply.*lacks what the probe needs/,
      ],
      ['healthy', 'roles', 409, 'PROBE_DISABLED', /schedules\.roles\.enabled is false/],
    ];
    for (const [cluster, probe, status, code, message] of cases) {
      const res = await run(cluster, probe);
      expect(res.statusCode, `${cluster}/${probe}`).toBe(status);
      const { error } = res.json<{ error: { code: string; message: string } }>();
      expect(error.code, `${cluster}/${probe}`).toBe(code);
      expect(error.message, `${cluster}/${probe}`).toMatch(message);
    }
    expect(agent.store.latest('offline')).toEqual([]);
  });

  it('is described in the OpenAPI document: params, responses, the bearer scheme', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<
        string,
        { post?: { parameters: { name: string }[]; responses: Record<string, unknown>; security: unknown } }
      >;
    }>();
    const op = doc.paths['/api/v1/clusters/{name}/probes/{probe}/run']?.post;
    expect(op?.parameters.map((p) => p.name).sort()).toEqual(['name', 'probe']);
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403', '404', '409']));
    expect(op?.security).toEqual([{ bearer: [] }]);
  });
});

describe('the run route outside the agent', () => {
  const JWT =
    'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL29pZGMuZXhhbXBsZS5jb20iLCJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

  async function bare(runProbe?: Parameters<typeof buildApi>[0]['runProbe']) {
    const store = openSqliteStore({ dataDir: '', inMemory: true });
    const api = await buildApi({
      store,
      clusters: () => agent.config.clusters,
      now: () => new Date(),
      auth: createApiAuth([{ name: 'ops', token: WRITE, scopes: ['write'] }]),
      ...(runProbe && { runProbe }),
    });
    return { api, close: async () => (await api.close(), store.close()) };
  }

  it('redacts the answer like every other: a token a probe quoted does not leave', async () => {
    const leaky: ProbeResult = {
      cluster: 'healthy',
      probe: 'issuer',
      status: 'fail',
      startedAt: new Date().toISOString(),
      durationMs: 1,
      findings: [{ code: 'DISCOVERY_ISSUER_MISMATCH', severity: 'fail', message: `issuer "${JWT}"`, remediation: 'x' }],
    };
    const { api, close } = await bare(() => Promise.resolve({ result: leaky, joined: false }));
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/clusters/healthy/probes/issuer/run',
      headers: bearer(WRITE),
    });
    await close();
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(JWT.split('.')[1]);
    expect(res.json<RunBody>().result.findings[0]?.message).toBe('issuer "[REDACTED:jwt]"');
  });

  it('where nothing runs probes: 409 NOT_AVAILABLE; a shutting-down agent: 503 RUN_NOT_COMPLETED', async () => {
    const none = await bare();
    const res = await none.api.inject({
      method: 'POST',
      url: '/api/v1/clusters/healthy/probes/issuer/run',
      headers: bearer(WRITE),
    });
    await none.close();
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'NOT_AVAILABLE' } });

    const stopping = await bare(() =>
      Promise.reject(Object.assign(new Error('The issuer run delivered no result'), { code: 'RUN_NOT_COMPLETED' })),
    );
    const late = await stopping.api.inject({
      method: 'POST',
      url: '/api/v1/clusters/healthy/probes/issuer/run',
      headers: bearer(WRITE),
    });
    await stopping.close();
    expect(late.statusCode).toBe(503);
    expect(late.json()).toMatchObject({ error: { code: 'RUN_NOT_COMPLETED' } });
  });
});
