// The issuer probe against a real third-party OpenID provider (panva's oidc-provider) on localhost HTTPS.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuerProbe } from '../../../probes/issuer/probe.ts';
import { createHttpFetcher } from '../../../src/clients/http-fetcher.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';
import { createLabTls } from '../../../src/lab/tls.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { ProbeOutcome } from '../../../src/core/model.ts';
import { clusterDefaults } from '../../../src/config/defaults.ts';

const http = createHttpFetcher();
let server: Server;
let issuer: string;
let caPem: string;

beforeAll(async () => {
  const tls = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-oidc-')));
  caPem = tls.caPem;
  server = createServer({ key: tls.keyPem, cert: tls.certPem });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...signingKey, kid: 'oidc-provider-rs256', alg: 'RS256', use: 'sig' }] },
    features: { devInteractions: { enabled: false } },
  });
  const handle = provider.callback();
  server.on('request', (req, res) => void handle(req, res));
});

afterAll(async () => {
  await http.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const run = (configuredIssuer: string): Promise<ProbeOutcome> => {
  const cluster: ClusterConfig = {
    name: 'oidc-provider',
    issuer: configuredIssuer,
    region: 'us-east-1',
    labels: {},
    caPem,
    ...clusterDefaults(),
  };
  return issuerProbe.run(cluster, {
    readTokenFile: () => Promise.reject(new Error('no token files here')),
    http,
    log: pino({ level: 'silent' }),
    now: () => new Date(),
    signal: new AbortController().signal,
  });
};

describe('issuer probe against oidc-provider', () => {
  it('is ok with the issuer the provider publishes', async () => {
    const out = await run(issuer);
    expect(out.findings).toEqual([]);
    expect(statusOf(out.findings)).toBe('ok');
    expect(out.observations).toMatchObject({ discoveryIssuer: issuer, jwksUri: `${issuer}/jwks` });
    expect(out.observations?.kids).toContain('oidc-provider-rs256');
  });

  it('flags an issuer configured with a trailing slash the provider does not publish', async () => {
    const out = await run(`${issuer}/`);
    expect(out.findings.map((f) => f.code)).toEqual(['DISCOVERY_ISSUER_MISMATCH']);
    expect(out.findings[0]?.evidence).toEqual({ configured: `${issuer}/`, published: issuer });
    expect(statusOf(out.findings)).toBe('fail');
  });

  it('cannot find a discovery document under a different path', async () => {
    const out = await run(`${issuer}/tenant-a`);
    expect(out.findings.map((f) => f.code)).toEqual(['ISSUER_HTTP_ERROR']);
    expect(out.findings[0]?.evidence).toMatchObject({ status: 404 });
  });
});
