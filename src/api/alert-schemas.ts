// JSON Schemas of the alerting routes (draft-7). Responses list every property: Fastify's serializer drops anything
// else, so nothing a schema does not name (a sink URL, a key) can leave through these routes.
import { PROBE_NAMES } from '../core/model.ts';

const change = {
  type: 'object',
  required: ['actor'],
  properties: {
    actor: { type: 'string' },
    at: { type: 'string' },
    event: { type: 'string' },
    statement: { type: 'string' },
  },
} as const;

const evidence = {
  type: 'object',
  required: ['probe', 'code', 'message'],
  properties: {
    probe: { type: 'string', enum: [...PROBE_NAMES, 'runner'] },
    code: { type: 'string' },
    message: { type: 'string' },
    subject: { type: 'string' },
  },
} as const;

const outcome = {
  type: 'object',
  required: ['outcome', 'message', 'at'],
  properties: {
    outcome: { type: 'string', enum: ['delivered', 'retry', 'failed', 'held', 'dropped'] },
    httpStatus: { type: 'integer' },
    errorCode: { type: 'string' },
    message: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
  },
} as const;

const delivery = {
  type: 'object',
  required: ['sink', 'kind', 'status', 'attempts', 'createdAt'],
  properties: {
    sink: { type: 'string', description: 'the sink name (never its URL)' },
    kind: { type: 'string', enum: ['trigger', 'reminder', 'resolve', 'refresh'] },
    status: { type: 'string', enum: ['pending', 'held', 'delivered', 'failed', 'dropped'] },
    attempts: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    deliveredAt: { type: 'string', format: 'date-time' },
    lastOutcome: outcome,
  },
} as const;

export const quietSchema = {
  type: 'object',
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: ['silence', 'maintenance'] },
    id: { type: 'string' },
    name: { type: 'string' },
  },
} as const;

export const alertSchema = {
  type: 'object',
  required: [
    'id',
    'cluster',
    'code',
    'severity',
    'state',
    'title',
    'summary',
    'evidence',
    'labels',
    'link',
    'firstSeenAt',
    'deliveries',
  ],
  properties: {
    id: { type: 'integer' },
    cluster: { type: 'string' },
    code: { type: 'string', description: 'diagnosis cause code, DEGRADED or STALE' },
    severity: { type: 'string', enum: ['critical', 'warning'] },
    state: { type: 'string', enum: ['pending', 'firing', 'resolved'] },
    probe: { type: 'string', description: 'the probe whose results evaluate it' },
    failCount: { type: 'integer' },
    passCount: { type: 'integer' },
    title: { type: 'string' },
    summary: { type: 'string' },
    remediation: { type: 'string' },
    evidence: { type: 'array', items: evidence },
    change,
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    link: { type: 'string' },
    firstSeenAt: { type: 'string', format: 'date-time' },
    lastSeenAt: { type: 'string', format: 'date-time' },
    firedAt: { type: 'string', format: 'date-time' },
    resolvedAt: { type: 'string', format: 'date-time' },
    lastNotifiedAt: { type: 'string', format: 'date-time' },
    escalatedAt: {
      type: 'string',
      format: 'date-time',
      description: 'when this firing warning became critical and was notified again',
    },
    reminders: { type: 'integer' },
    quiet: quietSchema,
    deliveries: { type: 'array', items: delivery },
  },
} as const;

const matcher = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128, description: 'cluster, code, severity or a cluster label' },
    value: { type: 'string', maxLength: 1024 },
    isRegex: { type: 'boolean', default: false },
  },
} as const;

export const silenceSchema = {
  type: 'object',
  required: ['id', 'matchers', 'startsAt', 'endsAt', 'comment', 'createdBy', 'createdAt', 'active'],
  properties: {
    id: { type: 'string' },
    matchers: { type: 'array', items: matcher },
    startsAt: { type: 'string', format: 'date-time' },
    endsAt: { type: 'string', format: 'date-time' },
    comment: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiredAt: { type: 'string', format: 'date-time' },
    active: { type: 'boolean' },
  },
} as const;

export const maintenanceSchema = {
  type: 'object',
  required: ['name', 'startedAt', 'endsAt'],
  properties: {
    name: { type: 'string' },
    startedAt: { type: 'string', format: 'date-time' },
    endsAt: { type: 'string', format: 'date-time' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export const deliveryCountSchema = {
  type: 'object',
  required: ['sink', 'outcome', 'count'],
  properties: { sink: { type: 'string' }, outcome: { type: 'string' }, count: { type: 'integer' } },
} as const;

export const alertsResponse = {
  type: 'object',
  required: ['generatedAt', 'firing', 'pending', 'recent', 'silences', 'maintenance', 'deliveries'],
  properties: {
    generatedAt: { type: 'string', format: 'date-time' },
    firing: { type: 'array', items: alertSchema },
    pending: { type: 'array', items: alertSchema },
    recent: { type: 'array', items: alertSchema, description: 'resolved within alerts.recentHours' },
    silences: { type: 'array', items: silenceSchema, description: 'active silences' },
    maintenance: { type: 'array', items: maintenanceSchema, description: 'active maintenance windows' },
    deliveries: {
      type: 'array',
      items: deliveryCountSchema,
      description: 'attempts and decisions per sink and outcome',
    },
  },
} as const;

export const alertsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { cluster: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export const silenceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['matchers', 'comment'],
  properties: {
    matchers: { type: 'array', minItems: 1, maxItems: 32, items: matcher },
    endsAt: { type: 'string', format: 'date-time' },
    durationMinutes: { type: 'integer', minimum: 1, maximum: 43_200 },
    comment: { type: 'string', minLength: 1, maxLength: 1024 },
    createdBy: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;

export const silenceParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const silencesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { all: { type: 'boolean', default: false, description: 'expired silences too' } },
} as const;

export const sinkParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 63 } },
} as const;

export const testAlertResponse = {
  type: 'object',
  required: ['sink', 'ok', 'message'],
  properties: {
    sink: { type: 'string' },
    type: { type: 'string' },
    ok: { type: 'boolean' },
    httpStatus: { type: 'integer' },
    errorCode: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

/** Per cluster in GET /api/v1/status. */
export const clusterAlertsSchema = {
  type: 'object',
  required: ['firing', 'pending', 'codes', 'quiet'],
  properties: {
    firing: { type: 'integer' },
    pending: { type: 'integer' },
    codes: { type: 'array', items: { type: 'string' }, description: 'codes of the firing alerts' },
    quiet: { type: 'boolean', description: 'a silence or maintenance window holds some of its notifications' },
  },
} as const;
