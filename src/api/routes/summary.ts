// For status pages and dashboards: GET /api/v1/summary.json (Atlassian Statuspage's summary shape) and health badges
// per cluster and for the fleet, as SVG and as shields.io endpoint JSON. Short cache headers and ETags.
import type { FastifyPluginAsync } from 'fastify';
import { requireAccess, securityOf } from '../auth.ts';
import { badge } from '../badges.ts';
import { sendCached } from '../conditional.ts';
import { ClusterNotFoundError } from '../errors.ts';
import type { RouteDeps } from '../route-deps.ts';
import { hideAccountsUnlessPublic } from '../public-text.ts';
import { authErrors, errorResponse, summaryResponse } from '../schemas.ts';

interface BadgeRoute {
  Params: { cluster: string; format: 'svg' | 'json' };
}

const badgeParams = {
  type: 'object',
  required: ['cluster', 'format'],
  properties: {
    cluster: { type: 'string', minLength: 1, maxLength: 63, description: 'a cluster name, or "fleet"' },
    format: { type: 'string', enum: ['svg', 'json'] },
  },
} as const;

export const summaryRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get(
    '/api/v1/summary.json',
    {
      onRequest: requireAccess('summary'),
      onSend: hideAccountsUnlessPublic,
      schema: {
        summary: 'The fleet in the Atlassian Statuspage summary shape',
        tags: ['status pages'],
        ...securityOf(app, 'summary'),
        response: { 200: summaryResponse, 304: { type: 'null', description: 'not modified' }, ...authErrors },
      },
    },
    async (req, reply) => sendCached(req, reply, deps.view.summary()),
  );

  app.get<BadgeRoute>(
    '/badges/:cluster/health.:format',
    {
      onRequest: requireAccess('badges'),
      schema: {
        summary: 'A health badge: SVG, or shields.io endpoint JSON',
        tags: ['status pages'],
        ...securityOf(app, 'badges'),
        params: badgeParams,
        response: { 404: errorResponse, ...authErrors },
      },
    },
    async (req, reply) => {
      const { cluster, format } = req.params;
      const fleet = deps.view.fleet();
      const status = cluster === 'fleet' ? fleet.status : fleet.clusters.find((c) => c.name === cluster)?.status;
      if (status === undefined) throw new ClusterNotFoundError(cluster);
      const made = badge({ label: cluster === 'fleet' ? 'irsa-sentinel' : `irsa ${cluster}`, status });
      return format === 'svg'
        ? sendCached(req, reply, made.svg, { contentType: 'image/svg+xml', maxAgeSeconds: 30 })
        : sendCached(req, reply, made.json, { maxAgeSeconds: 30 });
    },
  );
};
