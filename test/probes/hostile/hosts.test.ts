// The issuer and jwks probes against hostile or broken issuer hosts: slowloris, a host that never answers, a 10 MiB
// body, a gzip bomb, redirects, bad certificates, HTTP/1.0 without a length, resets. Each case gives the right finding
// (the issuer probe names what STS would stumble on; the jwks probe, which leaves that to the issuer probe, says
// `unknown`), within a bound of the probe's own timeouts, in bounded memory, and leaves nothing unhandled behind.
import { mkdtempSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLabTls } from '../../../src/lab/tls.ts';
import type { LabTls } from '../../../src/lab/tls.ts';
import {
  discoveryOf,
  gzipBomb,
  HostileHosts,
  MiB,
  pumpForever,
  selfSignedTls,
  servingJwks,
  watchProcessErrors,
  writeInPieces,
} from '../../helpers/hostile.ts';
import type { IssuerHandler } from '../../helpers/hostile.ts';
import {
  expectOutcome,
  http,
  IMPATIENT,
  impatientIssuerProbe,
  issuerProbe,
  JWKS_FETCH_TIMEOUT_MS,
  jwksProbe,
  runProbe,
  signerJwk,
  signerKid,
} from './probes.ts';
import type { Expected } from './probes.ts';

let tls: LabTls;
let hosts: HostileHosts;
const watcher = watchProcessErrors();
/** A run against a host that answers at once: well under STS's 5 s budget, however loaded the machine. */
const FAST_MS = 5_000;
/** The impatient issuer probe waits 2 × failLatencyMs per document; three times that is its bound. */
const SLOW_ISSUER_MS = 3 * 2 * IMPATIENT.failLatencyMs;
const SLOW_JWKS_MS = 3 * JWKS_FETCH_TIMEOUT_MS;
/** A gzip bomb: 100 MiB of zeros in about 100 KiB (inflated whole, it would pass the memory bound twice). */
let bomb: Buffer;
const tenMiB = Buffer.alloc(10 * MiB, 'x');

beforeAll(async () => {
  tls = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-hostile-')));
  hosts = new HostileHosts(tls);
  bomb = await gzipBomb(100 * MiB);
});
afterEach(() => watcher.check());
afterAll(async () => {
  watcher.stop();
  await http.close();
  await hosts.close();
});

const unavailable = (says?: string | RegExp): Expected => ({
  codes: ['JWKS_UNAVAILABLE'],
  status: 'unknown',
  ...(says !== undefined && { says }),
});

/** Both probes against one host: the issuer probe's finding, and the jwks probe's `unknown`. */
async function against(
  issuer: string,
  want: { issuer: Expected; jwks: Expected },
  opts: { caPem?: string | null; slow?: boolean } = {},
): Promise<void> {
  const caPem = opts.caPem === undefined ? tls.caPem : opts.caPem;
  const [i, j] = await Promise.all([
    runProbe(opts.slow ? impatientIssuerProbe : issuerProbe, issuer, caPem),
    runProbe(jwksProbe, issuer, caPem),
  ]);
  expectOutcome(i, want.issuer, opts.slow ? SLOW_ISSUER_MS : FAST_MS);
  expectOutcome(j, want.jwks, opts.slow ? SLOW_JWKS_MS : FAST_MS);
}

const healthy = servingJwks({ keys: [signerJwk] });

