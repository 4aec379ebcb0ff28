// The probe registry: which probes the agent runs, built from the configuration. No probe imports another.
import type { AgentConfig } from '../src/config/types.ts';
import type { Probe, ProbeName } from '../src/model.ts';
import { createBucketProbe } from './bucket/index.ts';
import { createCloudTrailProbe } from './cloudtrail/index.ts';
import { createIssuerProbe } from './issuer/index.ts';
import { createJwksProbe } from './jwks/index.ts';
import { createRolesProbe } from './roles/index.ts';

export function createProbes(config: Pick<AgentConfig, 'probes'>): Partial<Record<ProbeName, Probe>> {
  return {
    issuer: createIssuerProbe(config.probes.issuer),
    jwks: createJwksProbe(),
    bucket: createBucketProbe(config.probes.bucket),
    cloudtrail: createCloudTrailProbe(config.probes.cloudtrail),
    roles: createRolesProbe(),
  };
}
