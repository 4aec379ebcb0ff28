// The cloudtrail probe's finding codes: severity, title, remediation and the evidence each carries. Codes are stable API.
import { z } from 'zod';
import { findingMaker } from '../../src/core/findings.ts';
import type { FindingTable } from '../../src/core/findings.ts';
import { CHANGE_EVENT_NAMES } from '../shared/trail/changes.ts';

const publicAccessBlock = z.strictObject({
  BlockPublicAcls: z.boolean().optional(),
  IgnorePublicAcls: z.boolean().optional(),
  BlockPublicPolicy: z.boolean().optional(),
  RestrictPublicBuckets: z.boolean().optional(),
});
/** A region whose scan failed, and the AWS error behind it. */
const scanFailure = z.strictObject({ region: z.string(), awsError: z.string().optional() });

export const CLOUDTRAIL_FINDINGS = {
  ASSUME_FAILURES_RECENT: {
    severity: 'warn',
    title: 'AssumeRoleWithWebIdentity calls failed recently',
    remediation:
      "Pods of the cluster are failing to get credentials (grouped by role, subject and AWS error code). AccessDenied means the role's trust policy does not admit the service account or audience; see the roles probe for the role's own assume test. Note that CloudTrail does not log \"Couldn't retrieve verification key\" failures: the issuer and bucket probes watch those.",
    evidence: z.strictObject({
      errorCode: z.string().optional(),
      count: z.number(),
      newest: z.string(),
      oldest: z.string(),
      /** Failures of the whole cluster in the window. */
      clusterFailures: z.number(),
      subject: z.string().optional(),
      errorMessage: z.string().optional(),
    }),
  },
  BUCKET_POLICY_CHANGED_BY: {
    severity: 'info',
    title: "Someone changed the OIDC bucket's policy or Block Public Access",
    remediation:
      "CloudTrail recorded a change to the bucket that serves the issuer, or to the account's Block Public Access, naming who made it, when and from where. If the bucket probe fails at the same time, this change is the likely cause: ask its author, and revert it (or move the issuer behind CloudFront if the bucket must be private).",
    evidence: z.strictObject({
      eventName: z.enum(CHANGE_EVENT_NAMES),
      eventId: z.string(),
      time: z.string(),
      region: z.string(),
      actor: z.string(),
      sessionIssuer: z.string().optional(),
      sourceIp: z.string().optional(),
      userAgent: z.string().optional(),
      /** "<Effect> <Sid or #index>" per statement of a put policy. */
      statements: z.array(z.string()).optional(),
      /** The put policy as CloudTrail recorded it (requestParameters.bucketPolicy). */
      policy: z.unknown().optional(),
      publicAccessBlock: publicAccessBlock.optional(),
      /** A put policy that denies STS (or the distribution) the issuer documents, as the evaluator judges it. */
      denies: z
        .strictObject({ documents: z.array(z.string()), reason: z.string(), statement: z.string().optional() })
        .optional(),
    }),
  },
  CLOUDTRAIL_THROTTLED: {
    severity: 'unknown',
    title: 'CloudTrail throttled the scan',
    remediation:
      'LookupEvents allows two calls a second per account and region, shared with every other tool that calls it. The agent backs off and tries again next run; if this persists, find the other callers or lower probes.cloudtrail.maxPages.',
    evidence: scanFailure,
  },
  CLOUDTRAIL_UNAVAILABLE: {
    severity: 'unknown',
    title: 'CloudTrail could not be scanned',
    remediation:
      'LookupEvents failed for a reason other than throttling (network, service error, or missing permission cloudtrail:LookupEvents, named in the finding). Grant the permission (config/iam-policy.json) and check the agent reaches the CloudTrail endpoint of the region.',
    evidence: scanFailure,
  },
  CLOUDTRAIL_INCOMPLETE: {
    severity: 'info',
    title: 'The CloudTrail scan did not see every event',
    remediation:
      'A scan reached its budget (probes.cloudtrail.maxPages calls, or 50 s) before CloudTrail ran out of events, so part of the window (evidence.unread) is not read yet; counts are then lower bounds. Each scan reads what is new first and then fills the unread part, so it shrinks on its own unless the account logs more AssumeRoleWithWebIdentity events than LookupEvents can return (two calls of 50 events a second). For a busy account raise maxPages or lower windowMinutes.',
    evidence: z.strictObject({
      regions: z.array(z.string()),
      maxPages: z.number(),
      unread: z.array(z.strictObject({ region: z.string(), from: z.string(), to: z.string() })),
    }),
  },
} satisfies FindingTable;

export const finding = findingMaker(CLOUDTRAIL_FINDINGS);
