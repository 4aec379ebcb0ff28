// What the cloudtrail probe keeps of a run: the regions scanned, per role its assume-role activity in the window,
// and how many changes to the cluster's bucket or the account's Block Public Access it saw.
import { z } from 'zod';

export const roleActivity = z.strictObject({
  roleArn: z.string(),
  successes: z.number(),
  failures: z.number(),
  lastSuccess: z.string().optional(),
  lastFailure: z.string().optional(),
});

export const cloudtrailObservations = z.strictObject({
  regions: z.array(z.string()),
  windowMinutes: z.number(),
  roles: z.array(roleActivity),
  changes: z.number(),
});

export type RoleActivity = z.output<typeof roleActivity>;
export type CloudTrailObservations = z.output<typeof cloudtrailObservations>;
