// The jwks probe (kid freshness): the cluster's signing keys are published, a fresh token verifies, the IAM OIDC
// provider exists with the audiences the pods use.
import { defineProbe } from '../../src/core/probe.ts';
import { JWKS_FINDINGS } from './findings.ts';
import { jwksObservations } from './observations.ts';
import { jwksSettings } from './settings.ts';

export const jwksProbe = defineProbe({
  name: 'jwks',
  description: "Checks the cluster's signing keys are published, a fresh token verifies, and the IAM OIDC provider.",
  schedule: { cron: '*/5 * * * *', every: 'every 5 minutes', timeoutMs: 20_000 },
  settings: jwksSettings,
  findings: JWKS_FINDINGS,
  observations: jwksObservations,
  awsActions: ['iam:GetOpenIDConnectProvider'],
  load: async () => (await import('./probe.ts')).createJwksProbe,
});

export type { JwksObservations } from './observations.ts';
export type { JwksProbeSettings } from './settings.ts';
