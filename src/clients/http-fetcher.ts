// The HttpFetcher probes use, on undici 8: one anonymous GET, no redirects followed, TLS verified against the system
// store plus an optional extra CA, connect and total timeouts, a body size cap, errors mapped to FetchError codes,
// and the leaf certificate's facts captured when the connection is made; with a guard, the addresses it refuses are
// refused when the connection is made (after DNS, before any byte is sent).
import { createHash } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { createSecureContext, getCACertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { connectionReusable } from './connection-reuse.ts';
import { decodedBody, isDecodeError } from './content-encoding.ts';
import { FetchError } from './http.ts';
import { resumingConnector } from './tls-resume.ts';
import type { AddressGuard, FetchErrorCode, FetchOptions, FetchResponse, HttpFetcher, TlsFacts } from './http.ts';

export interface HttpFetcherOptions {
  /**
   * How long an idle keep-alive socket is kept for the next request. Default 250 ms: a probe's second document follows
   * its first at once and a cluster's issuer, jwks and bucket probes fetch within a moment of each other, while the
   * next cycle is a minute away; each open TLS connection holds ~60 KiB of native buffers. At 1,000 clusters 1 s kept
   * ~260 open at once (heap snapshot) and 250 ms held 24-51 MiB less RSS at the same CPU (bench:fleet, 2026-12-07).
   * A connection opened again within 10 s resumes its TLS session (sessionReuseMs).
   */
  keepAliveTimeoutMs?: number;
  /** User-Agent sent with every GET. Default "irsa-sentinel". */
  userAgent?: string;
  /**
   * How long after a full, verified TLS handshake with a host a new connection to it resumes that session instead of
   * verifying the certificate again, as a kept-alive connection is reused without one. Default 10000 ms; 0: never.
   */
  sessionReuseMs?: number;
}

export interface ClosableHttpFetcher extends HttpFetcher {
  /** Close every pooled connection (agent shutdown, tests). */
  close(): Promise<void>;
}

/** OpenSSL / Node codes of a certificate that does not verify; any ERR_TLS_* or ERR_SSL_* is a TLS failure too. */
const CERT_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'INVALID_PURPOSE',
]);

const NETWORK_CODES: Record<string, FetchErrorCode> = {
  ECONNREFUSED: 'CONNECTION_REFUSED',
  ECONNRESET: 'CONNECTION_RESET',
  EPIPE: 'CONNECTION_RESET',
  UND_ERR_SOCKET: 'CONNECTION_RESET',
  ENOTFOUND: 'DNS',
  EAI_AGAIN: 'DNS',
  EAI_FAIL: 'DNS',
  UND_ERR_CONNECT_TIMEOUT: 'CONNECT_TIMEOUT',
  ETIMEDOUT: 'CONNECT_TIMEOUT',
  UND_ERR_INVALID_ARG: 'INVALID_URL',
};

/** A connection the guard refused; toFetchError makes it an ADDRESS_REFUSED FetchError with this message. */
class AddressRefusedError extends Error {
  readonly code = 'ADDRESS_REFUSED';
  constructor(host: string, address: string, reason: string) {
    super(host === address ? `${address} ${reason}` : `${host} resolves to ${address}, which ${reason}`);
    this.name = 'AddressRefusedError';
  }
}

interface Pooled {
  agent: Agent;
  /** Leaf certificate per origin ("https://host:port"), from the newest connection this agent made to it. */
  tls: Map<string, TlsFacts>;
}

