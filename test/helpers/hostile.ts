// Secrets planted where an attacker (or an accident) can put them, and a hostile HTTPS server that answers every AWS
// and Kubernetes API call with an error whose message carries them; hostile issuer hosts (below).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { createGzip } from 'node:zlib';
import type { LabTls } from '../../src/lab/tls.ts';

export interface PlantedSecrets {
  /** One text holding every kind: what gets planted. */
  text: string;
  /** Distinctive pieces of each secret, by kind: none may appear in any output. */
  needles: Record<string, string[]>;
}

const b64 = (bytes: number): string => randomBytes(bytes).toString('base64');
const b64url = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Every kind of secret the agent must never let out; `jwt` is a real service-account token of a lab cluster. */
export function plantedSecrets(jwt: string): PlantedSecrets {
  const partialJwt = `eyJhbGciOiJSUzI1NiIsImtpZCI6I${b64url(12)}`;
  const kubeToken = `sha256~${b64url(32)}`;
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const pemLines = (pem as string).split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  const secretKey = b64(30);
  const xmlSecretKey = b64(30);
  const sessionToken = b64(200);
  const text = [
    `token ${jwt}`,
    `cut ${partialJwt}`,
    `oauth ${kubeToken}`,
    pem as string,
    `aws_secret_access_key = ${secretKey}`,
    `<Credentials><SecretAccessKey>${xmlSecretKey}</SecretAccessKey><SessionToken>${sessionToken}</SessionToken>`,
  ].join('\n');
  const [, payload, signature] = jwt.split('.') as [string, string, string];
  return {
    text,
    needles: {
      jwt: [payload.slice(0, 40), signature.slice(0, 40), signature.slice(-20)],
      'partial jwt': [partialJwt.slice(3)],
      'kube token': [kubeToken.slice(7)],
      'private key': pemLines.map((l) => l.slice(0, 32)),
      'aws secret key': [secretKey, xmlSecretKey],
      'aws session token': [sessionToken.slice(0, 60), sessionToken.slice(-60)],
    },
  };
}

