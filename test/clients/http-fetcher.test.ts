import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:https';
import type { RequestListener } from 'node:http';
import type { Server } from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetcher } from '../../src/clients/http-fetcher.ts';
import { FetchError } from '../../src/clients/http.ts';
import type { FetchOptions } from '../../src/clients/http.ts';
import { createLabTls } from '../../src/lab/tls.ts';
import type { LabTls } from '../../src/lab/tls.ts';

let tls: LabTls;
const servers: Server[] = [];
const fetcher = createHttpFetcher();

beforeAll(async () => {
  tls = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-fetch-')));
});

afterAll(async () => {
  await fetcher.close();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: RequestListener, creds = tls, host = '127.0.0.1'): Promise<string> {
  const server = createServer({ key: creds.keyPem, cert: creds.certPem }, handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  return `https://${host}:${(server.address() as AddressInfo).port}`;
}

const opts = (over: Partial<FetchOptions> = {}): FetchOptions => ({
  connectTimeoutMs: 1000,
  totalTimeoutMs: 2000,
  maxBytes: 1024,
  ca: tls.caPem,
  ...over,
});

async function failure(p: Promise<unknown>): Promise<FetchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchError);
  return err as FetchError;
}

describe('createHttpFetcher', () => {
  it('returns status, headers, body, latency and the leaf certificate facts', async () => {
    const base = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}'));
    const res = await fetcher.get(`${base}/doc`, opts());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body.toString()).toBe('{"a":1}');
    expect(res.latencyMs).toBeGreaterThanOrEqual(0);
    const leaf = new X509Certificate(tls.certPem);
    expect(res.tls?.validTo.getTime()).toBe(leaf.validToDate.getTime());
    expect(res.tls?.subject).toContain('CN=127.0.0.1');
    expect(res.tls?.issuer).toContain('irsa-sentinel lab CA');
    // A second GET reuses the pooled connection and still reports the certificate.
    expect((await fetcher.get(`${base}/doc`, opts())).tls?.validTo).toEqual(leaf.validToDate);
  });

  it('sends an anonymous GET', async () => {
    let seen: Record<string, unknown> = {};
    const base = await serve((req, res) => {
      seen = { method: req.method, headers: req.headers };
      res.end('ok');
    });
    await fetcher.get(`${base}/x`, opts());
    expect(seen.method).toBe('GET');
    expect(seen.headers).not.toHaveProperty('authorization');
    expect(seen.headers).not.toHaveProperty('cookie');
  });

  it('returns a redirect as a response and does not follow it', async () => {
    let hits = 0;
    const base = await serve((req, res) => {
      hits++;
      res.writeHead(302, { location: `/elsewhere${req.url}` }).end();
    });
    const res = await fetcher.get(`${base}/doc`, opts());
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/elsewhere/doc');
    expect(hits).toBe(1);
  });

  it('accepts a body of exactly maxBytes and cuts a larger one with TOO_LARGE', async () => {
    const base = await serve((req, res) => res.end('x'.repeat(req.url === '/big' ? 1025 : 1024)));
    expect((await fetcher.get(`${base}/fits`, opts())).body.length).toBe(1024);
    expect((await failure(fetcher.get(`${base}/big`, opts()))).code).toBe('TOO_LARGE');
  });

  it('stops reading a body that never ends', async () => {
    const base = await serve((_req, res) => {
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const err = await failure(fetcher.get(`${base}/`, opts({ maxBytes: 256 * 1024 })));
    expect(err.code).toBe('TOO_LARGE');
  });

  it('gives TIMEOUT when the server accepts and never answers, and when the body stalls', async () => {
    const silent = await serve(() => undefined);
    const err = await failure(fetcher.get(`${silent}/`, opts({ totalTimeoutMs: 200 })));
    expect(err.code).toBe('TIMEOUT');
    expect(err.latencyMs).toBeGreaterThanOrEqual(150);
    const stalls = await serve((_req, res) => res.writeHead(200).write('{"partial":'));
    expect((await failure(fetcher.get(`${stalls}/`, opts({ totalTimeoutMs: 200 })))).code).toBe('TIMEOUT');
  });

  it('maps a TCP reset to CONNECTION_RESET', async () => {
    // A TLS socket cannot be reset; its TCP socket can, found by the client's port.
    const tcp = new Map<number | undefined, Socket>();
    const base = await serve((req) => tcp.get(req.socket.remotePort)?.resetAndDestroy());
    (servers.at(-1) as Server).on('connection', (raw: Socket) => tcp.set(raw.remotePort, raw));
    expect((await failure(fetcher.get(`${base}/`, opts()))).code).toBe('CONNECTION_RESET');
  });

  it('maps a closed port to CONNECTION_REFUSED', async () => {
    const base = await serve(() => undefined);
    const server = servers.pop() as Server;
    await new Promise((r) => server.close(r));
    expect((await failure(fetcher.get(`${base}/`, opts()))).code).toBe('CONNECTION_REFUSED');
  });

  it('maps a name that does not resolve to DNS', async () => {
    expect((await failure(fetcher.get('https://no-such-host.invalid/', opts()))).code).toBe('DNS');
  });

  it('rejects a certificate from an untrusted CA with TLS and the reason', async () => {
    const base = await serve((_req, res) => res.end('never'));
    const err = await failure(fetcher.get(`${base}/`, opts({ ca: undefined })));
    expect(err.code).toBe('TLS');
    expect(err.message).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('rejects a certificate for another host with TLS', async () => {
    // The lab leaf covers 127.0.0.1 and localhost only; Linux routes all of 127/8 to the loopback.
    const base = await serve((_req, res) => res.end('never'), tls, '127.0.0.2');
    const err = await failure(fetcher.get(`${base}/`, opts()));
    expect(err.code).toBe('TLS');
    expect(err.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('rejects an expired certificate with TLS', async () => {
    const expired = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-fetch-exp-')), -0.5);
    const base = await serve((_req, res) => res.end('never'), expired);
    const err = await failure(fetcher.get(`${base}/`, opts({ ca: expired.caPem })));
    expect(err.code).toBe('TLS');
    expect(err.message).toContain('CERT_HAS_EXPIRED');
  });

  it('gives ABORTED when the caller aborts, and INVALID_URL for a bad URL', async () => {
    const silent = await serve(() => undefined);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect((await failure(fetcher.get(`${silent}/`, opts({ signal: ac.signal })))).code).toBe('ABORTED');
    expect((await failure(fetcher.get('not a url', opts()))).code).toBe('INVALID_URL');
    expect((await failure(fetcher.get('ftp://example.com/x', opts()))).code).toBe('INVALID_URL');
  });
});

describe('createHttpFetcher connections', () => {
  it('offers classical key exchange groups only: a server that takes only the ML-KEM hybrid is refused', async () => {
    const only = async (ecdhCurve: string): Promise<string> => {
      const server = createServer({ key: tls.keyPem, cert: tls.certPem, ecdhCurve }, (_req, res) => res.end('{}'));
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    const own = createHttpFetcher();
    try {
      expect((await own.get(`${await only('X25519')}/x`, opts())).status).toBe(200);
      expect((await own.get(`${await only('P-384')}/x`, opts())).status).toBe(200);
      expect((await failure(own.get(`${await only('X25519MLKEM768')}/x`, opts()))).code).toBe('TLS');
    } finally {
      await own.close();
    }
  });

  it('reuses a connection for a request made the moment the last ended, and closes it when idle, whatever the Keep-Alive hint', async () => {
    let opened = 0;
    let closed = 0;
    const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => res.end('{}'));
    // A Node server announces `Keep-Alive: timeout=72` for this; the fetcher still closes after its own 200 ms.
    server.keepAliveTimeout = 72_000;
    server.on('secureConnection', (socket: Socket) => {
      opened += 1;
      socket.on('close', () => (closed += 1));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const own = createHttpFetcher({ keepAliveTimeoutMs: 200 });
    try {
      const first = await own.get(`${url}/a`, opts());
      expect(first.headers['keep-alive']).toBe('timeout=72');
      // At once, as a probe asks for the JWKS after the discovery document (undici frees a connection one event-loop
      // turn after its response ends; the fetcher answers after that turn).
      for (const path of ['/b', '/c', '/d']) expect((await own.get(`${url}${path}`, opts())).status).toBe(200);
      expect(opened).toBe(1);
      await expect.poll(() => closed, { timeout: 3000, interval: 50 }).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('resumes the TLS session of a full handshake made within the window, and verifies again after it', async () => {
    const resumed: boolean[] = [];
    const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => res.end('{}'));
    server.on('secureConnection', (socket) => resumed.push(socket.isSessionReused()));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Connections closed after 20 ms idle, so each GET below opens its own.
    const own = createHttpFetcher({ keepAliveTimeoutMs: 20, sessionReuseMs: 400 });
    const never = createHttpFetcher({ keepAliveTimeoutMs: 20, sessionReuseMs: 0 });
    const idle = () => new Promise((r) => setTimeout(r, 100));
    const leaf = new X509Certificate(tls.certPem);
    try {
      expect((await own.get(`${url}/a`, opts())).tls?.validTo).toEqual(leaf.validToDate);
      await idle();
      // Resumed: no certificate sent, the facts are those of the verified handshake.
      expect((await own.get(`${url}/b`, opts())).tls?.validTo).toEqual(leaf.validToDate);
      await idle();
      await own.get(`${url}/c`, opts());
      // Resumed again, but the window runs from the full handshake: past it, a full handshake.
      await new Promise((r) => setTimeout(r, 400));
      await own.get(`${url}/d`, opts());
      expect(resumed).toEqual([false, true, true, false]);
      // Another trust (CA list) is another pool: its own full handshake.
      await own.get(`${url}/e`, opts({ ca: `${tls.caPem}\n` }));
      expect(resumed.at(-1)).toBe(false);
      resumed.length = 0;
      await never.get(`${url}/a`, opts());
      await idle();
      await never.get(`${url}/b`, opts());
      expect(resumed).toEqual([false, false]);
    } finally {
      await Promise.all([own.close(), never.close()]);
    }
  });

  it('makes a connection opened during a full handshake with the host wait for it and resume its session', async () => {
    const resumed: boolean[] = [];
    // Slow answers: the three GETs below need three connections.
    const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => {
      setTimeout(() => res.end('{}'), 100);
    });
    server.on('secureConnection', (socket) => resumed.push(socket.isSessionReused()));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const own = createHttpFetcher();
    try {
      const answers = await Promise.all(['a', 'b', 'c'].map((p) => own.get(`${url}/${p}`, opts())));
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(answers.every((r) => r.tls?.subject.includes('CN=127.0.0.1'))).toBe(true);
      expect(resumed).toEqual([false, true, true]);
    } finally {
      await own.close();
    }
  });

  it("does not queue a fast issuer's fetch behind slow ones on the same host (its latency is its own)", async () => {
    // Issuers sharing a host (oidc.eks.<region>.amazonaws.com, the lab): three slow fetches in flight at once.
    const url = await serve((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('{}'), 1500);
      else res.end('{}');
    });
    const slow = [1, 2, 3].map(() => fetcher.get(`${url}/slow`, opts({ totalTimeoutMs: 5000 })));
    await new Promise((r) => setTimeout(r, 100));
    const fast = await fetcher.get(`${url}/fast`, opts({ totalTimeoutMs: 5000 }));
    expect(fast.latencyMs).toBeLessThan(1000);
    for (const r of await Promise.all(slow)) expect(r.latencyMs).toBeGreaterThanOrEqual(1400);
  });
});

describe('createHttpFetcher with an address guard', () => {
  /** Refuses loopback addresses, and records every address it was asked about. */
  const guarded = () => {
    const asked: string[] = [];
    const guard = {
      id: `no-loopback-${Math.random()}`,
      refuse: (address: string) => (asked.push(address), /^(127\.|::1$)/.test(address) ? 'is loopback' : undefined),
    };
    return { guard, asked };
  };

  it('refuses an IP address in the URL and a host name resolving to one, without connecting', async () => {
    let connections = 0;
    const base = await serve((_req, res) => res.end('{}'));
    servers.at(-1)!.on('connection', () => connections++);
    const port = new URL(base).port;
    const { guard, asked } = guarded();
    const literal = await failure(fetcher.get(`${base}/keys.json`, opts({ guard })));
    expect(literal).toMatchObject({ code: 'ADDRESS_REFUSED', message: '127.0.0.1 is loopback' });
    const named = await failure(fetcher.get(`https://localhost:${port}/keys.json`, opts({ guard })));
    expect(named.code).toBe('ADDRESS_REFUSED');
    expect(named.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), which is loopback/);
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(connections).toBe(0);
    // The same URL without the guard connects (its own pool).
    expect((await fetcher.get(`${base}/keys.json`, opts())).status).toBe(200);
    expect(connections).toBe(1);
  });

  it('connects when the guard allows every address of the host', async () => {
    const base = await serve((_req, res) => res.end('{}'));
    const allowAll = { id: 'allow-all', refuse: () => undefined };
    const port = new URL(base).port;
    expect((await fetcher.get(`https://localhost:${port}/x`, opts({ guard: allowAll }))).status).toBe(200);
  });
});
