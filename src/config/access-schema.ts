// The config's `server.access`: per read surface of the API, `public` or `token` (a bearer token of server.auth.tokens
// or IRSA_SENTINEL_API_TOKEN with the read scope). Mutating routes always need the write scope and are not listed.
import { z } from 'zod';
import { ACCESS_MODES, DEFAULT_ACCESS, SURFACE_ROUTES } from '../core/access.ts';
import type { Surface } from '../core/access.ts';

const WHAT: Record<Surface, string> = {
  page: 'The fleet status page',
  summary: 'summary.json (Statuspage shape)',
  badges: 'The health badges',
  health: 'Liveness and readiness',
  metrics: 'Prometheus metrics',
  details: 'Full results: ARNs, account ids, error text and evidence, alerts, silences, the bucket-policy what-if',
};

const modeOf = (surface: Surface) =>
  z
    .enum(ACCESS_MODES)
    .default(DEFAULT_ACCESS[surface])
    .describe(
      `${WHAT[surface]} (${SURFACE_ROUTES[surface].join(', ')}): public, or token (read scope). Default ${DEFAULT_ACCESS[surface]}.`,
    );

export const accessSchema = z
  .strictObject({
    page: modeOf('page'),
    summary: modeOf('summary'),
    badges: modeOf('badges'),
    health: modeOf('health'),
    metrics: modeOf('metrics'),
    details: modeOf('details'),
  } satisfies Record<Surface, unknown>)
  .prefault({})
  .describe(
    'Who may read each surface of the API: public, or token (a bearer token with the read scope). Mutating routes always need the write scope.',
  );
