// The issuer probe: fetches the discovery document and its jwks_uri anonymously over HTTPS, as STS does.
import { defineProbe } from '../../src/core/probe.ts';
import { ISSUER_FINDINGS } from './findings.ts';
import { issuerObservations } from './observations.ts';
import { issuerSettings } from './settings.ts';

export const issuerProbe = defineProbe({
  name: 'issuer',
  description: 'Fetches the discovery document and JWKS anonymously over HTTPS as STS does, and checks both.',
  schedule: { cron: '*/1 * * * *', every: 'every minute', timeoutMs: 20_000 },
  settings: issuerSettings,
  findings: ISSUER_FINDINGS,
  observations: issuerObservations,
  awsActions: [],
  load: async () => (await import('./probe.ts')).createIssuerProbe,
});

export type { IssuerObservations } from './observations.ts';
export type { IssuerProbeSettings } from './settings.ts';
