// A probe's observations read back from a stored result, typed as the probe declares them
// (probes/<name>/observations.ts; a test checks every probe's output against its declaration).
import type { BucketObservations } from '../probes/bucket/index.ts';
import type { CloudTrailObservations } from '../probes/cloudtrail/index.ts';
import type { IssuerObservations } from '../probes/issuer/index.ts';
import type { JwksObservations } from '../probes/jwks/index.ts';
import type { RolesObservations } from '../probes/roles/index.ts';
import type { ProbeName, ProbeResult } from './core/model.ts';

export interface ObservationsByProbe {
  issuer: IssuerObservations;
  jwks: JwksObservations;
  bucket: BucketObservations;
  cloudtrail: CloudTrailObservations;
  roles: RolesObservations;
}

/** The observations of `probe`'s result among `results`, if it ran and kept some. */
export function observationsOf<P extends ProbeName>(
  results: readonly ProbeResult[],
  probe: P,
): Partial<ObservationsByProbe[P]> | undefined {
  return results.find((r) => r.probe === probe)?.observations as Partial<ObservationsByProbe[P]> | undefined;
}
