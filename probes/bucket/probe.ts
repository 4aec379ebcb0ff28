// The bucket probe: reads the OIDC bucket's policy, policy status, Block Public Access (bucket and account) and ACL,
// predicts with its own evaluator whether STS (an anonymous internet caller, or the CloudFront distribution in front
// of a private bucket) may read the two issuer documents, names what denies or blocks, diffs the policy against the
// last run, and confirms the prediction with anonymous GETs of the documents.
import { declared } from '../../src/core/probe.ts';
import { bucketProbe as declaration } from './index.ts';
import { finding } from './findings.ts';
import { isCredentialError } from '../../src/clients/aws-credential-errors.ts';
import { sharedFinding } from '../shared/findings.ts';
import type { BucketProbeSettings } from './settings.ts';
import type { Finding } from '../../src/core/model.ts';
import type { Probe, ProbeContext } from '../../src/core/probe.ts';
import { canonical, policyDiff } from './diff.ts';
import { evaluateRead } from '../shared/s3-read/eval.ts';
import type { ReadVerdict, Reader } from '../shared/s3-read/eval.ts';
import { readBucket } from './facts.ts';
import { lockedOutActions, lockedOutVerdicts, lockoutFinding } from './lockout.ts';
import type { BucketRead } from './facts.ts';
import { confirmReads, documentsOf, readersOf, verdictFindings } from './verdicts.ts';
import type { Prediction } from './verdicts.ts';

/**
 * A read the agent could not make is `unknown`, unless the bucket's own policy refused it (lockout.ts); reads AWS
 * refused for the agent's own credentials (expired, unknown, clock off) are one finding that says so.
 */
function unknownFindings(read: BucketRead, bucket: string, lockedOut: string[]): Finding[] {
  const unreadable = read.unreadable.filter((u) => !lockedOut.includes(u.action));
  const rejected = unreadable.filter((u) => isCredentialError(u.awsError));
  const [first] = rejected;
  const out = first
    ? [
        sharedFinding(
          'AWS_CREDENTIALS_REJECTED',
          `AWS refused the agent's own credentials reading ${bucket} (${first.awsError}: ${first.message}): ${rejected.map((u) => u.action).join(', ')} not read.`,
          { subject: bucket, evidence: { action: first.action, awsError: first.awsError, awsMessage: first.message } },
        ),
      ]
    : [];
  out.push(
    ...unreadable
      .filter((u) => !rejected.includes(u))
      .map((u) =>
        finding('BUCKET_ACCESS_UNKNOWN', `The agent could not call ${u.action} on ${bucket}: ${u.awsError}.`, {
          subject: bucket,
          evidence: { action: u.action, awsError: u.awsError, awsMessage: u.message },
        }),
      ),
  );
  if (read.policyError !== undefined)
    out.push(
      finding('BUCKET_ACCESS_UNKNOWN', `The bucket policy of ${bucket} is not JSON: ${read.policyError}.`, {
        subject: bucket,
      }),
    );
  return out;
}

function changedFinding(ctx: ProbeContext, read: BucketRead, bucket: string): Finding | undefined {
  const prev = ctx.previous?.observations;
  if (prev === undefined || !('policy' in prev) || read.unreadable.some((u) => u.action === 's3:GetBucketPolicy'))
    return undefined;
  const before: unknown = prev.policy ?? undefined;
  const diff = policyDiff(before, read.facts.policy);
  if (diff === undefined) return undefined;
  return finding('BUCKET_POLICY_CHANGED', `The policy of ${bucket} changed since the last run:\n${diff.text}`, {
    subject: bucket,
    evidence: { added: diff.added, removed: diff.removed, changed: diff.changed, diff: diff.text },
  });
}

/** The verdict of every (reader, document) pair, in order. */
function predict(read: BucketRead, readers: Reader[], keys: string[]): Prediction[] {
  return keys.flatMap((key) =>
    readers.map((reader) => ({ key, reader, verdict: evaluateRead(read.facts, key, reader) })),
  );
}

const allowedByAny = (p: Prediction[], key: string): boolean => p.some((x) => x.key === key && x.verdict.allowed);

export function createBucketProbe(settings: BucketProbeSettings): Probe {
  return {
    ...declared(declaration),
    async run(cluster, ctx) {
      const { aws } = ctx;
      const bucket = cluster.bucket;
      if (!aws || !bucket)
        return { findings: [finding('BUCKET_ACCESS_UNKNOWN', 'The cluster names no bucket or no AWS account.')] };
      const read = await readBucket(aws, bucket, ctx.signal);
      const observations: Record<string, unknown> = {
        bucket: bucket.name,
        topology: cluster.cloudfront ? 'cloudfront' : 's3',
        ...(read.isPublic !== undefined && { isPublic: read.isPublic }),
        ...(read.facts.bucketBlock && { bucketPublicAccessBlock: read.facts.bucketBlock }),
        ...(read.facts.accountBlock && { accountPublicAccessBlock: read.facts.accountBlock }),
      };
      if (!read.unreadable.some((u) => u.action === 's3:GetBucketPolicy'))
        observations.policy = read.facts.policy ?? null;
      if (read.bucketMissing)
        return {
          findings: [
            finding('BUCKET_NOT_FOUND', `The bucket ${bucket.name} does not exist.`, { subject: bucket.name }),
          ],
          observations,
        };
      const lockedOut = lockedOutActions(read);
      const findings = unknownFindings(read, bucket.name, lockedOut);
      if (lockedOut.length > 0) findings.push(lockoutFinding(bucket.name, lockedOut, read));
      const changed = changedFinding(ctx, read, bucket.name);
      if (changed) findings.push(changed);
      const documents = await documentsOf(cluster, ctx, settings.confirm);
      const readers = readersOf(cluster, read.facts.policy);
      // Without the policy and the settings a verdict would be a guess: the reads above are `unknown` instead. Locked
      // out by the policy itself, the agent judges the policy as CloudTrail recorded it.
      if (read.unreadable.length > 0 || read.policyError !== undefined) {
        if (lockedOut.length > 0 && read.policyError === undefined)
          findings.push(...(await lockedOutVerdicts(cluster, aws, read, documents, ctx.signal)));
        return { findings, observations };
      }
      let predictions: Prediction[];
      try {
        predictions = predict(
          read,
          readers,
          documents.map((d) => d.key),
        );
      } catch (err) {
        findings.push(
          finding('BUCKET_ACCESS_UNKNOWN', `The bucket policy cannot be evaluated: ${(err as Error).message}`),
        );
        return { findings, observations };
      }
      observations.verdicts = predictions.map((p) => ({ key: p.key, reader: p.reader.kind, ...summary(p.verdict) }));
      findings.push(...verdictFindings(cluster, predictions, read));
      findings.push(...confirmReads(documents, (key) => allowedByAny(predictions, key), read, canonical));
      return { findings, observations };
    },
  };
}

const summary = (v: ReadVerdict) => ({
  allowed: v.allowed,
  reason: v.reason,
  ...(v.statement && { statement: v.statement.sid ?? `#${v.statement.index}` }),
  ...(v.blockedBy && { blockedBy: v.blockedBy }),
});
