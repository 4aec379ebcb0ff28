// GET /metrics: Prometheus exposition of the agent's metrics (src/telemetry/metrics.ts).
import type { FastifyPluginAsync } from 'fastify';
import { requireAccess, securityOf } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { RouteDeps } from '../route-deps.ts';

export const metricsRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get(
    '/metrics',
    {
      onRequest: requireAccess('metrics'),
      schema: {
        ...securityOf(app, 'metrics'),
        summary: 'Prometheus metrics: probe_success, probe_duration_seconds, irsa_sentinel_*',
        tags: ['telemetry'],
        produces: ['text/plain'],
      },
    },
    async (_req, reply) => {
      if (!deps.metrics) throw new ApiError('NOT_FOUND', 404, 'metrics are not enabled in this agent');
      const text = await deps.metrics.scrape();
      return reply.type(deps.metrics.registry.contentType).send(text);
    },
  );
};
