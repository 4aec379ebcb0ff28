// Bearer tokens for the API: `server.auth.tokens` and IRSA_SENTINEL_API_TOKEN (read and write scopes). A mutating
// route asks for a scope with the hook `requireScope('write')`; a read route names its surface with
// `requireAccess('details')`, which asks for the read scope when server.access puts that surface behind a token
// (src/core/access.ts). The presented token is compared with every configured one in constant time (SHA-256 digests of
// both, crypto.timingSafeEqual, every token compared). A missing or wrong token gets 401 {"error": {"code":
// "UNAUTHORIZED", ...}} with WWW-Authenticate: Bearer; a token without the scope gets 403 FORBIDDEN. The hooks run
// on request, before the body is read or the route looks anything up, so a refused caller learns nothing. Tokens are
// never logged or echoed.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { DEFAULT_ACCESS, SURFACE_ROUTES, SURFACES } from '../core/access.ts';
import type { AccessPolicy, Surface } from '../core/access.ts';
import { ApiError } from './errors.ts';

export type Scope = 'read' | 'write';

export interface ApiToken {
  name: string;
  token: string;
  scopes: readonly Scope[];
}

interface Digest {
  name: string;
  digest: Buffer;
  scopes: readonly Scope[];
}

/** The tokens, as kept: their digests only. */
export interface ApiAuth {
  /** The name of the token that grants `scope`, or why not. */
  check(
    authorization: string | undefined,
    scope: Scope,
  ): { ok: true; name: string } | { ok: false; status: 401 | 403; message: string };
}

declare module 'fastify' {
  interface FastifyInstance {
    apiAuth: ApiAuth;
    /** Which read surfaces need a token (server.access). */
    apiAccess: AccessPolicy;
  }
  interface FastifyRequest {
    /** The name of the token that authenticated the request (set by requireScope). */
    tokenName?: string;
  }
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function createApiAuth(tokens: readonly ApiToken[]): ApiAuth {
  const digests: Digest[] = tokens.map((t) => ({ name: t.name, digest: sha256(t.token), scopes: t.scopes }));
  return {
    check(authorization, scope) {
      if (digests.length === 0)
        return {
          ok: false,
          status: 401,
          message:
            'this route needs an API token and none is configured: set server.auth.tokens or IRSA_SENTINEL_API_TOKEN',
        };
      const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization ?? '');
      if (!m) return { ok: false, status: 401, message: 'this route needs Authorization: Bearer <API token>' };
      const presented = sha256(m[1] ?? '');
      let match: Digest | undefined;
      // Every token is compared, so the time taken says nothing about which one (or whether one) matched.
      for (const d of digests) if (timingSafeEqual(presented, d.digest) && !match) match = d;
      if (!match) return { ok: false, status: 401, message: 'the API token is not valid' };
      const granted = match.scopes.includes(scope) || (scope === 'read' && match.scopes.includes('write'));
      if (!granted)
        return { ok: false, status: 403, message: `the API token "${match.name}" lacks the ${scope} scope` };
      return { ok: true, name: match.name };
    },
  };
}

/** Makes `auth` and `access` what the hooks read; call on the root instance before registering routes. */
export function registerAuth(app: FastifyInstance, auth: ApiAuth, access: AccessPolicy = DEFAULT_ACCESS): void {
  app.decorate('apiAuth', auth);
  app.decorate('apiAccess', access);
}

function demand(req: FastifyRequest, reply: FastifyReply, scope: Scope): void {
  const result = req.server.apiAuth.check(req.headers.authorization, scope);
  if (result.ok) {
    req.tokenName = result.name;
    return;
  }
  if (result.status === 401) void reply.header('www-authenticate', 'Bearer realm="irsa-sentinel"');
  throw new ApiError(result.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', result.status, result.message);
}

/**
 * A route hook (use it as `onRequest`, so a caller without a token learns nothing about the body, or as `preHandler`):
 * the request must carry a bearer token with `scope`.
 */
export function requireScope(scope: Scope): onRequestAsyncHookHandler {
  return async function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
    demand(req, reply, scope);
  };
}

/** A read route's hook (onRequest): public, or a bearer token with the read scope, as server.access says for `surface`. */
export function requireAccess(surface: Surface): onRequestAsyncHookHandler {
  return async function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
    if (req.server.apiAccess[surface] === 'token') demand(req, reply, 'read');
  };
}

/** The OpenAPI `security` of a route of `surface` (or of a mutating route): the bearer scheme when it needs a token. */
export function securityOf(app: FastifyInstance, surface: Surface | 'write'): { security: { bearer: [] }[] } {
  return { security: surface === 'write' || app.apiAccess[surface] === 'token' ? [{ bearer: [] }] : [] };
}

/**
 * What start-up should warn about: surfaces behind a token while no token is configured answer 401 to everyone. One
 * message naming the settings, or undefined.
 */
export function accessWarning(access: AccessPolicy, tokens: number): string | undefined {
  if (tokens > 0) return undefined;
  const locked = SURFACES.filter((s) => access[s] === 'token');
  if (locked.length === 0) return undefined;
  const settings = locked.map((s) => `server.access.${s}`).join(', ');
  const routes = locked.flatMap((s) => SURFACE_ROUTES[s]).join(', ');
  return `${settings} ${locked.length === 1 ? 'is' : 'are'} token and no API token is configured (server.auth.tokens or IRSA_SENTINEL_API_TOKEN): ${routes} answer 401 to everyone; configure a token or set ${locked.length === 1 ? 'it' : 'them'} to public`;
}