/** Which needle of `planted` is in `text`, if any, as "kind: needle". */
export function leakIn(text: string, planted: PlantedSecrets): string | undefined {
  for (const [kind, needles] of Object.entries(planted.needles))
    for (const n of needles) if (text.includes(n)) return `${kind}: ${n}`;
  return undefined;
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * An HTTPS server answering errors that carry `message`: Kubernetes Status (403) under /k8s/, CloudTrail's JSON error
 * for X-Amz-Target calls, the Query error (IAM, STS) for form posts, S3's XML error for anything else.
 */
export async function hostileServer(tls: LabTls, message: () => string): Promise<{ url: string; server: Server }> {
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const text = message();
      if (req.url?.startsWith('/k8s/')) {
        const status = {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: text,
          reason: 'Forbidden',
          code: 403,
        };
        return void res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify(status));
      }
      if (req.headers['x-amz-target'])
        return void res
          .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify({ __type: 'AccessDeniedException', message: text }));
      const xml = `<Code>AccessDenied</Code><Message>${xmlEscape(text)}</Message>`;
      if (new URLSearchParams(body).has('Action'))
        return void res
          .writeHead(403, { 'content-type': 'text/xml' })
          .end(`<ErrorResponse><Error><Type>Sender</Type>${xml}</Error><RequestId>r-1</RequestId></ErrorResponse>`);
      res.writeHead(403, { 'content-type': 'application/xml' }).end(`<Error>${xml}<RequestId>r-1</RequestId></Error>`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile issuer hosts: HTTPS servers (and raw TLS servers, for what an HTTP server library will not send) that serve
// what a broken or malicious issuer host sends, the documents for them, and the checks every hostile case makes: the
// run returns a result in bounded time and memory, and nothing is left unhandled in the process.

/** An issuer host's request handler; `issuer` is https://127.0.0.1:PORT/oidc of the host itself. */
export type IssuerHandler = (req: IncomingMessage, res: ServerResponse, issuer: string) => void;

/** Hostile hosts of one suite: started on 127.0.0.1 (or another loopback address), closed together. */
export class HostileHosts {
  readonly #servers: (Server | TlsServer)[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();

  readonly tls: LabTls;

  constructor(tls: LabTls) {
    this.tls = tls;
  }

  /** A repeating timer stopped when the hosts close (slowloris pumps). */
  every(ms: number, tick: () => void): NodeJS.Timeout {
    const t = setInterval(tick, ms);
    this.#timers.add(t);
    return t;
  }

  stop(t: NodeJS.Timeout): void {
    clearInterval(t);
    this.#timers.delete(t);
  }

  async #listen<S extends Server | TlsServer>(server: S, host: string): Promise<number> {
    this.#servers.push(server);
    server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    // A client that gives up resets or closes: that is expected here.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, host, r));
    return (server.address() as AddressInfo).port;
  }

  /** An HTTPS issuer at https://HOST:PORT/oidc whose every request goes to `handler`. */
  async https(
    handler: IssuerHandler,
    creds: { keyPem: string; certPem: string } = this.tls,
    host = '127.0.0.1',
  ): Promise<{ issuer: string; server: Server }> {
    let issuer = '';
    const server = createServer({ key: creds.keyPem, cert: creds.certPem }, (req, res) => {
      res.on('error', () => undefined);
      handler(req, res, issuer);
    });
    issuer = `https://${host}:${await this.#listen(server, host)}/oidc`;
    return { issuer, server };
  }

  /**
   * A TLS server that reads a request head and hands the raw socket to `respond`, which writes whatever bytes it likes
   * (headers one byte at a time, HTTP/1.0 without a length).
   */
  async raw(respond: (path: string, socket: TLSSocket, issuer: string) => void): Promise<{ issuer: string }> {
    let issuer = '';
    const server = createTlsServer({ key: this.tls.keyPem, cert: this.tls.certPem }, (socket) => {
      socket.on('error', () => undefined);
      let head = '';
      const onData = (chunk: Buffer): void => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        respond(/^GET (\S+)/.exec(head)?.[1] ?? '/', socket, issuer);
      };
      socket.on('data', onData);
    });
    issuer = `https://127.0.0.1:${await this.#listen(server, '127.0.0.1')}/oidc`;
    return { issuer };
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers.clear();
    for (const s of this.#sockets) s.destroy();
    await Promise.all(this.#servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** A discovery document as ccoctl writes it, for `issuer`, its JWKS at `${issuer}/keys.json` (or `jwksUri`). */
export const discoveryOf = (issuer: string, jwksUri = `${issuer}/keys.json`): Record<string, unknown> => ({
  issuer,
  jwks_uri: jwksUri,
  response_types_supported: ['id_token'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: ['RS256'],
});

/** A well-behaved issuer host serving `jwks` (an object, or a body as it is) as its JWKS. */
export const servingJwks =
  (jwks: unknown, discovery?: (issuer: string) => unknown): IssuerHandler =>
  (req, res, issuer) => {
    const send = (body: string | Buffer): void =>
      void res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    if (req.url === '/oidc/.well-known/openid-configuration')
      send(JSON.stringify(discovery ? discovery(issuer) : discoveryOf(issuer)));
    else if (req.url === '/oidc/keys.json')
      send(typeof jwks === 'string' || Buffer.isBuffer(jwks) ? jwks : JSON.stringify(jwks));
    else res.writeHead(404).end();
  };

/** A discovery document `body` (a text or bytes as they are) at the issuer, and `jwks` as its JWKS. */
export const servingDiscovery =
  (body: string | Buffer, jwks: unknown = { keys: [] }): IssuerHandler =>
  (req, res, issuer) =>
    req.url === '/oidc/.well-known/openid-configuration'
      ? void res.writeHead(200, { 'content-type': 'application/json' }).end(body)
      : servingJwks(jwks)(req, res, issuer);

/** Writes `chunk` until the response is destroyed (a body that never ends), respecting backpressure. */
export function pumpForever(res: ServerResponse, chunk: Buffer): void {
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

/** Writes `body` in 64 KiB pieces respecting backpressure, then ends. */
export function writeInPieces(res: ServerResponse, body: Buffer): void {
  let at = 0;
  const pump = (): void => {
    while (!res.destroyed && at < body.length) {
      const piece = body.subarray(at, (at += 64 * 1024));
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/** `[[[…]]]` nested `depth` deep (or `{"a":{"a":…}}` with `object`): what V8 parses and no recursive walk survives. */
export const nestedJson = (depth: number, object = false): string =>
  object ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** `bytes` of zeros, gzipped (about a thousandth of their size), made without holding them in memory. */
export async function gzipBomb(bytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => gzip.on('end', r));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = bytes; left > 0; left -= zeros.length) {
    if (!gzip.write(left >= zeros.length ? zeros : zeros.subarray(0, left)))
      await new Promise((r) => gzip.once('drain', r));
  }
  gzip.end();
  await done;
  return Buffer.concat(chunks);
}

/** A self-signed leaf certificate for 127.0.0.1 (no CA): what a host with a hand-made certificate serves. */
export async function selfSignedTls(): Promise<{ keyPem: string; certPem: string }> {
  const { webcrypto } = await import('node:crypto');
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto);
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=127.0.0.1',
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
  });
  const key = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: x509.PemConverter.encode(key, 'PRIVATE KEY'), certPem: cert.toString('pem') };
}

/** Errors nobody handled: a listener per suite; `check()` fails when any arrived (after pending callbacks ran). */
export function watchProcessErrors(): { check(): Promise<void>; stop(): void } {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown): void => void seen.push(reason);
  const onException = (err: unknown): void => void seen.push(err);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    async check() {
      // Rejections are reported after the microtask queue drains; let timers and I/O callbacks of the case run too.
      await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setImmediate(r));
      const found = seen.splice(0);
      if (found.length > 0)
        throw new Error(
          `unhandled in the process: ${found.map((e) => (e instanceof Error ? e.stack : String(e))).join('\n')}`,
        );
    },
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

export interface Measured<T> {
  value: T;
  /** Wall time of the run. */
  ms: number;
  /** Most the heap (used) plus array buffers grew over the start, sampled every few milliseconds, in bytes. */
  peakGrowth: number;
}

/** Runs `work`, timing it and sampling the memory it takes (heapUsed + arrayBuffers above the start). */
export async function measured<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const start = used();
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, used())), 5);
  const t0 = performance.now();
  try {
    const value = await work();
    const ms = performance.now() - t0;
    peak = Math.max(peak, used());
    return { value, ms, peakGrowth: peak - start };
  } finally {
    clearInterval(sampler);
  }
}

export const MiB = 1024 * 1024;
