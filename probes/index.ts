// The probe registry: every probe module, by name. The config schema, the finding table, docs/findings.md, the JSON
// Schema and the IAM policy check are built from these declarations; adding a probe is its folder and one line here.
// No probe imports another.
import type { z } from 'zod';
import type { Probe, ProbeModule } from '../src/core/probe.ts';
import type { ProbeName } from '../src/core/model.ts';
import { bucketProbe } from './bucket/index.ts';
import { cloudtrailProbe } from './cloudtrail/index.ts';
import { issuerProbe } from './issuer/index.ts';
import { jwksProbe } from './jwks/index.ts';
import { rolesProbe } from './roles/index.ts';

export const PROBES = {
  issuer: issuerProbe,
  jwks: jwksProbe,
  bucket: bucketProbe,
  cloudtrail: cloudtrailProbe,
  roles: rolesProbe,
} as const satisfies { [N in ProbeName]: ProbeModule<N> };

export type Probes = typeof PROBES;

/** The probes that have settings (`probes.<name>` in the config file). */
export type ProbesWithSettings = {
  [N in ProbeName]: Probes[N]['settings'] extends z.ZodType ? N : never;
}[ProbeName];

/** Every probe's settings, as the config holds them after defaults. */
export type ProbeSettings = { [N in ProbesWithSettings]: z.output<NonNullable<Probes[N]['settings']>> };

/** The probe modules in PROBE_NAMES order. */
export const probeModules = (): ProbeModule[] => Object.values(PROBES);

/** Loads every probe's code and builds it with its settings (`probes.<name>` of the config). */
export async function loadProbes(settings: ProbeSettings): Promise<Record<ProbeName, Probe>> {
  const entries = await Promise.all(
    probeModules().map(async (m) => {
      const create = await m.load();
      return [m.name, create((settings as Partial<Record<ProbeName, unknown>>)[m.name])] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<ProbeName, Probe>;
}
