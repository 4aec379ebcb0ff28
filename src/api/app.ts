// The HTTP API: plugins, then routes; every route has a JSON schema; errors answer {error: {code, message}}. Every
// response body is redacted (src/redact.ts) on its way out, requests are bounded in time, and the Host header is checked.
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ApiDeps } from './deps.ts';
import { redactText } from '../redact.ts';
import { createApiAuth, registerAuth } from './auth.ts';
import type { ApiAuth } from './auth.ts';
import type { AccessPolicy } from '../core/access.ts';
import { ApiError } from './errors.ts';
import { checkHostHeader } from './hosts.ts';
import { alertRoutes } from './routes/alerts.ts';
import { bucketPolicyRoutes } from './routes/bucket-policy.ts';
import { healthRoutes } from './routes/health.ts';
import { pageRoutes } from './routes/page.ts';
import { probeRunRoutes } from './routes/probe-run.ts';
import { silenceRoutes } from './routes/silences.ts';
import { statusRoutes } from './routes/status.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { summaryRoutes } from './routes/summary.ts';
import { alertsSummaryOf } from './alerts-summary.ts';
import { createFleetView } from './fleet-view.ts';
import type { RouteDeps } from './route-deps.ts';
import type { PageDeps } from './page/types.ts';

export interface ApiOptions extends ApiDeps {
  logger?: Logger;
  /** Host header names answered (allowedHostsFor in hosts.ts); undefined: any. */
  allowedHosts?: readonly string[];
  /** Requests per client address and window; max 0 turns limiting off. Default 1200 a minute. */
  rateLimit?: { max: number; timeWindowMs: number };
  /** The API tokens (auth.ts); default none, so routes that need one answer 401. */
  auth?: ApiAuth;
  /** Which read surfaces need a token (server.access); default DEFAULT_ACCESS (details need one). */
  access?: AccessPolicy;
}

/** What the rate limiter throws (errorResponseBuilder below). */
interface RateLimited {
  statusCode: 429;
  error: { code: 'RATE_LIMITED'; message: string };
}

/** The version of the HTTP API (its paths carry the major: /api/v1). */
export const API_VERSION = '1.0.0';

/** The whole request (headers and body) must arrive within this; a slow client is cut off with 408. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** A socket with no traffic for this long is closed (beyond Fastify's keep-alive timeout of 72 s). */
export const CONNECTION_TIMEOUT_MS = 120_000;

export type { ApiDeps };

/** Security headers, rate limiting and the OpenAPI document with its UI, before any route is added. */
async function registerPlugins(app: FastifyInstance, opts: ApiOptions): Promise<void> {
  // A strict CSP for everything; the page and the docs UI need no inline script or style (they serve their own files).
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        scriptSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  const limit = opts.rateLimit ?? { max: 1200, timeWindowMs: 60_000 };
  if (limit.max > 0)
    await app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      // Liveness and readiness probes of the orchestrator are never limited.
      allowList: (req) => req.url === '/healthz' || req.url === '/readyz',
      errorResponseBuilder: (_req, ctx) => ({
        statusCode: 429,
        error: { code: 'RATE_LIMITED', message: `too many requests: at most ${ctx.max} per ${ctx.after}` },
      }),
    });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'irsa-sentinel',
        version: API_VERSION,
        description:
          'Watches the OIDC/STS web-identity chain of a fleet of clusters: status, diagnoses, results, alerts.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}

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
  await registerPlugins(app, opts);
  registerAuth(app, opts.auth ?? createApiAuth([]), opts.access);
  // The last line of defence for every response: a secret that reached a result, a message or an error is replaced.
  app.addHook('onSend', async (_req, _reply, payload) => (typeof payload === 'string' ? redactText(payload) : payload));
  app.setErrorHandler((err: FastifyError | ApiError | RateLimited, req, reply) => {
    if (err instanceof ApiError)
      return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message } });
    if ('error' in err) return reply.code(429).send({ error: err.error });
    if (err.validation) {
      return reply.code(400).send({ error: { code: 'INVALID_REQUEST', message: err.message } });
    }
    // Fastify's own client errors (a malformed JSON body, a body too large, a bad content type) are the client's.
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)
      return reply
        .code(err.statusCode)
        .send({ error: { code: err.statusCode === 413 ? 'BODY_TOO_LARGE' : 'INVALID_REQUEST', message: err.message } });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } }),
  );
  const base: ApiDeps = {
    store: opts.store,
    clusters: opts.clusters,
    now: opts.now,
    ...(opts.simulateBucketPolicy && { simulateBucketPolicy: opts.simulateBucketPolicy }),
    ...(opts.runProbe && { runProbe: opts.runProbe }),
    ...(opts.alerts && { alerts: opts.alerts }),
    ...(opts.publicUrl !== undefined && { publicUrl: opts.publicUrl }),
    ...(opts.metrics && { metrics: opts.metrics }),
    ...(opts.schedules && { schedules: opts.schedules }),
  };
  const alertsSummary = opts.alertsSummary ?? (opts.alerts && alertsSummaryOf(opts.alerts, opts.clusters));
  if (alertsSummary) base.alertsSummary = alertsSummary;
  const deps: RouteDeps = { ...base, view: createFleetView(base) };
  await app.register(healthRoutes, deps);
  await app.register(statusRoutes, deps);
  await app.register(summaryRoutes, deps);
  await app.register(metricsRoutes, deps);
  await app.register(bucketPolicyRoutes, deps);
  await app.register(probeRunRoutes, deps);
  await app.register(alertRoutes, deps);
  await app.register(silenceRoutes, deps);
  // The page reads the alert state as the read surfaces show it.
  const pageDeps: PageDeps = { ...deps, alerts: alertsSummary };
  if (!alertsSummary) delete pageDeps.alerts;
  await app.register(pageRoutes, pageDeps);
  return app;
}
