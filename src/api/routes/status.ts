// GET /api/v1/status, GET /api/v1/clusters/:name, its history and its roles: the `details` surface (a bearer token with
// the read scope unless server.access.details is public).
import type { FastifyPluginAsync } from 'fastify';
import { notChecked } from '../../diagnosis/diagnose.ts';
import { observationsOf } from '../../observations.ts';
import type { ProbeName } from '../../core/model.ts';
import { clusterStatus } from '../../status.ts';
import { requireAccess, securityOf } from '../auth.ts';
import { sendCached } from '../conditional.ts';
import type { RouteDeps } from '../route-deps.ts';
import { ClusterNotFoundError } from '../errors.ts';
import {
  authErrors,
  clusterParams,
  clusterResponse,
  errorResponse,
  historyQuery,
  historyResponse,
  rolesResponse,
  statusResponse,
} from '../schemas.ts';

interface ClusterRoute {
  Params: { name: string };
}
interface HistoryRoute extends ClusterRoute {
  Querystring: { probe?: ProbeName; limit: number; before?: string };
}

export const statusRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const clusterNamed = (name: string) => {
    const cluster = deps.clusters().find((c) => c.name === name);
    if (!cluster) throw new ClusterNotFoundError(name);
    return cluster;
  };

  const access = { onRequest: requireAccess('details') };
  const security = securityOf(app, 'details');

  app.get(
    '/api/v1/status',
    {
      ...access,
      schema: {
        summary: 'The fleet: per cluster its status, diagnosis, probes and alerts (ETag; 304 when unchanged)',
        tags: ['status'],
        ...security,
        response: { 200: statusResponse, 304: { type: 'null', description: 'not modified' }, ...authErrors },
      },
    },
    async (req, reply) => sendCached(req, reply, deps.view.status(), { maxAgeSeconds: 2, compress: true }),
  );

  app.get<ClusterRoute>(
    '/api/v1/clusters/:name',
    {
      ...access,
      schema: {
        ...security,
        params: clusterParams,
        response: { 200: clusterResponse, 404: errorResponse, ...authErrors },
      },
    },
    async (req) => {
      const cluster = clusterNamed(req.params.name);
      const results = deps.store.latest(cluster.name);
      return {
        name: cluster.name,
        status: clusterStatus(results),
        diagnosis: deps.store.diagnosis(cluster.name) ?? notChecked(),
        issuer: cluster.issuer,
        region: cluster.region,
        labels: cluster.labels,
        results,
      };
    },
  );

  app.get<HistoryRoute>(
    '/api/v1/clusters/:name/history',
    {
      ...access,
      schema: {
        ...security,
        params: clusterParams,
        querystring: historyQuery,
        response: { 200: historyResponse, 404: errorResponse, ...authErrors },
      },
    },
    async (req) => {
      const cluster = clusterNamed(req.params.name);
      const { probe, limit, before } = req.query;
      return {
        cluster: cluster.name,
        results: deps.store.history(cluster.name, {
          limit,
          ...(probe ? { probe } : {}),
          ...(before ? { before } : {}),
        }),
      };
    },
  );

  app.get<ClusterRoute>(
    '/api/v1/clusters/:name/roles',
    {
      ...access,
      schema: {
        ...security,
        params: clusterParams,
        response: { 200: rolesResponse, 404: errorResponse, ...authErrors },
      },
    },
    async (req) => {
      const cluster = clusterNamed(req.params.name);
      const latest = deps.store.latest(cluster.name);
      const result = latest.find((r) => r.probe === 'roles');
      const roles = observationsOf(latest, 'roles')?.roles ?? [];
      return { cluster: cluster.name, ...(result ? { checkedAt: result.startedAt } : {}), roles };
    },
  );
};
