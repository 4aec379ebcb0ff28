// The fetcher decodes a body sent with a Content-Encoding (it asks for none, which per RFC 9110 accepts any, and S3
// serves an object with the encoding it was stored with), and its size cap counts decoded bytes: a gzip bomb stops at
// maxBytes. A body that is not what its encoding says is UNDECODABLE.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:https';
import type { RequestListener } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetcher } from '../../src/clients/http-fetcher.ts';
import { FetchError } from '../../src/clients/http.ts';
import type { FetchOptions } from '../../src/clients/http.ts';
import { createLabTls } from '../../src/lab/tls.ts';
import type { LabTls } from '../../src/lab/tls.ts';
import { gzipBomb, MiB } from '../helpers/hostile.ts';

let tls: LabTls;
const servers: Server[] = [];
const fetcher = createHttpFetcher();

beforeAll(async () => {
  tls = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-encoding-')));
});
afterAll(async () => {
  await fetcher.close();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: RequestListener): Promise<string> {
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const opts = (over: Partial<FetchOptions> = {}): FetchOptions => ({
  connectTimeoutMs: 2000,
  totalTimeoutMs: 5000,
  maxBytes: 1024,
  ca: tls.caPem,
  ...over,
});

const encoded =
  (encoding: string, body: Buffer): RequestListener =>
  (req, res) => {
    // The fetcher asks for no encoding: a server that sends one anyway is what this is about.
    expect(req.headers['accept-encoding']).toBeUndefined();
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding }).end(body);
  };

describe('createHttpFetcher and Content-Encoding', () => {
  const doc = Buffer.from(JSON.stringify({ issuer: 'https://example.com', pad: 'x'.repeat(900) }));

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['GZIP', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('decodes %s', async (encoding, compress) => {
    const base = await serve(encoded(encoding, compress(doc)));
    const res = await fetcher.get(`${base}/doc`, opts());
    expect(res.body.equals(doc)).toBe(true);
  });

  it('leaves identity, unknown codings and lists of codings as they came', async () => {
    for (const encoding of ['identity', 'compress', 'gzip, gzip']) {
      const body = encoding === 'gzip, gzip' ? gzipSync(gzipSync(doc)) : doc;
      const base = await serve(encoded(encoding, body));
      expect((await fetcher.get(`${base}/`, opts())).body.equals(body)).toBe(true);
    }
  });

  it('counts decoded bytes against maxBytes: a small gzip body that inflates past it is TOO_LARGE', async () => {
    const small = gzipSync(Buffer.alloc(2048, ' '));
    expect(small.length).toBeLessThan(1024);
    const base = await serve(encoded('gzip', small));
    const err = await fetcher.get(`${base}/`, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as FetchError).code).toBe('TOO_LARGE');
    // Exactly maxBytes decoded is fine.
    const fits = await serve(encoded('gzip', gzipSync(Buffer.alloc(1024, ' '))));
    expect((await fetcher.get(`${fits}/`, opts())).body.length).toBe(1024);
  });

  it('stops a gzip bomb (100 MiB of zeros) at the cap, in bounded memory', async () => {
    const bomb = await gzipBomb(100 * MiB);
    let sent = 0;
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      const pump = (): void => {
        while (!res.destroyed && sent < bomb.length) {
          const piece = bomb.subarray(sent, (sent += 16 * 1024));
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    const before = process.memoryUsage().arrayBuffers;
    const err = await fetcher.get(`${base}/`, opts({ maxBytes: MiB })).catch((e: unknown) => e);
    expect((err as FetchError).code).toBe('TOO_LARGE');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * MiB);
  });

  it('gives UNDECODABLE for a body that is not what its coding says, and for a cut one', async () => {
    for (const body of [doc, gzipSync(doc).subarray(0, 20)]) {
      const base = await serve(encoded('gzip', body));
      const err = await fetcher.get(`${base}/`, opts()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FetchError);
      expect((err as FetchError).code).toBe('UNDECODABLE');
      expect((err as FetchError).message).toMatch(/^the body is not what its Content-Encoding says: /);
    }
  });
});
