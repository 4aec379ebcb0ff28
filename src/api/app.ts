// The HTTP API: plugins, then routes; every route has a JSON schema; errors answer {error: {code, message}}. Every
// response body is redacted (src/redact.ts) on its way out, requests are bounded in time, and the Host header is checked.
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ApiDeps } from './deps.ts';
import { redactText } from '../redact.ts';
import { createApiAuth, registerAuth } from './auth.ts';
import type { ApiAuth } from './auth.ts';
import { ApiError } from './errors.ts';
import { checkHostHeader } from './hosts.ts';
import { alertRoutes } from './routes/alerts.ts';
import { bucketPolicyRoutes } from './routes/bucket-policy.ts';
import { healthRoutes } from './routes/health.ts';
import { silenceRoutes } from './routes/silences.ts';
import { statusRoutes } from './routes/status.ts';

export interface ApiOptions extends ApiDeps {
  logger?: Logger;
  /** Host header names answered (allowedHostsFor in hosts.ts); undefined: any. */
  allowedHosts?: readonly string[];
  /** The API tokens (auth.ts); default none, so routes that need one answer 401. */
  auth?: ApiAuth;
}

/** The whole request (headers and body) must arrive within this; a slow client is cut off with 408. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** A socket with no traffic for this long is closed (beyond Fastify's keep-alive timeout of 72 s). */
export const CONNECTION_TIMEOUT_MS = 120_000;

export type { ApiDeps };

export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger | undefined = opts.logger?.child({ component: 'api' });
  const app = Fastify({
    ...(loggerInstance ? { loggerInstance } : {}),
    forceCloseConnections: true,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    routerOptions: { ignoreTrailingSlash: true },
    // Status pages poll often: one line per request would drown the probe logs.
    logController: new LogController({ disableRequestLogging: true }),
  });
  checkHostHeader(app, opts.allowedHosts);
  registerAuth(app, opts.auth ?? createApiAuth([]));
  // The last line of defence for every response: a secret that reached a result, a message or an error is replaced.
  app.addHook('onSend', async (_req, _reply, payload) => (typeof payload === 'string' ? redactText(payload) : payload));
  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError)
      return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message } });
    if (err.validation) {
      return reply.code(400).send({ error: { code: 'INVALID_REQUEST', message: err.message } });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } }),
  );
  const deps: ApiDeps = {
    store: opts.store,
    clusters: opts.clusters,
    now: opts.now,
    ...(opts.simulateBucketPolicy && { simulateBucketPolicy: opts.simulateBucketPolicy }),
    ...(opts.alerts && { alerts: opts.alerts }),
  };
  await app.register(healthRoutes, deps);
  await app.register(statusRoutes, deps);
  await app.register(bucketPolicyRoutes, deps);
  await app.register(alertRoutes, deps);
  await app.register(silenceRoutes, deps);
  return app;
}
