// A jwks_uri is chosen by whoever writes the issuer's documents: the issuer and jwks probes fetch it only over https
// and never from the agent's own network (metadata, link-local, loopback or private addresses, unless allowed), and
// no request reaches such a target. Probes/shared/fetch-policy.ts decides; the fetcher enforces it at connect time.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssuerProbe, ISSUER_PROBE_DEFAULTS } from '../../../probes/issuer/probe.ts';
import { createJwksProbe } from '../../../probes/jwks/probe.ts';
import { createHttpFetcher } from '../../../src/clients/http-fetcher.ts';
import type { HttpFetcher } from '../../../src/clients/http.ts';
import { clusterDefaults } from '../../../src/config/defaults.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';
import type { ProbeOutcome } from '../../../src/core/model.ts';
import type { Probe } from '../../../src/core/probe.ts';
import { createLabTls } from '../../../src/lab/tls.ts';
import type { LabTls } from '../../../src/lab/tls.ts';

const fetcher = createHttpFetcher();
const servers: (HttpsServer | NetServer)[] = [];
let tls: LabTls;
/** Connections each target received, by port. */
const connections = new Map<number, number>();
let jwksUri = '';

const goodKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
  kid: 'good',
  alg: 'RS256',
};

const listen = async <S extends HttpsServer | NetServer>(server: S): Promise<number> => {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  connections.set(port, 0);
  server.on('connection', () => connections.set(port, (connections.get(port) ?? 0) + 1));
  return port;
};

let issuer = '';
/** An HTTPS server holding a good JWKS: what an attacker's target would answer, if any request reached it. */
let target = 0;
/** A plain TCP listener: an http:// target or a metadata stand-in; it only counts connections. */
let plain = 0;

beforeAll(async () => {
  tls = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-ssrf-')));
  const serve = (body: () => string) =>
    createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      const json = (text: string): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(text);
      if (req.url === '/oidc/.well-known/openid-configuration') json(body());
      else if (req.url?.endsWith('keys.json')) json(JSON.stringify({ keys: [goodKey] }));
      else res.writeHead(404).end();
    });
  const issuerPort = await listen(
    serve(() =>
      JSON.stringify({
        issuer,
        jwks_uri: jwksUri,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      }),
    ),
  );
  issuer = `https://127.0.0.1:${issuerPort}/oidc`;
  target = await listen(serve(() => '{}'));
  plain = await listen(createNetServer((socket) => socket.destroy()));
});

