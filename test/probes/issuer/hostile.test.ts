// The issuer probe against hostile or broken issuer hosts: every case returns a result (never throws), bounded in
// time and size, and leaves nothing unhandled behind (vitest fails a run with unhandled errors).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssuerProbe, ISSUER_PROBE_DEFAULTS, issuerProbe } from '../../../probes/issuer/probe.ts';
import { createHttpFetcher } from '../../../src/clients/http-fetcher.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';
import { createLabTls } from '../../../src/lab/tls.ts';
import type { LabTls } from '../../../src/lab/tls.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { ProbeOutcome } from '../../../src/core/model.ts';
import { clusterDefaults } from '../../../src/config/defaults.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, issuer: string) => void;

const http = createHttpFetcher();
// The never-answering host is given up on after twice this short STS budget.
const impatient = createIssuerProbe({ ...ISSUER_PROBE_DEFAULTS, warnLatencyMs: 200, failLatencyMs: 300 });
const servers: Server[] = [];
let tls: LabTls;

beforeAll(async () => {
  tls = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-hostile-')));
});

afterAll(async () => {
  await http.close();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** An HTTPS issuer at https://127.0.0.1:PORT/oidc whose every request goes to `handler`. */
async function issuerHost(handler: Handler, creds: LabTls = tls): Promise<{ issuer: string; server: Server }> {
  let issuer = '';
  const server = createServer({ key: creds.keyPem, cert: creds.certPem }, (req, res) => handler(req, res, issuer));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}/oidc`;
  return { issuer, server };
}

const discovery = (issuer: string): string =>
  JSON.stringify({
    issuer,
    jwks_uri: `${issuer}/keys.json`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  });

const rsaJwk = (bits: number): Record<string, unknown> =>
  generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
const goodKey = { ...rsaJwk(2048), kid: 'good', alg: 'RS256', use: 'sig' };

/** A well-behaved issuer serving `keys` as its JWKS body. */
const serving =
  (jwks: unknown): Handler =>
  (req, res, issuer) => {
    const json = (body: string): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    if (req.url === '/oidc/.well-known/openid-configuration') json(discovery(issuer));
    else if (req.url === '/oidc/keys.json') json(typeof jwks === 'string' ? jwks : JSON.stringify(jwks));
    else res.writeHead(404).end();
  };

/** Runs the probe trusting `caPem` (the test CA by default; null: the system store only). */
async function run(issuer: string, caPem: string | null = tls.caPem, probe = issuerProbe): Promise<ProbeOutcome> {
  const cluster: ClusterConfig = {
    name: 'hostile',
    issuer,
    region: 'us-east-1',
    labels: {},
    ...clusterDefaults(),
    ...(caPem !== null && { caPem }),
  };
  return probe.run(cluster, {
    readTokenFile: () => Promise.reject(new Error('no token files here')),
    http,
    log: pino({ level: 'silent' }),
    now: () => new Date(),
    signal: new AbortController().signal,
  });
}

const codes = (out: ProbeOutcome): string[] => out.findings.map((f) => f.code);

describe('issuer probe against hostile hosts', () => {
  it('is ok against a well-behaved host (the baseline for the cases below)', async () => {
    const { issuer } = await issuerHost(serving({ keys: [goodKey] }));
    const out = await run(issuer);
    expect(out.findings).toEqual([]);
    expect(out.observations?.kids).toEqual(['good']);
  });

  it('cuts a 10 MiB discovery document at the size cap', async () => {
    const { issuer } = await issuerHost((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`);
    });
    const out = await run(issuer);
    expect(codes(out)).toEqual(['DISCOVERY_INVALID']);
    expect(out.findings[0]?.evidence).toMatchObject({ error: 'TOO_LARGE' });
  });

  it('cuts a JWKS that never ends at the size cap', async () => {
    const { issuer } = await issuerHost((req, res, iss) => {
      if (req.url !== '/oidc/keys.json') return serving({})(req, res, iss);
      res.writeHead(200, { 'content-type': 'application/json' }).write('{"keys":[');
      const pump = (): void => {
        while (!res.destroyed && res.write(JSON.stringify(goodKey) + ','));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const out = await run(issuer);
    expect(codes(out)).toEqual(['JWKS_INVALID']);
    expect(out.findings[0]?.evidence).toMatchObject({ error: 'TOO_LARGE' });
  });

  it('reports a discovery document that is not JSON', async () => {
    const { issuer } = await issuerHost((_req, res) => res.writeHead(200).end('<html>hello</html>'));
    const out = await run(issuer);
    expect(codes(out)).toEqual(['DISCOVERY_INVALID']);
    expect(out.findings[0]?.message).toContain('not JSON');
  });

  it('reports a TCP reset as unreachable', async () => {
    // A TLS socket cannot be reset; its TCP socket can, found by the client's port.
    const tcp = new Map<number | undefined, Socket>();
    const { issuer, server } = await issuerHost((req) => tcp.get(req.socket.remotePort)?.resetAndDestroy());
    server.on('connection', (raw: Socket) => tcp.set(raw.remotePort, raw));
    const out = await run(issuer);
    expect(codes(out)).toEqual(['ISSUER_UNREACHABLE']);
    expect(out.findings[0]?.evidence).toMatchObject({ error: 'CONNECTION_RESET' });
  });

  it('gives up on a host that accepts and never answers', async () => {
    const { issuer } = await issuerHost(() => undefined);
    const out = await run(issuer, tls.caPem, impatient);
    expect(codes(out)).toEqual(['ISSUER_UNREACHABLE']);
    expect(out.findings[0]?.evidence).toMatchObject({ error: 'TIMEOUT' });
    expect(statusOf(out.findings)).toBe('fail');
  });

  it('names a redirect loop and does not follow it', async () => {
    let hits = 0;
    const { issuer } = await issuerHost((req, res) => {
      hits++;
      res.writeHead(301, { location: req.url }).end();
    });
    const out = await run(issuer);
    expect(codes(out)).toEqual(['ISSUER_HTTP_ERROR']);
    expect(out.findings[0]?.message).toContain('redirect to /oidc/.well-known/openid-configuration not followed');
    expect(out.findings[0]?.evidence).toMatchObject({
      status: 301,
      location: '/oidc/.well-known/openid-configuration',
    });
    expect(hits).toBe(1);
  });

  it('rejects a certificate the agent does not trust', async () => {
    const { issuer } = await issuerHost(serving({ keys: [goodKey] }));
    const out = await run(issuer, null);
    expect(codes(out)).toEqual(['ISSUER_TLS_INVALID']);
    expect(out.findings[0]?.message).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('rejects an expired certificate', async () => {
    const expired = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-expired-')), -0.5);
    const { issuer } = await issuerHost(serving({ keys: [goodKey] }), expired);
    const out = await run(issuer, expired.caPem);
    expect(codes(out)).toEqual(['ISSUER_TLS_INVALID']);
    expect(out.findings[0]?.message).toContain('CERT_HAS_EXPIRED');
  });

  it('warns about a certificate that expires within the warning window', async () => {
    const expiring = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-expiring-')), 5);
    const { issuer } = await issuerHost(serving({ keys: [goodKey] }), expiring);
    const out = await run(issuer, expiring.caPem);
    expect(codes(out)).toEqual(['ISSUER_TLS_EXPIRING']);
    expect(statusOf(out.findings)).toBe('warn');
    expect(out.findings[0]?.evidence).toMatchObject({ daysLeft: 4 });
    expect(out.observations?.tlsValidTo).toBe(out.findings[0]?.evidence?.validTo);
  });
});

describe('issuer probe on documents STS cannot use', () => {
  const ec = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'ec' };

  it.each([
    ['an empty key list', { keys: [] }, 'JWKS has no keys'],
    ['no keys array', { key: [goodKey] }, 'no "keys" array'],
    ['a key without kid', { keys: [goodKey, { ...goodKey, kid: undefined }] }, 'key 1 has no kid'],
    ['a 1024-bit RSA key', { keys: [{ ...rsaJwk(1024), kid: 'weak' }] }, 'key 0 (kid weak) is an RSA key of 1024 bits'],
    ['an alg STS does not accept', { keys: [{ ...goodKey, alg: 'PS256' }] }, 'has alg PS256'],
    ['a key that does not import', { keys: [{ ...goodKey, e: undefined }] }, 'does not import'],
    ['101 RSA keys', { keys: Array.from({ length: 101 }, (_, i) => ({ ...goodKey, kid: `k${i}` })) }, '101 RSA keys'],
  ])('flags a JWKS with %s', async (_name, jwks, message) => {
    const { issuer } = await issuerHost(serving(jwks));
    const out = await run(issuer);
    expect(codes(out)).toEqual(['JWKS_INVALID']);
    expect(out.findings[0]?.message).toContain(message);
  });

  it('accepts an EC P-256 key without alg and names the index and kid of a bad key', async () => {
    const { issuer } = await issuerHost(serving({ keys: [ec, goodKey, { ...goodKey, kid: 'bad', alg: 'HS256' }] }));
    const out = await run(issuer);
    expect(codes(out)).toEqual(['JWKS_INVALID']);
    expect(out.findings[0]).toMatchObject({ subject: 'bad', evidence: { index: 2, kid: 'bad' } });
    expect(out.observations?.kids).toEqual(['ec', 'good', 'bad']);
  });

  it('reports the first ten bad keys one by one and counts the rest', async () => {
    const keys = Array.from({ length: 15 }, (_, i) => ({ ...goodKey, kid: `k${i}`, alg: 'none' }));
    const { issuer } = await issuerHost(serving({ keys }));
    const out = await run(issuer);
    expect(out.findings).toHaveLength(11);
    expect(out.findings[9]?.evidence).toMatchObject({ index: 9, kid: 'k9' });
    expect(out.findings[10]?.message).toBe('5 more keys of the JWKS have problems.');
  });

  it('flags a discovery document without RS256 or required fields', async () => {
    const { issuer } = await issuerHost((_req, res, iss) =>
      res.end(
        JSON.stringify({ issuer: iss, jwks_uri: `${iss}/keys.json`, id_token_signing_alg_values_supported: ['ES256'] }),
      ),
    );
    const out = await run(issuer);
    const messages = out.findings.filter((f) => f.code === 'DISCOVERY_INVALID').map((f) => f.message);
    expect(messages).toEqual([
      'The discovery document has no response_types_supported array.',
      'The discovery document has no subject_types_supported array.',
      'The discovery document does not advertise RS256 in id_token_signing_alg_values_supported (["ES256"]).',
    ]);
  });
});
