// Conditional GETs for the polled routes: an ETag on every answer and 304 Not Modified when the client has it.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Body } from './fleet-view.ts';

/** Bodies smaller than this go as they are: compressing them saves less than it costs. */
const GZIP_MIN_BYTES = 1024;
const gzipAsync = promisify(gzip);
/**
 * Each body compressed once, on its first request that accepts gzip, on libuv's thread pool (a fleet's status is
 * hundreds of KiB: compressing it on the event loop would hold every other request for milliseconds); requests that
 * arrive meanwhile wait for the same compression.
 */
const gzipped = new WeakMap<Body, Promise<Buffer>>();

/** Whether the request's Accept-Encoding takes gzip (not with q=0). */
export function acceptsGzip(req: FastifyRequest): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding?.trim() !== 'gzip' && coding?.trim() !== '*') return false;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return q === undefined || Number(q) > 0;
  });
}

/** Whether the request's If-None-Match names this validator (a list, or `*`). */
export function notModified(req: FastifyRequest, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t === etag || t.replace(/^W\//, '') === etag.replace(/^W\//, ''));
}

/** Sends a serialised body with its ETag and cache policy, or 304 when the client has it. */
export function sendCached(
  req: FastifyRequest,
  reply: FastifyReply,
  body: Body,
  /** compress: send gzip to clients that take it; only for routes whose body no onSend hook rewrites. */
  opts: { contentType?: string; maxAgeSeconds?: number; compress?: boolean } = {},
): FastifyReply | Promise<FastifyReply> {
  reply.header('etag', body.etag);
  reply.header('cache-control', `public, max-age=${opts.maxAgeSeconds ?? 5}, must-revalidate`);
  if (opts.compress) reply.header('vary', 'accept-encoding');
  if (notModified(req, body.etag)) return reply.code(304).send();
  reply.type(opts.contentType ?? 'application/json; charset=utf-8');
  // A fleet's status is hundreds of KiB of JSON: sent compressed to every client that asks (browsers, curl
  // --compressed, Prometheus-style pollers), compressed once per body rather than per request.
  if (opts.compress && body.json.length >= GZIP_MIN_BYTES && acceptsGzip(req)) {
    let gz = gzipped.get(body);
    if (!gz) {
      gz = gzipAsync(body.json);
      gzipped.set(body, gz);
      // A failed compression is not kept: the next request tries again.
      gz.catch(() => gzipped.delete(body));
    }
    return gz.then((buf) => reply.header('content-encoding', 'gzip').send(buf));
  }
  return reply.send(body.json);
}