describe('hostile issuer hosts', () => {
  it('a well-behaved host: nothing to report (the baseline for every case below)', async () => {
    const { issuer } = await hosts.https(healthy);
    const i = await runProbe(issuerProbe, issuer, tls.caPem);
    expect(i.value.findings).toEqual([]);
    expect(i.value.observations?.kids).toEqual([signerKid]);
    const j = await runProbe(jwksProbe, issuer, tls.caPem);
    expect(j.value.findings).toEqual([]);
    expect(j.value.observations).toMatchObject({ publishedKids: [signerKid], signingKids: [signerKid] });
  });

  describe('hosts that never finish', { concurrent: true, timeout: SLOW_JWKS_MS + 10_000 }, () => {
    it('slowloris on the headers: a byte a second, never a blank line', async () => {
      const { issuer } = await hosts.raw((_path, socket) => {
        socket.write('HTTP/1.1 200 OK\r\nX-Slow: ');
        const tick = hosts.every(1000, () => (socket.destroyed ? hosts.stop(tick) : socket.write('x')));
      });
      await against(
        issuer,
        {
          issuer: {
            codes: ['ISSUER_UNREACHABLE'],
            status: 'fail',
            first: { evidence: expect.objectContaining({ error: 'TIMEOUT' }) },
          },
          jwks: unavailable(`no complete response within ${JWKS_FETCH_TIMEOUT_MS} ms`),
        },
        { slow: true },
      );
    });

    it('slowloris on the body: headers at once, then a byte a second', async () => {
      const { issuer } = await hosts.https((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).write('{');
        const tick = hosts.every(1000, () => (res.destroyed ? hosts.stop(tick) : res.write(' ')));
      });
      await against(
        issuer,
        {
          issuer: {
            codes: ['ISSUER_UNREACHABLE'],
            status: 'fail',
            first: { evidence: expect.objectContaining({ error: 'TIMEOUT' }) },
          },
          jwks: unavailable(`no complete response within ${JWKS_FETCH_TIMEOUT_MS} ms`),
        },
        { slow: true },
      );
    });

    it('accepts the connection and never answers', async () => {
      const { issuer } = await hosts.https(() => undefined);
      await against(
        issuer,
        {
          issuer: {
            codes: ['ISSUER_UNREACHABLE'],
            status: 'fail',
            first: { evidence: expect.objectContaining({ error: 'TIMEOUT' }) },
          },
          jwks: unavailable('the discovery document: no complete response'),
        },
        { slow: true },
      );
    });

    it('serves the discovery document and never answers for the JWKS', async () => {
      const { issuer } = await hosts.https((req, res, iss) => {
        if (req.url === '/oidc/.well-known/openid-configuration')
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(discoveryOf(iss)));
      });
      await against(
        issuer,
        {
          issuer: {
            codes: ['JWKS_HTTP_ERROR'],
            status: 'fail',
            first: { evidence: expect.objectContaining({ error: 'TIMEOUT' }) },
          },
          jwks: unavailable('the JWKS: no complete response'),
        },
        { slow: true },
      );
    });
  });

  it('a 10 MiB discovery document is cut at the 1 MiB cap', async () => {
    const { issuer } = await hosts.https((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      writeInPieces(res, tenMiB);
    });
    await against(issuer, {
      issuer: {
        codes: ['DISCOVERY_INVALID'],
        status: 'fail',
        first: { evidence: expect.objectContaining({ error: 'TOO_LARGE' }) },
      },
      jwks: unavailable('body larger than 1048576 bytes'),
    });
  });

  it('a 10 MiB JWKS, and one that never ends, are cut at the cap', async () => {
    for (const body of ['ten', 'endless']) {
      const { issuer } = await hosts.https((req, res, iss) => {
        if (req.url !== '/oidc/keys.json') return healthy(req, res, iss);
        res.writeHead(200, { 'content-type': 'application/json' });
        if (body === 'ten') writeInPieces(res, tenMiB);
        else pumpForever(res, Buffer.from(JSON.stringify(signerJwk) + ','));
      });
      await against(issuer, {
        issuer: {
          codes: ['JWKS_INVALID'],
          status: 'fail',
          first: { evidence: expect.objectContaining({ error: 'TOO_LARGE' }) },
        },
        jwks: unavailable('the JWKS: body larger than 1048576 bytes'),
      });
    }
  });

  it('a gzip-encoded document is read as the document it encodes', async () => {
    const gzipped: IssuerHandler = (req, res, iss) => {
      const doc = req.url === '/oidc/keys.json' ? { keys: [signerJwk] } : discoveryOf(iss);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify(doc)));
    };
    const { issuer } = await hosts.https(gzipped);
    await against(issuer, { issuer: { codes: [], status: 'ok' }, jwks: { codes: [], status: 'ok' } });
  });

  it('a gzip bomb (100 MiB of zeros in 100 KiB) stops at the cap on the decoded bytes', async () => {
    expect(bomb.length).toBeLessThan(MiB);
    for (const where of ['/oidc/.well-known/openid-configuration', '/oidc/keys.json']) {
      const { issuer } = await hosts.https((req, res, iss) => {
        if (req.url !== where) return healthy(req, res, iss);
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        writeInPieces(res, bomb);
      });
      await against(issuer, {
        issuer: {
          codes: [where.endsWith('keys.json') ? 'JWKS_INVALID' : 'DISCOVERY_INVALID'],
          status: 'fail',
          first: { evidence: expect.objectContaining({ error: 'TOO_LARGE' }) },
        },
        jwks: unavailable('body larger than 1048576 bytes'),
      });
    }
  });

  it('a body that is not what its Content-Encoding says is an invalid document', async () => {
    const { issuer } = await hosts.https((_req, res, iss) =>
      res
        .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
        .end(JSON.stringify(discoveryOf(iss))),
    );
    await against(issuer, {
      issuer: {
        codes: ['DISCOVERY_INVALID'],
        status: 'fail',
        first: { evidence: expect.objectContaining({ error: 'UNDECODABLE' }) },
      },
      jwks: unavailable('is not what its Content-Encoding says'),
    });
  });

  it('a redirect loop is named and not followed', async () => {
    let hits = 0;
    const { issuer } = await hosts.https((req, res) => {
      hits++;
      res.writeHead(301, { location: req.url }).end();
    });
    await against(issuer, {
      issuer: {
        codes: ['ISSUER_HTTP_ERROR'],
        status: 'fail',
        first: {
          evidence: expect.objectContaining({ status: 301, location: '/oidc/.well-known/openid-configuration' }),
        },
        says: 'redirect to /oidc/.well-known/openid-configuration not followed',
      },
      jwks: unavailable('HTTP 301'),
    });
    expect(hits).toBe(2); // one GET per probe
  });

  it('a redirect to http:// is named and not followed, for either document', async () => {
    for (const where of ['/oidc/.well-known/openid-configuration', '/oidc/keys.json']) {
      const target = `http://127.0.0.1:9${where}`;
      const { issuer } = await hosts.https((req, res, iss) =>
        req.url === where ? void res.writeHead(302, { location: target }).end() : healthy(req, res, iss),
      );
      await against(issuer, {
        issuer: {
          codes: [where.endsWith('keys.json') ? 'JWKS_HTTP_ERROR' : 'ISSUER_HTTP_ERROR'],
          status: 'fail',
          first: { evidence: expect.objectContaining({ status: 302, location: target }) },
          says: `a redirect to ${target} not followed`,
        },
        jwks: unavailable('HTTP 302'),
      });
    }
  });

  it.each([
    ['expired', 'CERT_HAS_EXPIRED'],
    ['self-signed', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['for another host name', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['from a CA the agent does not trust', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  ])('a certificate %s is rejected, naming why', async (kind, reason) => {
    let issuer: string;
    let caPem: string | null = tls.caPem;
    if (kind === 'expired') {
      const expired = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-expired-')), -0.5);
      ({ issuer } = await hosts.https(healthy, expired));
      caPem = expired.caPem;
    } else if (kind === 'self-signed') {
      ({ issuer } = await hosts.https(healthy, await selfSignedTls()));
    } else if (kind === 'for another host name') {
      // The lab leaf names 127.0.0.1 and localhost; Linux routes all of 127/8 to the loopback.
      ({ issuer } = await hosts.https(healthy, tls, '127.0.0.2'));
    } else {
      ({ issuer } = await hosts.https(healthy));
      caPem = null;
    }
    await against(
      issuer,
      { issuer: { codes: ['ISSUER_TLS_INVALID'], status: 'fail', says: reason }, jwks: unavailable(reason) },
      { caPem },
    );
  });

  it('HTTP/1.0 without a Content-Length, closed by the server: the document is what came before the close', async () => {
    const { issuer } = await hosts.raw((path, socket, iss) => {
      const doc = path === '/oidc/keys.json' ? { keys: [signerJwk] } : discoveryOf(iss);
      socket.end(`HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(doc)}`);
    });
    await against(issuer, { issuer: { codes: [], status: 'ok' }, jwks: { codes: [], status: 'ok' } });
  });

  it('HTTP/1.0 without a Content-Length, closed mid-document: invalid, by position', async () => {
    const { issuer } = await hosts.raw((_path, socket, iss) => {
      const doc = JSON.stringify(discoveryOf(iss));
      socket.end(`HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n${doc.slice(0, doc.length / 2)}`);
    });
    await against(issuer, {
      issuer: { codes: ['DISCOVERY_INVALID'], status: 'fail', says: /is not JSON \(.+ at line 1, column \d+\)/ },
      jwks: unavailable(/is not JSON \(.+ at line 1, column \d+\)/),
    });
  });

  it('a TCP reset is unreachable', async () => {
    // A TLS socket cannot be reset; its TCP socket can, found by the client's port.
    const tcp = new Map<number | undefined, Socket>();
    const { issuer, server } = await hosts.https((req) => tcp.get(req.socket.remotePort)?.resetAndDestroy());
    server.on('connection', (raw: Socket) => tcp.set(raw.remotePort, raw));
    await against(issuer, {
      issuer: {
        codes: ['ISSUER_UNREACHABLE'],
        status: 'fail',
        first: { evidence: expect.objectContaining({ error: 'CONNECTION_RESET' }) },
      },
      jwks: unavailable(),
    });
  });

  it('warns about a certificate that expires within the warning window', async () => {
    const expiring = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-expiring-')), 5);
    const { issuer } = await hosts.https(healthy, expiring);
    const out = (await runProbe(issuerProbe, issuer, expiring.caPem)).value;
    expect(out.findings.map((f) => f.code)).toEqual(['ISSUER_TLS_EXPIRING']);
    expect(out.findings[0]?.evidence).toMatchObject({ daysLeft: 4 });
    expect(out.observations?.tlsValidTo).toBe(out.findings[0]?.evidence?.validTo);
  });
});
