// Settings of the bucket and cloudtrail probes, and a cluster's CloudFront front (the config file's `probes.bucket`,
// `probes.cloudtrail` and `clusters[].cloudfront`). The issuer probe's settings stay with the main schema.
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { PROBE_NAMES } from '../model.ts';
import { REGION_PATTERN } from './issuer-url.ts';

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
      .describe('LookupEvents pages (50 events each) one scan of one event name may read. Default 200.'),
  })
  .prefault({})
  .describe(
    'The cloudtrail probe: one scan per account and region serves every cluster there, at most two LookupEvents calls a second.',
  );

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

const distributionArn = z
  .string()
  .regex(/^arn:aws:cloudfront::\d{12}:distribution\/[A-Z0-9]+$/, 'must be a CloudFront distribution ARN');
const oaiArn = z
  .string()
  .regex(
    /^arn:aws:iam::cloudfront:user\/CloudFront Origin Access Identity [A-Z0-9]+$/,
    'must be an origin access identity ARN (arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <ID>)',
  );

export const cloudfront = z
  .strictObject({
    originAccessIdentity: oaiArn
      .optional()
      .describe('The OAI the distribution reads the bucket as (ccoctl --create-private-s3-bucket makes one).'),
    distributionArn: distributionArn
      .optional()
      .describe('The distribution, for an origin access control (OAC) grant to cloudfront.amazonaws.com.'),
  })
  .optional()
  .describe(
    'The issuer is a CloudFront distribution in front of a private bucket (give `bucket` too). The bucket probe then checks that the bucket admits the distribution. Default: any OAI or OAC grant in the bucket policy is taken as the distribution.',
  );

const DISCOVERED_PROBES = ['issuer', 'jwks', 'bucket', 'cloudtrail'] as const;

export const discover = z
  .strictObject({
    cron: z
      .string()
      .refine((s) => validCron(s), 'is not a valid cron expression (node-cron: 5 fields, or 6 with seconds first)')
      .default('*/30 * * * *')
      .describe('When the IAM OIDC providers are listed again. Default "*/30 * * * *" (every 30 minutes).'),
    region: z
      .string()
      .regex(REGION_PATTERN, 'must be an AWS region code like us-east-1')
      .default('us-east-1')
      .describe('Region of a discovered issuer whose URL names none (not an S3 or EKS issuer). Default us-east-1.'),
    probes: z
      .array(z.enum(PROBE_NAMES))
      .min(1)
      .default([...DISCOVERED_PROBES])
      .describe(
        `Probes run for discovered clusters. Default [${DISCOVERED_PROBES.join(', ')}] (roles need kube access).`,
      ),
  })
  .optional()
  .describe(
    "Discover the account's clusters: every IAM OIDC provider becomes a monitored issuer, named by ccoctl's openshift.io/cloud-credential-operator/<name> tag or the EKS cluster id. Clusters configured by hand (same issuer) take precedence.",
  );
