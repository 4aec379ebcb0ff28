// GET /api/v1/alerts: firing, pending and recently resolved alerts, each with its deliveries (sink names, outcomes;
// never a URL), the active silences and maintenance windows, and delivery counts. POST /api/v1/sinks/:name/test
// (write scope): the sample alert through one sink.
import type { FastifyPluginAsync } from 'fastify';
import { AlertError } from '../../alerts/errors.ts';
import { silenceActive } from '../../alerts/quiet.ts';
import type { Silence } from '../../alerts/types.ts';
import type { AlertView } from '../../alerts/view.ts';
import { requireAccess, requireScope, securityOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { authErrors, errorResponse } from '../schemas.ts';
import { alertsQuery, alertsResponse, sinkParams, testAlertResponse } from '../alert-schemas.ts';

/** An alert as the API shows it: its content flattened in. */
export function apiAlert(a: AlertView) {
  const { content, ...rest } = a;
  return { ...rest, ...content };
}

export const apiSilence = (s: Silence, now: Date) => ({ ...s, active: silenceActive(s, now) });

/** AlertError codes to HTTP statuses. */
export function apiErrorOf(err: unknown): unknown {
  if (!(err instanceof AlertError)) return err;
  const status = err.code.endsWith('_NOT_FOUND') ? 404 : err.code === 'SINK_UNAVAILABLE' ? 409 : 400;
  return new ApiError(err.code, status, err.message);
}

export const alertsDisabled = () =>
  new ApiError('ALERTS_DISABLED', 409, 'alerting runs only in the agent (irsa-sentinel serve)');

interface AlertsRoute {
  Querystring: { cluster?: string };
}
interface TestRoute {
  Params: { name: string };
}

export const alertRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<AlertsRoute>(
    '/api/v1/alerts',
    {
      onRequest: requireAccess('details'),
      schema: {
        ...securityOf(app, 'details'),
        querystring: alertsQuery,
        response: { 200: alertsResponse, 400: errorResponse, 409: errorResponse, ...authErrors },
      },
    },
    async (req) => {
      const alerts = deps.alerts;
      if (!alerts) throw alertsDisabled();
      const now = deps.now();
      const only = (list: AlertView[]) =>
        (req.query.cluster ? list.filter((a) => a.cluster === req.query.cluster) : list).map(apiAlert);
      return {
        generatedAt: now.toISOString(),
        firing: only(alerts.firing()),
        pending: only(alerts.pending()),
        recent: only(alerts.recent()),
        silences: alerts.silences().map((s) => apiSilence(s, now)),
        maintenance: alerts.activeMaintenance(now),
        deliveries: alerts.deliveryCounts(),
      };
    },
  );

  app.post<TestRoute>(
    '/api/v1/sinks/:name/test',
    {
      onRequest: requireScope('write'),
      schema: {
        ...securityOf(app, 'write'),
        params: sinkParams,
        response: {
          200: testAlertResponse,
          401: errorResponse,
          403: errorResponse,
          404: errorResponse,
          409: errorResponse,
        },
      },
    },
    async (req) => {
      const alerts = deps.alerts;
      if (!alerts) throw alertsDisabled();
      try {
        const outcome = await alerts.testSink(req.params.name);
        const type = alerts.sinkNames().find((s) => s.name === req.params.name)?.type;
        return { sink: req.params.name, ...(type && { type }), ...outcome };
      } catch (err) {
        throw apiErrorOf(err);
      }
    },
  );
};
