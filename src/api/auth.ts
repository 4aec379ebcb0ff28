// Bearer tokens for the API: `server.auth.tokens` and IRSA_SENTINEL_API_TOKEN (write scope). A route asks for a scope
// with the hook `requireScope('write')` (onRequest or preHandler); the presented token is compared with every configured one in constant
// time (SHA-256 digests of both, crypto.timingSafeEqual, every token compared). A missing or wrong token gets 401
// {"error": {"code": "UNAUTHORIZED", ...}} with WWW-Authenticate: Bearer; a token without the scope gets 403
// FORBIDDEN. Tokens are never logged or echoed.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
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

/** Makes `auth` what requireScope reads; call on the root instance before registering routes. */
export function registerAuth(app: FastifyInstance, auth: ApiAuth): void {
  app.decorate('apiAuth', auth);
}

/**
 * A route hook (use it as `onRequest`, so a caller without a token learns nothing about the body, or as `preHandler`):
 * the request must carry a bearer token with `scope`.
 */
export function requireScope(scope: Scope): onRequestAsyncHookHandler {
  return async function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
    const result = req.server.apiAuth.check(req.headers.authorization, scope);
    if (result.ok) {
      req.tokenName = result.name;
      return;
    }
    if (result.status === 401) void reply.header('www-authenticate', 'Bearer realm="irsa-sentinel"');
    throw new ApiError(result.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', result.status, result.message);
  };
}
