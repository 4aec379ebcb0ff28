// Conditional GETs for the polled routes: an ETag on every answer and 304 Not Modified when the client has it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Body } from './fleet-view.ts';

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
  opts: { contentType?: string; maxAgeSeconds?: number } = {},
): FastifyReply {
  reply.header('etag', body.etag);
  reply.header('cache-control', `public, max-age=${opts.maxAgeSeconds ?? 5}, must-revalidate`);
  if (notModified(req, body.etag)) return reply.code(304).send();
  return reply.type(opts.contentType ?? 'application/json; charset=utf-8').send(body.json);
}
