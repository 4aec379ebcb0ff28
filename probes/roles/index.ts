// The roles probe (per-role assume tests): every role is assumed with a fresh token of its service account, as the
// pods do, and its trust policy is read.
import { defineProbe } from '../../src/core/probe.ts';
import { ROLES_FINDINGS } from './findings.ts';
import { rolesObservations } from './observations.ts';

export const rolesProbe = defineProbe({
  name: 'roles',
  description:
    'Assumes every role with a fresh token of its service account, as the pods do, and reads its trust policy.',
  schedule: { cron: '*/15 * * * *', every: 'every 15 minutes', timeoutMs: 60_000 },
  settings: undefined,
  findings: ROLES_FINDINGS,
  observations: rolesObservations,
  awsActions: ['iam:GetRole'],
  load: async () => (await import('./probe.ts')).createRolesProbe,
});

export type { RoleObservation, RolesObservations } from './observations.ts';