export function createHttpFetcher(options: HttpFetcherOptions = {}): ClosableHttpFetcher {
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? 250;
  const sessionReuseMs = options.sessionReuseMs ?? 10_000;
  const userAgent = options.userAgent ?? 'irsa-sentinel';
  // One agent per (extra CA, connect timeout, guard): sockets are shared by every cluster that trusts the same CAs.
  const pools = new Map<string, Pooled>();

  function poolFor(ca: string | undefined, connectTimeoutMs: number, guard: AddressGuard | undefined): Pooled {
    const caKey = ca === undefined ? '-' : createHash('sha256').update(ca).digest('hex');
    const key = `${caKey}:${connectTimeoutMs}:${guard?.id ?? '-'}`;
    let pooled = pools.get(key);
    if (!pooled) {
      pooled = createPool(ca, connectTimeoutMs, keepAliveTimeout, guard, sessionReuseMs);
      pools.set(key, pooled);
    }
    return pooled;
  }

  return {
    async get(url: string, opts: FetchOptions): Promise<FetchResponse> {
      const started = performance.now();
      const elapsed = (): number => Math.round(performance.now() - started);
      let origin: string;
      try {
        const u = new URL(url);
        if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`scheme ${u.protocol} is not http(s)`);
        origin = `${u.protocol}//${u.host}`;
      } catch (err) {
        throw new FetchError('INVALID_URL', url, `invalid URL: ${(err as Error).message}`, 0, { cause: err });
      }
      if (opts.signal?.aborted) throw new FetchError('ABORTED', url, 'aborted before the request started', 0);

      const pooled = poolFor(opts.ca, opts.connectTimeoutMs, opts.guard);
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new Error(`no complete response within ${opts.totalTimeoutMs} ms`)),
        opts.totalTimeoutMs,
      );
      const signal = opts.signal ? AbortSignal.any([timeout.signal, opts.signal]) : timeout.signal;
      try {
        const res = await request(url, {
          method: 'GET',
          dispatcher: pooled.agent,
          signal,
          headers: { accept: 'application/json', 'user-agent': userAgent },
        });
        const decoded = decodedBody(res.body, res.headers['content-encoding']);
        const body = await readCapped(decoded, url, opts.maxBytes, elapsed);
        const latencyMs = elapsed();
        // After the latency is taken: the caller's next request to this host finds this connection free.
        await connectionReusable();
        const tls = pooled.tls.get(origin);
        return {
          url,
          status: res.statusCode,
          headers: flattenHeaders(res.headers),
          body,
          latencyMs,
          ...(tls && origin.startsWith('https:') ? { tls } : {}),
        };
      } catch (err) {
        if (err instanceof FetchError) throw err;
        if (timeout.signal.aborted)
          throw new FetchError('TIMEOUT', url, `no complete response within ${opts.totalTimeoutMs} ms`, elapsed(), {
            cause: err,
          });
        if (opts.signal?.aborted)
          throw new FetchError('ABORTED', url, 'aborted by the caller', elapsed(), { cause: err });
        throw toFetchError(err, url, elapsed());
      } finally {
        clearTimeout(timer);
      }
    },

    async close(): Promise<void> {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.agent.close()));
    },
  };
}

/** The key exchange groups the fetcher offers, in order (OpenSSL's list syntax). */
export const ISSUER_KEY_EXCHANGE_GROUPS = 'X25519:P-256:P-384';

