// A cluster's CloudFront front (`clusters[].cloudfront`) and an account's fleet discovery (`accounts[].discover`).
// Each probe's own settings are declared by the probe (probes/<name>/settings.ts).
import { z } from 'zod';
import { cronExpression } from './cron.ts';
import { PROBE_NAMES } from '../core/model.ts';
import { REGION_PATTERN } from './issuer-url.ts';

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
    cron: cronExpression
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
