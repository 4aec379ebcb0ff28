// The issuer probe against the lab: healthy is ok, each hosting fault gives its code and fails, healing is ok again.
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIssuerProbe, ISSUER_PROBE_DEFAULTS } from '../../../probes/issuer/probe.ts';
import { createHttpFetcher } from '../../../src/clients/http-fetcher.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';
import type { Lab } from '../../../src/lab/index.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { ProbeContext } from '../../../src/core/probe.ts';
import { startTestLab } from '../../helpers/lab.ts';
import { clusterDefaults } from '../../../src/config/defaults.ts';

const http = createHttpFetcher();
const ctx = (): ProbeContext => ({
  http,
  log: pino({ level: 'silent' }),
  now: () => new Date(),
  signal: new AbortController().signal,
  readTokenFile: () => Promise.reject(new Error('no token files here')),
});
const probe = createIssuerProbe(ISSUER_PROBE_DEFAULTS);
// A short STS budget keeps the slow and dead issuer cases fast.
const impatient = createIssuerProbe({ ...ISSUER_PROBE_DEFAULTS, warnLatencyMs: 300, failLatencyMs: 600 });
const probeFor = (fault: string) => (fault === 'issuer-slow' || fault === 'issuer-down' ? impatient : probe);

let lab: Lab;
let cluster: ClusterConfig;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: 'prod-east' }], keyPool: 1 } });
  const info = lab.info().clusters[0]!;
  cluster = {
    name: info.name,
    issuer: info.issuer,
    region: 'us-east-1',
    labels: {},
    caPem: lab.caPem,
    ...clusterDefaults(),
  };
});

afterAll(async () => {
  await http.close();
  await lab.close();
});

beforeEach(async () => {
  await lab.heal();
});

describe('issuer probe against the lab', () => {
  it('finds nothing wrong with a healthy cluster and records what it saw', async () => {
    const out = await probe.run(cluster, ctx());
    expect(out.findings).toEqual([]);
    expect(statusOf(out.findings)).toBe('ok');
    expect(out.observations).toMatchObject({
      discoveryIssuer: cluster.issuer,
      jwksUri: `${cluster.issuer}/keys.json`,
      discoveryLatencyMs: expect.any(Number),
      jwksLatencyMs: expect.any(Number),
      tlsValidTo: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(out.observations?.kids).toEqual([lab.state.clusters.get('prod-east')!.signingKey.kid]);
  });

  const faults: {
    fault: string;
    params?: Record<string, unknown>;
    code: string;
    evidence?: Record<string, unknown>;
  }[] = [
    {
      fault: 'bucket-policy-deny-non-vpce',
      code: 'ISSUER_HTTP_ERROR',
      evidence: { status: 403, s3ErrorCode: 'AccessDenied' },
    },
    {
      fault: 'bucket-policy-deleted',
      code: 'ISSUER_HTTP_ERROR',
      evidence: { status: 403, s3ErrorCode: 'AccessDenied' },
    },
    { fault: 'block-public-access', code: 'ISSUER_HTTP_ERROR', evidence: { status: 403, s3ErrorCode: 'AccessDenied' } },
    { fault: 'account-block-public-access', code: 'ISSUER_HTTP_ERROR', evidence: { status: 403 } },
    // 2 × 400 ms is above the 600 ms budget whatever the load, and each document well within its 1200 ms wait.
    { fault: 'issuer-slow', params: { ms: 400 }, code: 'ISSUER_SLOW', evidence: { failMs: 600 } },
    { fault: 'issuer-error', params: { status: 503 }, code: 'ISSUER_HTTP_ERROR', evidence: { status: 503 } },
    // The lab resets the TCP connection, as a dead issuer host does.
    {
      fault: 'issuer-down',
      code: 'ISSUER_UNREACHABLE',
      evidence: { error: 'CONNECTION_RESET' },
    },
    {
      fault: 'discovery-issuer-mismatch',
      code: 'DISCOVERY_ISSUER_MISMATCH',
      evidence: { published: expect.stringMatching(/\/$/) },
    },
    { fault: 'jwks-malformed', code: 'JWKS_INVALID' },
    { fault: 'jwks-uri-http', code: 'JWKS_URI_INSECURE' },
  ];

  it.each(faults)('$fault gives $code and fails', async ({ fault, params, code, evidence }) => {
    await lab.applyFault({
      ...(fault === 'account-block-public-access' ? {} : { cluster: cluster.name }),
      fault,
      ...params,
    });
    const out = await probeFor(fault).run(cluster, ctx());
    expect(statusOf(out.findings)).toBe('fail');
    expect(out.findings.map((f) => f.code)).toEqual([code]);
    const [f] = out.findings;
    expect(f?.severity).toBe('fail');
    expect(f?.remediation.length).toBeGreaterThan(20);
    if (evidence) expect(f?.evidence).toMatchObject(evidence);
  });

  it('is ok again once the lab heals', async () => {
    await lab.applyFault({ cluster: cluster.name, fault: 'issuer-error' });
    expect(statusOf((await probe.run(cluster, ctx())).findings)).toBe('fail');
    await lab.heal();
    const out = await probe.run(cluster, ctx());
    expect(out.findings).toEqual([]);
  });
});