function createPool(
  ca: string | undefined,
  connectTimeoutMs: number,
  keepAliveTimeout: number,
  guard: AddressGuard | undefined,
  sessionReuseMs: number,
): Pooled {
  const tls = new Map<string, TlsFacts>();
  // One TLS context per pool, made here: a `ca` option instead would parse every root again on each connection
  // (measured: most of a 1,000-cluster issuer cycle's CPU and memory went there).
  // The system store (bundled roots plus NODE_EXTRA_CA_CERTS) and, when given, the private or lab CA.
  //
  // Classical key exchange only (X25519, then P-256, P-384), not OpenSSL's default hybrid X25519MLKEM768: the issuer
  // documents are public, so post-quantum secrecy protects nothing here, and the hybrid's key share cost both sides
  // of every handshake: the agent's CPU per document fell from 1.21-1.33 to 1.05-1.07 ms, the lab's from 0.63-0.74 to
  // 0.57-0.62 ms (bench:issuer, two runs each, 2026-12-07).
  const secureContext = createSecureContext({
    ...(ca !== undefined && { ca: [...getCACertificates('default'), ca] }),
    ecdhCurve: ISSUER_KEY_EXCHANGE_GROUPS,
  });
  // Sessions are resumed only within their window, and only in this pool: under the trust (CA list) and address
  // guard they were verified with.
  const connector = resumingConnector(
    {
      secureContext,
      // Host names: every address DNS gives is checked, and the socket connects to those checked addresses.
      ...(guard && { lookup: guardedLookup(guard) }),
      timeout: connectTimeoutMs,
      allowH2: false,
    },
    { windowMs: sessionReuseMs },
  );
  const agent = new Agent({
    keepAliveTimeout,
    // A server's Keep-Alive hint cannot lengthen it: an idle TLS connection holds tens of KiB of native memory, and a
    // thousand issuer hosts kept for a minute each (a Node server's hint is 72 s) held hundreds of MiB (measured).
    keepAliveMaxTimeout: keepAliveTimeout,
    // No cap on connections per host: many issuers share one (every EKS cluster of a region answers on
    // oidc.eks.<region>.amazonaws.com), and a request queued behind a slow issuer would count the wait as its own
    // latency (ISSUER_SLOW on healthy clusters). Idle connections are reused, so one cluster's probes still share them.
    allowH2: false,
    connect(opts, cb) {
      // An IP address in the URL skips DNS (and the lookup above): it is checked here.
      const literal = opts.hostname.replace(/^\[(.*)\]$/, '$1');
      const reason = guard && isIP(literal) !== 0 ? guard.refuse(literal) : undefined;
      if (reason !== undefined) return cb(new AddressRefusedError(literal, literal, reason), null);
      connector(opts, (err, socket) => {
        if (err || !socket) return cb(err ?? new Error('connector returned no socket'), null);
        // A resumed session's certificate is the one read when it was verified.
        if (opts.protocol === 'https:' && !(socket as TLSSocket).isSessionReused()) {
          const facts = leafFacts(socket as TLSSocket);
          if (facts) tls.set(`${opts.protocol}//${opts.host ?? opts.hostname}`, facts);
        }
        cb(null, socket);
      });
    },
  });
  return { agent, tls };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup for net.connect that fails when any address of the host is one the guard refuses. */
function guardedLookup(guard: AddressGuard) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const { address } of addresses) {
        const reason = guard.refuse(address);
        if (reason !== undefined) return callback(new AddressRefusedError(hostname, address, reason), []);
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (first === undefined)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

// The peer's leaf as an X509Certificate: getPeerCertificate() would build the whole legacy certificate object first
// (fingerprints, modulus, SANs: measured, most of the cost of reading the facts).
function leafFacts(socket: TLSSocket): TlsFacts | undefined {
  const cert = socket.getPeerX509Certificate();
  if (!cert) return undefined;
  return { validTo: cert.validToDate, subject: cert.subject, issuer: cert.issuer };
}

/** Read a body to its end, or stop at maxBytes (TOO_LARGE) without reading on. */
async function readCapped(body: Readable, url: string, maxBytes: number, elapsed: () => number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      // The socket goes with the body; the listener keeps undici's abort error from surfacing as unhandled.
      body.on('error', () => undefined);
      body.destroy();
      throw new FetchError('TOO_LARGE', url, `body larger than ${maxBytes} bytes`, elapsed());
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The first code found along the error's cause chain (and inside an AggregateError from happy eyeballs). */
function errorCode(err: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (Array.isArray(e.errors) && e.errors.length > 0) return errorCode(e.errors[0], depth + 1);
  return errorCode(e.cause, depth + 1);
}

/** The guard's refusal along the error's cause chain (undici may wrap the connect error). */
function refusal(err: unknown, depth = 0): AddressRefusedError | undefined {
  if (err instanceof AddressRefusedError) return err;
  if (depth > 5 || !(err instanceof Error)) return undefined;
  const inner = (err as { errors?: unknown }).errors;
  return refusal(err.cause, depth + 1) ?? (Array.isArray(inner) ? refusal(inner[0], depth + 1) : undefined);
}

function toFetchError(err: unknown, url: string, latencyMs: number): FetchError {
  const code = errorCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  if (isDecodeError(err))
    return new FetchError('UNDECODABLE', url, `the body is not what its Content-Encoding says: ${reason}`, latencyMs, {
      cause: err,
    });
  if (code !== undefined && (CERT_ERROR_CODES.has(code) || /^ERR_(TLS|SSL)_/.test(code)))
    return new FetchError('TLS', url, `TLS: ${reason} (${code})`, latencyMs, { cause: err });
  const refused = refusal(err);
  if (refused) return new FetchError('ADDRESS_REFUSED', url, refused.message, latencyMs, { cause: err });
  const mapped = code !== undefined ? NETWORK_CODES[code] : undefined;
  const message = code === undefined || reason.includes(code) ? reason : `${reason} (${code})`;
  return new FetchError(mapped ?? 'NETWORK', url, message, latencyMs, { cause: err });
}
