// One HTTP POST per delivery attempt, through undici, with the sink's own connection pool (and CA, for a private or
// lab receiver). The answer becomes a DeliveryOutcome: 2xx delivered; 408, 429 and 5xx, timeouts and network errors
// worth retrying (429's Retry-After honoured); any other 4xx a refusal that retrying will not change. Nothing here
// quotes the URL (webhook URLs carry tokens) or the receiver's body.
import { Agent, request } from 'undici';
import type { DeliveryOutcome } from '../types.ts';

export interface HttpTarget {
  url: string;
  /** PEM trusted besides the system store (a private receiver, the lab). */
  caPem?: string;
  /** Sent with every request (e.g. a receiver's own bearer token). */
  headers?: Record<string, string>;
}

export interface Poster {
  post(body: string, headers: Record<string, string>, signal: AbortSignal): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}

export const USER_AGENT = 'irsa-sentinel-alerts/1';
const CONNECT_TIMEOUT_MS = 5_000;

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What an HTTP status means for a delivery. */
export function outcomeOfStatus(status: number, retryAfter?: number): DeliveryOutcome {
  if (status >= 200 && status < 300)
    return { ok: true, retryable: false, httpStatus: status, message: `HTTP ${status}` };
  const retryable = status === 408 || status === 429 || status >= 500;
  return {
    ok: false,
    retryable,
    httpStatus: status,
    errorCode: `HTTP_${status}`,
    message: retryable
      ? `the receiver answered HTTP ${status}`
      : `the receiver refused the notification (HTTP ${status})`,
    ...(retryAfter !== undefined && { retryAfterMs: retryAfter }),
  };
}

/** A network failure or timeout as an outcome; the error's code only, never its message (it may hold the host). */
export function outcomeOfError(err: unknown, signal: AbortSignal): DeliveryOutcome {
  if (signal.aborted) {
    const reason = signal.reason as { name?: string } | undefined;
    const timeout = reason?.name === 'TimeoutError';
    return {
      ok: false,
      retryable: true,
      errorCode: timeout ? 'TIMEOUT' : 'ABORTED',
      message: timeout ? 'no answer in time' : 'the delivery was cut off',
    };
  }
  const code = (err as { code?: unknown }).code;
  const cause = (err as { cause?: { code?: unknown } }).cause?.code;
  const name = typeof code === 'string' ? code : typeof cause === 'string' ? cause : 'NETWORK_ERROR';
  return { ok: false, retryable: true, errorCode: name, message: `the connection failed (${name})` };
}

export function createPoster(target: HttpTarget): Poster {
  const url = new URL(target.url);
  const dispatcher = new Agent({
    connect: { timeout: CONNECT_TIMEOUT_MS, ...(target.caPem !== undefined && { ca: target.caPem }) },
    keepAliveTimeout: 10_000,
  });
  return {
    async post(body, headers, signal) {
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher,
          signal,
          headers: {
            'content-type': 'application/json',
            'user-agent': USER_AGENT,
            ...target.headers,
            ...headers,
          },
          body,
        });
        await res.body.dump();
        return outcomeOfStatus(res.statusCode, retryAfterMs(res.headers['retry-after']));
      } catch (err) {
        return outcomeOfError(err, signal);
      }
    },
    close: () => dispatcher.close(),
  };
}
