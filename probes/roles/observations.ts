// What the roles probe keeps of a run: per role its service account, status, finding codes and what STS answered
// (the subject, audience and assumed-role ARN; never a credential). GET /api/v1/clusters/:name/roles shows it.
import { z } from 'zod';

export const roleObservation = z.strictObject({
  arn: z.string(),
  serviceAccount: z.string(),
  status: z.enum(['ok', 'warn', 'unknown', 'fail']),
  findings: z.array(z.string()),
  subject: z.string().optional(),
  audience: z.string().optional(),
  assumedRoleArn: z.string().optional(),
});

export const rolesObservations = z.strictObject({ roles: z.array(roleObservation) });

export type RoleObservation = z.output<typeof roleObservation>;
export type RolesObservations = z.output<typeof rolesObservations>;
