// The bucket probe's settings (`probes.bucket` in the config file), with their defaults.
import { z } from 'zod';

export const bucketSettings = z
  .strictObject({
    confirm: z
      .boolean()
      .default(true)
      .describe(
        "Confirm the evaluator's verdict with an anonymous GET of the issuer documents (a disagreement is BUCKET_PREDICTION_MISMATCH). Default true.",
      ),
  })
  .prefault({})
  .describe('The bucket probe.');

export type BucketProbeSettings = z.output<typeof bucketSettings>;
