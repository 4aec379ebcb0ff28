// The bucket probe's finding codes: severity, title, remediation and the evidence each carries. Codes are stable API.
import { z } from 'zod';
import { findingMaker, noEvidence } from '../../src/core/findings.ts';
import type { FindingTable } from '../../src/core/findings.ts';

const blockLevel = z.enum(['bucket', 'account']);
export const publicAccessBlock = z.strictObject({
  BlockPublicAcls: z.boolean().optional(),
  IgnorePublicAcls: z.boolean().optional(),
  BlockPublicPolicy: z.boolean().optional(),
  RestrictPublicBuckets: z.boolean().optional(),
});
/** The statement behind a verdict: its Sid (or #index), effect and condition. */
const statementRef = z.strictObject({
  statement: z.string(),
  effect: z.enum(['Allow', 'Deny']),
  /** The statement's Condition block as written. */
  condition: z.unknown().optional(),
});
/** Who reads the documents: STS (anonymous, from the internet) or the CloudFront distribution in front. */
const reader = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('anonymous'),
    sourceIp: z.string().optional(),
    sourceVpce: z.string().optional(),
    sourceVpc: z.string().optional(),
    secureTransport: z.boolean().optional(),
  }),
  z.strictObject({ kind: z.literal('cloudfront-oai'), oaiArn: z.string() }),
  z.strictObject({ kind: z.literal('cloudfront-oac'), distributionArn: z.string() }),
]);
/** A verdict on the issuer documents: which, why, and the statement that decided. */
const readVerdict = statementRef.partial().extend({
  documents: z.array(z.string()),
  reason: z.enum(['allowed-by-policy', 'explicit-deny', 'public-access-blocked', 'no-grant', 'policy-invalid']),
  /**
   * Where the policy behind the verdict came from when the agent could not read it: the newest PutBucketPolicy or
   * DeleteBucketPolicy record in CloudTrail, or `inferred` from refused anonymous GETs and the agent's own lockout.
   */
  source: z
    .strictObject({
      kind: z.enum(['cloudtrail', 'inferred']),
      eventId: z.string().optional(),
      eventName: z.enum(['PutBucketPolicy', 'DeleteBucketPolicy']).optional(),
      time: z.string().optional(),
      actor: z.string().optional(),
    })
    .optional(),
});

