// POST /api/v1/clusters/:name/bucket-policy/simulate: would this bucket policy break the issuer? Read-only: the
// bucket's live Block Public Access is read, the proposed policy evaluated, nothing is put.
import type { FastifyPluginAsync } from 'fastify';
import { SimulationError } from '../../../probes/bucket/index.ts';
import { requireAccess, securityOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, ClusterNotFoundError } from '../errors.ts';
import { authErrors, clusterParams, errorResponse, findingSchema } from '../schemas.ts';

const STATUS: Record<SimulationError['code'], number> = {
  BUCKET_POLICY_INVALID: 400,
  BUCKET_NOT_APPLICABLE: 409,
  BUCKET_ACCESS_UNKNOWN: 502,
};

const simulationResponse = {
  type: 'object',
  required: ['cluster', 'bucket', 'wouldBreak', 'documents', 'findings'],
  properties: {
    cluster: { type: 'string' },
    bucket: { type: 'string' },
    wouldBreak: { type: 'boolean', description: 'the issuer documents would no longer be readable by STS' },
    refusedByBlockPublicPolicy: {
      type: 'object',
      description: 'S3 would refuse the PutBucketPolicy: the policy is public and BlockPublicPolicy is on',
      properties: { level: { type: 'string', enum: ['bucket', 'account'] } },
    },
    documents: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'allowed', 'reason', 'message'],
        properties: {
          key: { type: 'string' },
          allowed: { type: 'boolean' },
          reason: { type: 'string' },
          message: { type: 'string' },
          statement: { type: 'string' },
        },
      },
    },
    findings: { type: 'array', items: findingSchema },
    diff: { type: 'string', description: 'against the current policy' },
  },
} as const;

interface SimulateRoute {
  Params: { name: string };
  Body: Record<string, unknown>;
}

export const bucketPolicyRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.post<SimulateRoute>(
    '/api/v1/clusters/:name/bucket-policy/simulate',
    {
      bodyLimit: 64 * 1024, // S3 caps a bucket policy at 20 KB
      // Read-only, but it shows the bucket's live settings and the evaluation in detail.
      onRequest: requireAccess('details'),
      schema: {
        ...securityOf(app, 'details'),
        params: clusterParams,
        body: { type: 'object', description: 'the proposed bucket policy document' },
        response: {
          200: simulationResponse,
          400: errorResponse,
          404: errorResponse,
          409: errorResponse,
          502: errorResponse,
          ...authErrors,
        },
      },
    },
    async (req) => {
      const cluster = deps.clusters().find((c) => c.name === req.params.name);
      if (!cluster) throw new ClusterNotFoundError(req.params.name);
      if (!deps.simulateBucketPolicy) throw new ApiError('NOT_AVAILABLE', 409, 'this agent cannot read AWS');
      try {
        return await deps.simulateBucketPolicy(cluster, JSON.stringify(req.body));
      } catch (err) {
        if (err instanceof SimulationError) throw new ApiError(err.code, STATUS[err.code], err.message);
        throw err;
      }
    },
  );
};
