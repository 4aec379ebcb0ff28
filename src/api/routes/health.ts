// Liveness and readiness: /healthz answers while the process serves; /readyz once config is loaded and the store open.
import type { FastifyPluginAsync } from 'fastify';
import { requireAccess, securityOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { authErrors } from '../schemas.ts';

const body = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    checks: { type: 'object', properties: { config: { type: 'boolean' }, store: { type: 'boolean' } } },
  },
} as const;

export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const access = { onRequest: requireAccess('health') };
  const security = securityOf(app, 'health');
  app.get('/healthz', { ...access, schema: { ...security, response: { 200: body, ...authErrors } } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { ...access, schema: { ...security, response: { 200: body, 503: body, ...authErrors } } },
    async (_req, reply) => {
      const checks = { config: true, store: deps.store.isOpen() };
      const ready = Object.values(checks).every(Boolean);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    },
  );
};
