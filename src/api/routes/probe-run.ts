// POST /api/v1/clusters/:name/probes/:probe/run (write scope): runs one probe for the cluster now, the way its schedule
// does (through the runner: the result stored, the cluster's diagnosis updated, its alerts evaluated), and answers the
// result with the cluster's status and diagnosis after it. A run of that pair already in flight (scheduled, or asked
// for by someone else) is joined and answered with `joined: true`: the runner never runs a pair twice at once.
import type { FastifyPluginAsync } from 'fastify';
import { notChecked } from '../../diagnosis/diagnose.ts';
import { PROBE_NAMES } from '../../core/model.ts';
import { clusterStatus } from '../../status.ts';
import { requireScope, securityOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, ClusterNotFoundError, ProbeNotFoundError } from '../errors.ts';
import { clusterParams, diagnosisSchema, errorResponse, probeResultSchema } from '../schemas.ts';

const runParams = {
  type: 'object',
  required: ['name', 'probe'],
  properties: {
    name: clusterParams.properties.name,
    probe: { type: 'string', minLength: 1, maxLength: 64, description: `one of ${PROBE_NAMES.join(', ')}` },
  },
} as const;

const runResponse = {
  type: 'object',
  required: ['cluster', 'probe', 'joined', 'status', 'result', 'diagnosis'],
  properties: {
    cluster: { type: 'string' },
    probe: { type: 'string', enum: [...PROBE_NAMES] },
    joined: { type: 'boolean', description: 'a run already in flight was joined (its result), none was started' },
    status: { type: 'string', enum: ['ok', 'warn', 'fail', 'unknown'], description: "the cluster's status after it" },
    result: probeResultSchema,
    diagnosis: diagnosisSchema,
  },
} as const;

/** The scheduler's coded errors (src/scheduler/scheduler.ts) as the API answers them. */
const STATUS_OF: Record<string, number> = {
  PROBE_NOT_APPLICABLE: 409,
  PROBE_DISABLED: 409,
  RUN_NOT_COMPLETED: 503,
};

interface RunRoute {
  Params: { name: string; probe: string };
}

export const probeRunRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.post<RunRoute>(
    '/api/v1/clusters/:name/probes/:probe/run',
    {
      onRequest: requireScope('write'),
      schema: {
        summary: 'Run one probe for the cluster now and answer its result (joins a run in flight)',
        tags: ['status'],
        ...securityOf(app, 'write'),
        params: runParams,
        response: {
          200: runResponse,
          400: errorResponse,
          401: errorResponse,
          403: errorResponse,
          404: errorResponse,
          409: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (req) => {
      const { name, probe } = req.params;
      if (!deps.clusters().some((c) => c.name === name)) throw new ClusterNotFoundError(name);
      if (!(PROBE_NAMES as readonly string[]).includes(probe)) throw new ProbeNotFoundError(probe, PROBE_NAMES);
      if (!deps.runProbe)
        throw new ApiError('NOT_AVAILABLE', 409, 'probes run only in the agent (irsa-sentinel serve)');
      try {
        const { result, joined } = await deps.runProbe(name, probe);
        return {
          cluster: name,
          probe: result.probe,
          joined,
          status: clusterStatus(deps.store.latest(name)),
          result,
          diagnosis: deps.store.diagnosis(name) ?? notChecked(),
        };
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === 'UNKNOWN_CLUSTER') throw new ClusterNotFoundError(name);
        if (code === 'UNKNOWN_PROBE') throw new ApiError('PROBE_NOT_FOUND', 404, (err as Error).message);
        if (typeof code === 'string' && STATUS_OF[code] !== undefined)
          throw new ApiError(code, STATUS_OF[code], (err as Error).message);
        throw err;
      }
    },
  );
};
