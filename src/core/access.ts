// Who may read what the HTTP API shows: its read surfaces, each `public` (anyone who reaches the port) or `token` (a
// bearer token with the read scope). Mutating routes are not a surface: they always need the write scope. The config
// (server.access), the API's hooks (src/api/auth.ts) and the docs read these names. Imports nothing.

export const SURFACES = ['page', 'summary', 'badges', 'health', 'metrics', 'details'] as const;
export type Surface = (typeof SURFACES)[number];

export const ACCESS_MODES = ['public', 'token'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export type AccessPolicy = Readonly<Record<Surface, AccessMode>>;

/**
 * What each surface serves. The fleet page, summary.json and badges show statuses and one-line diagnoses; `details`
 * holds what names accounts, ARNs and error text in full (every finding with its evidence, the roles, alerts with
 * their deliveries, silences, the bucket-policy what-if).
 */
export const SURFACE_ROUTES: Readonly<Record<Surface, readonly string[]>> = {
  page: ['GET /'],
  summary: ['GET /api/v1/summary.json'],
  badges: ['GET /badges/:cluster/health.svg', 'GET /badges/:cluster/health.json'],
  health: ['GET /healthz', 'GET /readyz'],
  metrics: ['GET /metrics'],
  details: [
    'GET /api/v1/status',
    'GET /api/v1/clusters/:name',
    'GET /api/v1/clusters/:name/history',
    'GET /api/v1/clusters/:name/roles',
    'POST /api/v1/clusters/:name/bucket-policy/simulate',
    'GET /api/v1/alerts',
    'GET /api/v1/silences',
    'GET /clusters/:name',
  ],
};

/**
 * The defaults: what a status page, a README badge and an orchestrator read is public; the detail behind it needs a
 * token. Metrics are public: Prometheus scrapes without credentials by convention (a scrape refused reads as the
 * agent being down, `up == 0`), and they carry names, codes and statuses, no error text or evidence.
 */
export const DEFAULT_ACCESS: AccessPolicy = {
  page: 'public',
  summary: 'public',
  badges: 'public',
  health: 'public',
  metrics: 'public',
  details: 'token',
};
