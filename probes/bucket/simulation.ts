// The what-if's answer and its errors (the code behind it is simulate.ts, loaded on demand).
import type { Finding } from '../../src/core/model.ts';
import type { BlockLevel } from '../shared/s3-read/public.ts';

export const SIMULATION_ERROR_CODES = [
  /** The proposed policy is not JSON or not a policy the evaluator can read. */
  'BUCKET_POLICY_INVALID',
  /** The cluster has no S3 bucket or no AWS account to read it with. */
  'BUCKET_NOT_APPLICABLE',
  /** The bucket's live settings could not be read (missing permission, no such bucket). */
  'BUCKET_ACCESS_UNKNOWN',
] as const;

export class SimulationError extends Error {
  readonly code: (typeof SIMULATION_ERROR_CODES)[number];
  constructor(code: SimulationError['code'], message: string) {
    super(message);
    this.name = 'SimulationError';
    this.code = code;
  }
}

export interface PolicySimulation {
  cluster: string;
  bucket: string;
  /** True when the issuer documents would no longer be readable by STS (or the distribution). */
  wouldBreak: boolean;
  /** S3 would refuse the PutBucketPolicy itself: the policy is public and BlockPublicPolicy is on. */
  refusedByBlockPublicPolicy?: { level: BlockLevel };
  documents: { key: string; allowed: boolean; reason: string; message: string; statement?: string }[];
  /** What the bucket probe would report once the policy is in place. */
  findings: Finding[];
  /** Against the current policy (`+`/`-`/`~` lines); absent when they are the same. */
  diff?: string;
}
