// The bucket probe (policy publicness): may STS, an anonymous internet caller, read the issuer documents from the
// OIDC bucket (or the CloudFront distribution from a private one)? Also the what-if for a proposed bucket policy.
import { defineProbe } from '../../src/core/probe.ts';
import { BUCKET_FINDINGS } from './findings.ts';
import { bucketObservations } from './observations.ts';
import { bucketSettings } from './settings.ts';

export const bucketProbe = defineProbe({
  name: 'bucket',
  description:
    "Evaluates the OIDC bucket's policy and Block Public Access for STS's anonymous reads (or the CloudFront distribution's), and confirms with a GET.",
  schedule: { cron: '*/5 * * * *', every: 'every 5 minutes', timeoutMs: 20_000 },
  settings: bucketSettings,
  findings: BUCKET_FINDINGS,
  observations: bucketObservations,
  awsActions: [
    's3:GetBucketPolicy',
    's3:GetBucketPolicyStatus',
    's3:GetBucketPublicAccessBlock',
    's3:GetAccountPublicAccessBlock',
    's3:GetBucketAcl',
    // The newest PutBucketPolicy of the bucket when its policy locks the agent out (the cloudtrail probe's shared scan).
    'cloudtrail:LookupEvents',
  ],
  appliesTo: (cluster) => cluster.bucket !== undefined && cluster.account !== undefined,
  load: async () => (await import('./probe.ts')).createBucketProbe,
});

/** Would a proposed policy break the issuer? Reads the bucket's live settings; puts nothing. Loaded on demand. */
export const loadBucketPolicySimulator = async () => (await import('./simulate.ts')).simulateBucketPolicy;

export type { BucketObservations } from './observations.ts';
export type { BucketProbeSettings } from './settings.ts';
export { SIMULATION_ERROR_CODES, SimulationError } from './simulation.ts';
export type { PolicySimulation } from './simulation.ts';
