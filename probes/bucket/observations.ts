// What the bucket probe keeps of a run: the policy (diffed against the next run's), Block Public Access at both
// levels, S3's own publicness verdict and the evaluator's verdict per (document, reader).
import { z } from 'zod';
import { publicAccessBlock } from './findings.ts';

export const bucketObservations = z.strictObject({
  bucket: z.string(),
  topology: z.enum(['s3', 'cloudfront']),
  isPublic: z.boolean().optional(),
  bucketPublicAccessBlock: publicAccessBlock.optional(),
  accountPublicAccessBlock: publicAccessBlock.optional(),
  /** The bucket policy as parsed JSON, null when there is none; absent when it could not be read. */
  policy: z.unknown().optional(),
  verdicts: z
    .array(
      z.strictObject({
        key: z.string(),
        reader: z.string(),
        allowed: z.boolean(),
        reason: z.string(),
        statement: z.string().optional(),
        blockedBy: z.strictObject({ level: z.string(), levels: z.array(z.string()), setting: z.string() }).optional(),
      }),
    )
    .optional(),
});

export type BucketObservations = z.output<typeof bucketObservations>;
