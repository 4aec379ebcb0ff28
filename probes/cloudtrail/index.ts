// The cloudtrail probe: from one shared scan per account and region, the cluster's failing assume-role calls and
// who changed its OIDC bucket's policy or Block Public Access.
import { defineProbe } from '../../src/core/probe.ts';
import { CLOUDTRAIL_FINDINGS } from './findings.ts';
import { cloudtrailObservations } from './observations.ts';
import { cloudtrailSettings } from './settings.ts';

export const cloudtrailProbe = defineProbe({
  name: 'cloudtrail',
  description:
    "Scans CloudTrail (one shared scan per account and region) for the cluster's failed assume-role calls and for changes to its OIDC bucket.",
  schedule: { cron: '*/5 * * * *', every: 'every 5 minutes', timeoutMs: 60_000 },
  settings: cloudtrailSettings,
  findings: CLOUDTRAIL_FINDINGS,
  observations: cloudtrailObservations,
  awsActions: ['cloudtrail:LookupEvents'],
  appliesTo: (cluster) => cluster.account !== undefined,
  // The clusters of one account and region wait for the same scans.
  sharedBy: (cluster) => `${cluster.account ?? ''}/${cluster.region}`,
  load: async () => (await import('./probe.ts')).createCloudTrailProbe,
});

export type { CloudTrailObservations, RoleActivity } from './observations.ts';
export type { CloudTrailProbeSettings } from './settings.ts';