export const BUCKET_FINDINGS = {
  BUCKET_ANONYMOUS_READ_DENIED: {
    severity: 'fail',
    title: 'The bucket policy denies anonymous reads of the issuer documents',
    remediation:
      'STS reads the discovery document and keys.json anonymously from the internet, never through your VPC endpoint or VPC. Remove the statement named in the finding (a Deny unless aws:SourceVpce, aws:SourceVpc or aws:SourceIp also denies STS), or exclude the two issuer objects from it. To keep the bucket private, serve the issuer through CloudFront (ccoctl --create-private-s3-bucket). Check a new policy first with `irsa-sentinel check-policy`.',
    evidence: readVerdict,
  },
  BUCKET_PUBLIC_ACCESS_BLOCKED: {
    severity: 'fail',
    title: 'Block Public Access voids the public read of the issuer documents',
    remediation:
      "RestrictPublicBuckets (at the bucket or the account level; the most restrictive wins) limits a public bucket policy to the bucket owner's account, so STS gets AccessDenied. Turn it off for the OIDC bucket (ccoctl sets BlockPublicAcls and IgnorePublicAcls only) or, if your organisation requires it on, move the issuer behind CloudFront with a private bucket (ccoctl --create-private-s3-bucket).",
    evidence: readVerdict.extend({
      level: blockLevel,
      levels: z.array(blockLevel),
      setting: z.literal('RestrictPublicBuckets'),
    }),
  },
  BUCKET_POLICY_MISSING: {
    severity: 'fail',
    title: 'The OIDC bucket has no policy that grants anonymous reads',
    remediation:
      'Without a bucket policy nothing lets STS read the issuer documents (ACLs are disabled on new buckets). Put back ccoctl\'s policy: Allow, Principal "*", s3:GetObject on arn:aws:s3:::<bucket>/* (Sid AllowReadPublicAccess).',
    evidence: readVerdict,
  },
  BUCKET_POLICY_CHANGED: {
    severity: 'warn',
    title: 'The OIDC bucket policy changed since the last run',
    remediation:
      'Someone changed the policy of the bucket that serves the issuer. Review the diff in the finding; the cloudtrail probe names who did it (BUCKET_POLICY_CHANGED_BY). If the change was intended and the issuer is still readable, nothing else is needed.',
    evidence: z.strictObject({
      added: z.array(z.string()),
      removed: z.array(z.string()),
      changed: z.array(z.strictObject({ sid: z.string(), before: z.string(), after: z.string() })),
      diff: z.string(),
    }),
  },
  BUCKET_ACCESS_UNKNOWN: {
    severity: 'unknown',
    title: "The bucket's policy or settings could not be read",
    remediation:
      "The agent could not make the read named in the finding. If the agent's identity lacks it, grant the read-only actions config/iam-policy.json lists (s3:GetBucketPolicy, s3:GetBucketPolicyStatus, s3:GetBucketPublicAccessBlock, s3:GetAccountPublicAccessBlock, s3:GetBucketAcl). A bare 'Access Denied' can also be the bucket policy refusing the agent (an agent in another account gets no more detail); S3 names a bucket policy Deny in its message to callers of the owner account, and the probe then reports BUCKET_POLICY_LOCKS_OUT_AGENT instead.",
    evidence: z.union([
      z.strictObject({ action: z.string(), awsError: z.string(), awsMessage: z.string() }),
      readVerdict,
    ]),
  },
  BUCKET_PREDICTION_MISMATCH: {
    severity: 'warn',
    title: "The anonymous GET disagrees with the evaluator's verdict",
    remediation:
      "The agent's reading of the bucket policy and Block Public Access predicted one answer and S3 gave another, so a rule it does not model is in play (an SCP or resource control policy, an access point, a new S3 setting). Trust the observed answer (the issuer probe measures it too) and please report the policy in the finding's evidence.",
    evidence: z.strictObject({
      url: z.string(),
      key: z.string(),
      predicted: z.enum(['allowed', 'denied']),
      observedStatus: z.number(),
      /** The policy, canonical JSON text, or null for none. */
      policy: z.string().nullable(),
      bucketPublicAccessBlock: publicAccessBlock.nullable(),
      accountPublicAccessBlock: publicAccessBlock.nullable(),
    }),
  },
  BUCKET_ORIGIN_ACCESS_DENIED: {
    severity: 'fail',
    title: 'The private bucket does not admit the CloudFront distribution',
    remediation:
      'With a CloudFront issuer the bucket stays private and its policy must allow s3:GetObject to the distribution: the origin access identity (Principal {"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <ID>"}, as ccoctl --create-private-s3-bucket writes it) or, with origin access control, Principal {"Service": "cloudfront.amazonaws.com"} with AWS:SourceArn of the distribution. Put the grant back.',
    evidence: statementRef.partial().extend({
      documents: z.array(z.string()),
      readers: z.array(reader),
    }),
  },
  BUCKET_NOT_FOUND: {
    severity: 'fail',
    title: 'The OIDC bucket does not exist',
    remediation:
      "The bucket named by the issuer URL (or the cluster's bucket setting) is gone, so the issuer documents are too. Recreate it and upload the discovery document and keys.json (ccoctl create-identity-provider), or fix the bucket setting.",
    evidence: noEvidence,
  },
  BUCKET_POLICY_LOCKS_OUT_AGENT: {
    severity: 'warn',
    title: "The bucket policy denies the agent's own reads of the bucket",
    remediation:
      "A Deny in the bucket policy refuses the agent's reads of the bucket's settings (S3 names the bucket policy in its message). The agent's IAM permissions are fine: granting more changes nothing. The usual cause is AWS's VPC-endpoint restriction (Deny s3:* unless aws:SourceVpce), which also denies STS's anonymous reads of the issuer documents: scope the Deny to what it means to protect, leaving s3:GetObject of the two issuer documents public, or serve the issuer through CloudFront (ccoctl --create-private-s3-bucket). To let the agent read the settings, exempt its role from the Deny with a condition on aws:PrincipalArn (e.g. ArnNotEquals aws:PrincipalArn <agent role ARN>). If the policy locks your administrators out too, the bucket owner account's root user can always call GetBucketPolicy, PutBucketPolicy and DeleteBucketPolicy. Meanwhile the probe judges the policy as CloudTrail recorded it.",
    evidence: z.strictObject({ actions: z.array(z.string()), awsMessage: z.string() }),
  },
} satisfies FindingTable;

export const finding = findingMaker(BUCKET_FINDINGS);
