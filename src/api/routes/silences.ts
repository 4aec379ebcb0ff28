// Silences through the API: POST (write scope) with matchers, an expiry (endsAt or durationMinutes, at most 30 days)
// and a comment; GET lists them (active ones, or ?all=true); DELETE (write scope) ends one now, and what it held is
// delivered if still firing.
import type { FastifyPluginAsync } from 'fastify';
import type { SilenceInput } from '../../alerts/quiet.ts';
import { requireAccess, requireScope, securityOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { errorResponse } from '../schemas.ts';
import { silenceBody, silenceParams, silenceSchema, silencesQuery } from '../alert-schemas.ts';
import { alertsDisabled, apiErrorOf, apiSilence } from './alerts.ts';

interface CreateRoute {
  Body: SilenceInput;
}
interface ListRoute {
  Querystring: { all: boolean };
}
interface DeleteRoute {
  Params: { id: string };
}

const errors = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 409: errorResponse };

export const silenceRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.post<CreateRoute>(
    '/api/v1/silences',
    {
      onRequest: requireScope('write'),
      schema: { ...securityOf(app, 'write'), body: silenceBody, response: { 201: silenceSchema, ...errors } },
    },
    async (req, reply) => {
      const alerts = deps.alerts;
      if (!alerts) throw alertsDisabled();
      try {
        const silence = alerts.createSilence({ ...req.body, createdBy: req.body.createdBy ?? req.tokenName ?? 'api' });
        return reply.code(201).send(apiSilence(silence, deps.now()));
      } catch (err) {
        throw apiErrorOf(err);
      }
    },
  );

  app.get<ListRoute>(
    '/api/v1/silences',
    {
      onRequest: requireAccess('details'),
      schema: {
        ...securityOf(app, 'details'),
        querystring: silencesQuery,
        response: {
          200: {
            type: 'object',
            required: ['silences'],
            properties: { silences: { type: 'array', items: silenceSchema } },
          },
          ...errors,
        },
      },
    },
    async (req) => {
      const alerts = deps.alerts;
      if (!alerts) throw alertsDisabled();
      const now = deps.now();
      return { silences: alerts.silences({ all: req.query.all }).map((s) => apiSilence(s, now)) };
    },
  );

  app.delete<DeleteRoute>(
    '/api/v1/silences/:id',
    {
      onRequest: requireScope('write'),
      schema: { ...securityOf(app, 'write'), params: silenceParams, response: { 200: silenceSchema, ...errors } },
    },
    async (req) => {
      const alerts = deps.alerts;
      if (!alerts) throw alertsDisabled();
      try {
        return apiSilence(alerts.expireSilence(req.params.id), deps.now());
      } catch (err) {
        throw apiErrorOf(err);
      }
    },
  );
};
