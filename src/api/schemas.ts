// JSON Schemas of the HTTP API's responses (draft-7, as Fastify validates and serialises with them).
import { PROBE_NAMES, STATUSES } from '../core/model.ts';
import { clusterAlertsSchema, maintenanceSchema, silenceSchema } from './alert-schemas.ts';

const status = { type: 'string', enum: [...STATUSES] } as const;

export const findingSchema = {
  type: 'object',
  required: ['code', 'severity', 'message', 'remediation'],
  properties: {
    code: { type: 'string' },
    severity: { type: 'string', enum: ['info', 'warn', 'unknown', 'fail'] },
    message: { type: 'string' },
    remediation: { type: 'string' },
    subject: { type: 'string' },
    evidence: { type: 'object', additionalProperties: true },
  },
} as const;

export const probeResultSchema = {
  type: 'object',
  required: ['cluster', 'probe', 'status', 'startedAt', 'durationMs', 'findings'],
  properties: {
    cluster: { type: 'string' },
    probe: { type: 'string', enum: [...PROBE_NAMES] },
    status,
    startedAt: { type: 'string', format: 'date-time' },
    durationMs: { type: 'number' },
    traceId: { type: 'string' },
    findings: { type: 'array', items: findingSchema },
    observations: { type: 'object', additionalProperties: true },
  },
} as const;

const probeSummary = {
  type: 'object',
  required: ['status', 'lastRun', 'durationMs', 'findings'],
  properties: {
    status,
    lastRun: { type: 'string', format: 'date-time' },
    durationMs: { type: 'number' },
    findings: { type: 'array', items: { type: 'string' }, description: 'finding codes' },
  },
} as const;

const evidenceItem = {
  type: 'object',
  required: ['probe', 'code', 'severity', 'message'],
  properties: {
    probe: { type: 'string', enum: [...PROBE_NAMES] },
    code: { type: 'string' },
    severity: { type: 'string', enum: ['info', 'warn', 'unknown', 'fail'] },
    message: { type: 'string' },
    subject: { type: 'string' },
  },
} as const;

const causeProperties = {
  code: { type: 'string', description: 'a diagnosis rule code, or HEALTHY, DEGRADED, UNKNOWN, NOT_CHECKED' },
  status,
  summary: { type: 'string' },
  remediation: { type: 'string' },
  evidence: { type: 'array', items: evidenceItem },
} as const;

export const diagnosisSchema = {
  type: 'object',
  description:
    'the root cause from the latest results of every probe, with the evidence chain; every other decided cause; what could not be decided',
  required: ['code', 'status', 'summary', 'evidence', 'causes', 'undecided'],
  properties: {
    ...causeProperties,
    causes: {
      type: 'array',
      description: 'every decided cause, the root cause first, each with its fix',
      items: { type: 'object', required: ['code', 'status', 'summary', 'evidence'], properties: causeProperties },
    },
    undecided: {
      type: 'array',
      description: 'findings that could not be decided (unknown) and that no cause accounts for',
      items: evidenceItem,
    },
  },
} as const;

const clusterSummary = {
  type: 'object',
  required: ['name', 'status', 'issuer', 'labels', 'diagnosis', 'probes', 'alerts'],
  properties: {
    name: { type: 'string' },
    status: { ...status, description: 'worst probe status; unknown until a probe has run' },
    issuer: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    diagnosis: diagnosisSchema,
    probes: { type: 'object', additionalProperties: probeSummary },
    alerts: clusterAlertsSchema,
  },
} as const;

export const statusResponse = {
  type: 'object',
  required: ['status', 'generatedAt', 'clusters', 'silences', 'maintenance'],
  properties: {
    status: { ...status, description: 'worst cluster status' },
    generatedAt: { type: 'string', format: 'date-time' },
    clusters: { type: 'array', items: clusterSummary },
    silences: { type: 'array', items: silenceSchema, description: 'active silences' },
    maintenance: { type: 'array', items: maintenanceSchema, description: 'active maintenance windows' },
  },
} as const;

export const clusterResponse = {
  type: 'object',
  required: ['name', 'status', 'issuer', 'labels', 'diagnosis', 'results'],
  properties: {
    name: { type: 'string' },
    status,
    diagnosis: diagnosisSchema,
    issuer: { type: 'string' },
    region: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    results: { type: 'array', items: probeResultSchema },
  },
} as const;

export const historyResponse = {
  type: 'object',
  required: ['cluster', 'results'],
  properties: { cluster: { type: 'string' }, results: { type: 'array', items: probeResultSchema } },
} as const;

export const errorResponse = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/** What a route behind a token may answer besides its own: no token (or a wrong one), and a token without the scope. */
export const authErrors = { 401: errorResponse, 403: errorResponse } as const;

export const clusterParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    probe: { type: 'string', enum: [...PROBE_NAMES] },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
    before: { type: 'string', format: 'date-time' },
  },
} as const;

export const rolesResponse = {
  type: 'object',
  required: ['cluster', 'roles'],
  properties: {
    cluster: { type: 'string' },
    checkedAt: {
      type: 'string',
      format: 'date-time',
      description: 'start of the roles probe run the states come from',
    },
    roles: {
      type: 'array',
      items: {
        type: 'object',
        required: ['arn', 'serviceAccount', 'status', 'findings'],
        properties: {
          arn: { type: 'string' },
          serviceAccount: { type: 'string' },
          status: { type: 'string', enum: ['ok', 'warn', 'unknown', 'fail'] },
          findings: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

const componentStatus = {
  type: 'string',
  enum: ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'],
} as const;
const incidentSchema = {
  type: 'object',
  required: ['id', 'name', 'status', 'impact', 'created_at', 'updated_at', 'shortlink', 'page_id', 'incident_updates'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string' },
    impact: { type: 'string' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    started_at: { type: 'string' },
    scheduled_for: { type: 'string' },
    scheduled_until: { type: 'string' },
    monitoring_at: { type: ['string', 'null'] },
    resolved_at: { type: ['string', 'null'] },
    shortlink: { type: 'string' },
    page_id: { type: 'string' },
    incident_updates: { type: 'array', items: { type: 'object', additionalProperties: true } },
    components: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

/** Atlassian Statuspage's /api/v2/summary.json shape. */
export const summaryResponse = {
  type: 'object',
  description: "the fleet in Atlassian Statuspage's summary shape: clusters are components, firing alerts incidents",
  required: ['page', 'status', 'components', 'incidents', 'scheduled_maintenances'],
  properties: {
    page: {
      type: 'object',
      required: ['id', 'name', 'url', 'updated_at'],
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        url: { type: 'string' },
        time_zone: { type: 'string' },
        updated_at: { type: 'string' },
      },
    },
    status: {
      type: 'object',
      required: ['indicator', 'description'],
      properties: {
        indicator: { type: 'string', enum: ['none', 'minor', 'major', 'critical'] },
        description: { type: 'string' },
      },
    },
    components: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'status', 'position', 'page_id', 'created_at', 'updated_at'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          status: componentStatus,
          description: { type: ['string', 'null'] },
          position: { type: 'integer' },
          showcase: { type: 'boolean' },
          start_date: { type: ['string', 'null'] },
          group_id: { type: ['string', 'null'] },
          group: { type: 'boolean' },
          only_show_if_degraded: { type: 'boolean' },
          page_id: { type: 'string' },
          created_at: { type: 'string' },
          updated_at: { type: 'string' },
        },
      },
    },
    incidents: { type: 'array', items: incidentSchema },
    scheduled_maintenances: { type: 'array', items: incidentSchema },
  },
} as const;
