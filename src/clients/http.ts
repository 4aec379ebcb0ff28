// The HTTP fetcher probes use: anonymous HTTPS GETs the way STS makes them, bounded in time and size, with TLS facts.
// (Interface only here; the implementation is in http-fetcher.ts.)

export interface FetchOptions {
  /** Connect (TCP + TLS) budget. */
  connectTimeoutMs: number;
  /** Whole request budget, headers and body. */
  totalTimeoutMs: number;
  /** Larger bodies are cut off with TOO_LARGE; a body sent with a Content-Encoding counts its decoded bytes. */
  maxBytes: number;
  /** Extra CA certificates (PEM) trusted besides the system store, for a private or lab issuer. */
  ca?: string;
  signal?: AbortSignal;
  /**
   * Which addresses the request may connect to: checked against every address the host name resolves to, at connect
   * time (so a DNS answer that changes between a check and the connection cannot get past it). A refused address is
   * an ADDRESS_REFUSED FetchError; nothing is sent. Absent: any address.
   */
  guard?: AddressGuard;
}

/** An address policy for FetchOptions.guard. */
export interface AddressGuard {
  /** Names the policy; requests with the same guard share connections. */
  readonly id: string;
  /** Why the fetcher must not connect to this IP address (v4 or v6), or undefined when it may. */
  refuse(address: string): string | undefined;
}

export interface TlsFacts {
  /** The leaf certificate's notAfter. */
  validTo: Date;
  subject: string;
  issuer: string;
}

export interface FetchResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Time to the last body byte. */
  latencyMs: number;
  tls?: TlsFacts;
}

export const FETCH_ERROR_CODES = [
  'TIMEOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_REFUSED',
  'CONNECTION_RESET',
  'DNS',
  'TLS',
  'TOO_LARGE',
  /** The body does not decode as its Content-Encoding (gzip, deflate, br) says. */
  'UNDECODABLE',
  'ABORTED',
  'INVALID_URL',
  /** The host resolved to an address the request's guard refuses (link-local, metadata, loopback, private). */
  'ADDRESS_REFUSED',
  'NETWORK',
] as const;
export type FetchErrorCode = (typeof FETCH_ERROR_CODES)[number];

/** A fetch that got no HTTP response. Redirects are responses (3xx), never followed. */
export class FetchError extends Error {
  readonly code: FetchErrorCode;
  readonly url: string;
  readonly latencyMs: number;
  constructor(code: FetchErrorCode, url: string, message: string, latencyMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FetchError';
    this.code = code;
    this.url = url;
    this.latencyMs = latencyMs;
  }
}

export interface HttpFetcher {
  /** Anonymous GET. Resolves with any HTTP status; rejects only with FetchError. */
  get(url: string, opts: FetchOptions): Promise<FetchResponse>;
}
