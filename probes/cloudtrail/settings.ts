// The cloudtrail probe's settings (`probes.cloudtrail` in the config file), with their defaults.
import { z } from 'zod';
import { REGION_PATTERN } from '../../src/core/cluster.ts';

const minutes = z.number().int().min(1);

export const cloudtrailSettings = z
  .strictObject({
    windowMinutes: minutes
      .max(24 * 60)
      .default(60)
      .describe('AssumeRoleWithWebIdentity failures and successes are counted over this many minutes. Default 60.'),
    changeWindowHours: z
      .number()
      .int()
      .min(1)
      .max(90 * 24)
      .default(24)
      .describe('Changes to OIDC buckets and Block Public Access are reported for this many hours. Default 24.'),
    overlapMinutes: minutes
      .max(120)
      .default(15)
      .describe(
        "Each scan reaches back this far before the previous one's end, for CloudTrail's delivery delay (about 5 min, not guaranteed). Default 15.",
      ),
    failAbove: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe(
        'ASSUME_FAILURES_RECENT warns from the first failure and fails when a cluster has more than this many in the window. Default 10.',
      ),
    extraRegions: z
      .array(z.string().regex(REGION_PATTERN, 'must be an AWS region code like us-east-1'))
      .default(['us-east-1'])
      .describe(
        "Regions scanned besides each cluster's own: calls to the global STS endpoint are logged in us-east-1. Default [us-east-1].",
      ),
    maxPages: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(200)
      .describe(
        'LookupEvents pages (50 events each) one scan of one event name may read; what a scan leaves unread (CLOUDTRAIL_INCOMPLETE) is read by the next ones. Default 200.',
      ),
  })
  .prefault({})
  .describe(
    'The cloudtrail probe: one scan per account and region serves every cluster there, at most two LookupEvents calls a second.',
  );

export type CloudTrailProbeSettings = z.output<typeof cloudtrailSettings>;