afterAll(async () => {
  await fetcher.close();
  for (const s of servers) if ('closeAllConnections' in s) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** Runs `probe` with the issuer's document naming `uri`; records every URL the probe asked the fetcher for. */
async function run(
  probe: Probe,
  uri: string,
  labels: Record<string, string> = {},
): Promise<{ out: ProbeOutcome; asked: string[] }> {
  jwksUri = uri;
  const asked: string[] = [];
  const http: HttpFetcher = { get: (url, opts) => (asked.push(url), fetcher.get(url, opts)) };
  const cluster: ClusterConfig = {
    name: 'ssrf',
    issuer,
    region: 'us-east-1',
    labels,
    ...clusterDefaults(),
    caPem: tls.caPem,
  };
  const out = await probe.run(cluster, {
    readTokenFile: () => Promise.reject(new Error('no token files here')),
    http,
    log: pino({ level: 'silent' }),
    now: () => new Date(),
    signal: new AbortController().signal,
  });
  return { out, asked };
}

const issuerProbe = createIssuerProbe(ISSUER_PROBE_DEFAULTS);
const jwksProbe = createJwksProbe();
const codes = (out: ProbeOutcome) => out.findings.map((f) => f.code);

describe('a jwks_uri the agent must not fetch', () => {
  it('on the issuer itself is fetched (the baseline: the lab serves issuers on loopback)', async () => {
    const { out, asked } = await run(issuerProbe, `${issuer}/keys.json`);
    expect(out.findings).toEqual([]);
    expect(asked).toEqual([`${issuer}/.well-known/openid-configuration`, `${issuer}/keys.json`]);
  });

  it.each([
    ['http://', () => `http://127.0.0.1:${plain}/latest/meta-data/iam/security-credentials/`, 'JWKS_URI_INSECURE'],
    [
      'the metadata address',
      () => 'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'JWKS_URI_REFUSED',
    ],
    ['the metadata address, IPv4-mapped', () => 'https://[::ffff:169.254.169.254]/keys.json', 'JWKS_URI_REFUSED'],
    ['another loopback port', () => `https://127.0.0.1:${target}/keys.json`, 'JWKS_URI_REFUSED'],
    ['another loopback address', () => `https://127.0.0.2:${target}/keys.json`, 'JWKS_URI_REFUSED'],
  ])('on %s: a finding from both probes, and no request is made', async (_what, uri, code) => {
    const before = new Map(connections);
    const issuerRun = await run(issuerProbe, uri());
    expect(codes(issuerRun.out)).toEqual([code]);
    expect(issuerRun.out.findings[0]?.evidence).toMatchObject({ jwksUri: uri() });
    const jwksRun = await run(jwksProbe, uri());
    expect(codes(jwksRun.out)).toContain('JWKS_UNAVAILABLE');
    expect(jwksRun.out.findings.find((f) => f.code === 'JWKS_UNAVAILABLE')?.message).toContain('is not fetched');
    for (const { asked } of [issuerRun, jwksRun]) expect(asked).not.toContain(uri());
    expect(connections).toEqual(before);
  });

  it('on a host name that resolves to loopback: refused when connecting, before any byte is sent', async () => {
    const uri = `https://localhost:${target}/keys.json`;
    const before = connections.get(target);
    const issuerRun = await run(issuerProbe, uri);
    expect(codes(issuerRun.out)).toEqual(['JWKS_URI_REFUSED']);
    expect(issuerRun.out.findings[0]?.evidence).toMatchObject({
      host: `localhost:${target}`,
      reason: expect.stringMatching(/^localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/),
    });
    const jwksRun = await run(jwksProbe, uri);
    expect(codes(jwksRun.out)).toContain('JWKS_UNAVAILABLE');
    // The fetcher was asked, and refused at connect time: the target saw no connection.
    expect(issuerRun.asked).toContain(uri);
    expect(connections.get(target)).toBe(before);
  });

  it('an issuer found by discovery (an IAM OIDC provider anyone with IAM access may create) is itself guarded', async () => {
    const issuerPort = Number(new URL(issuer).port);
    const before = connections.get(issuerPort);
    const { out } = await run(issuerProbe, `${issuer}/keys.json`, { discovered: 'prod' });
    expect(codes(out)).toEqual(['ISSUER_UNREACHABLE']);
    expect(out.findings[0]?.evidence).toMatchObject({ error: 'ADDRESS_REFUSED' });
    expect(codes((await run(jwksProbe, `${issuer}/keys.json`, { discovered: 'prod' })).out)).toContain(
      'JWKS_UNAVAILABLE',
    );
    expect(connections.get(issuerPort)).toBe(before);
    // Allowed private addresses: the same discovered issuer is read.
    const allowing = createIssuerProbe({ ...ISSUER_PROBE_DEFAULTS, allowPrivateAddresses: true });
    expect((await run(allowing, `${issuer}/keys.json`, { discovered: 'prod' })).out.findings).toEqual([]);
  });

  it('with allowPrivateAddresses, a loopback host is fetched (what the refusals above prevent)', async () => {
    const uri = `https://localhost:${target}/keys.json`;
    const before = connections.get(target)!;
    const allowing = createIssuerProbe({ ...ISSUER_PROBE_DEFAULTS, allowPrivateAddresses: true });
    expect((await run(allowing, uri)).out.findings).toEqual([]);
    expect((await run(createJwksProbe({ allowPrivateAddresses: true }), uri)).out.observations).toMatchObject({
      publishedKids: ['good'],
    });
    expect(connections.get(target)).toBeGreaterThan(before);
    // The metadata address stays refused.
    const metadata = await run(allowing, 'https://169.254.169.254/keys.json');
    expect(codes(metadata.out)).toEqual(['JWKS_URI_REFUSED']);
  });
});
