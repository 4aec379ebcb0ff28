// Which Host headers the API answers to. A page on another site can make a browser send requests to 127.0.0.1 under
// its own name (DNS rebinding) and read the answers; checking the Host header closes that for a loopback-bound API.
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

/** A Host header's name, lower case, without port, brackets or trailing dot; undefined when there is none. */
export function hostNameOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const name = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.split(':', 1)[0];
  return name?.toLowerCase().replace(/\.$/, '') || undefined;
}

/**
 * The Host names the API answers to, undefined for any: `server.allowedHosts` when set ('*' allows any); else, bound
 * to a loopback address, the loopback names and that address; bound to anything else (0.0.0.0 behind a Service), any.
 */
export function allowedHostsFor(server: { host: string; allowedHosts?: readonly string[] }): string[] | undefined {
  if (server.allowedHosts !== undefined)
    return server.allowedHosts.includes('*') ? undefined : server.allowedHosts.map((h) => hostNameOf(h) ?? h);
  const bound = hostNameOf(server.host) ?? server.host;
  return isLoopback(bound) ? [...new Set([...LOOPBACK_NAMES, bound])] : undefined;
}

/** Answers 421 HOST_NOT_ALLOWED to a request whose Host header is not allowed. */
export function checkHostHeader(app: FastifyInstance, allowed: readonly string[] | undefined): void {
  if (allowed === undefined) return;
  const names = new Set(allowed);
  app.addHook('onRequest', async (req, reply) => {
    const name = hostNameOf(req.headers.host);
    if (name !== undefined && names.has(name)) return;
    req.log.debug({ host: req.headers.host }, 'Host header not allowed');
    return reply.code(421).send({
      error: {
        code: 'HOST_NOT_ALLOWED',
        message: `this API answers to Host ${[...names].join(', ')} only (server.allowedHosts)`,
      },
    });
  });
}
