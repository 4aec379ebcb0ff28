// When the bucket policy locks the agent out. AWS's documented VPC-endpoint restriction (one Deny on s3:* unless
// aws:SourceVpce) denies STS and also every same-account principal outside the endpoint, the agent's own reads of the
// bucket's settings included; S3 then says so in its enhanced access-denied message (docs/aws-facts.md 4.4). The policy is
// still known: CloudTrail's PutBucketPolicy record carries it whole (docs/aws-facts.md 3.3, 4.4), from the same shared scan
// the cloudtrail probe reads (probes/shared/trail/changes.ts).
import type { AwsClients } from '../../src/clients/aws.ts';
import { TrailError } from '../../src/clients/trail.ts';
import type { ClusterConfig } from '../../src/core/cluster.ts';
import type { Finding } from '../../src/core/model.ts';
import { evaluateRead } from '../shared/s3-read/eval.ts';
import type { IssuerDocument } from '../shared/s3-read/documents.ts';
import { changeQuery } from '../shared/trail/changes.ts';
import type { BucketChangeEvent } from '../shared/trail/changes.ts';
import type { BucketRead } from './facts.ts';
import { finding } from './findings.ts';
import { readersOf, verdictFindings } from './verdicts.ts';

/** S3's context for a same-account caller that a bucket policy Deny refused (docs/aws-facts.md 4.4). */
const DENIED_BY_BUCKET_POLICY = /with an explicit deny in a resource-based policy/;

/** The reads of the bucket's settings that its own policy refused the agent, by their enhanced message. */
export const lockedOutActions = (read: BucketRead): string[] =>
  read.unreadable.filter((u) => DENIED_BY_BUCKET_POLICY.test(u.message)).map((u) => u.action);

export function lockoutFinding(bucket: string, actions: string[], read: BucketRead): Finding {
  const message = read.unreadable.find((u) => actions.includes(u.action))?.message ?? '';
  return finding(
    'BUCKET_POLICY_LOCKS_OUT_AGENT',
    `The policy of ${bucket} explicitly denies the agent ${actions.join(', ')}: the agent cannot read the bucket's settings, and a Deny that reaches the agent usually reaches STS too.`,
    { subject: bucket, evidence: { actions, awsMessage: message } },
  );
}

/** Where the policy a verdict rests on came from, when not from GetBucketPolicy. */
interface PolicySource {
  kind: 'cloudtrail';
  eventId: string;
  eventName: 'PutBucketPolicy' | 'DeleteBucketPolicy';
  time: string;
  actor: string;
}

export interface RecordedPolicy {
  /** The policy as put; undefined when the newest change deleted it. */
  policy: unknown;
  source: PolicySource;
}

const actorOf = (e: BucketChangeEvent): string => e.sessionIssuerArn ?? e.actorArn ?? e.actorType ?? 'unknown';

/**
 * The bucket's policy as its newest successful PutBucketPolicy or DeleteBucketPolicy in CloudTrail's window set it, or
 * undefined when the window holds none (or CloudTrail could not be read: the caller then says what it could establish).
 */
export async function recordedPolicy(
  aws: AwsClients,
  bucket: { name: string; region: string },
  signal: AbortSignal,
): Promise<RecordedPolicy | undefined> {
  const trail = aws.trail(bucket.region);
  const changes: BucketChangeEvent[] = [];
  try {
    for (const name of ['PutBucketPolicy', 'DeleteBucketPolicy'] as const)
      changes.push(...(await trail.window(changeQuery(name), signal)).items.map((i) => i.value));
  } catch (err) {
    if (err instanceof TrailError) return undefined;
    throw err;
  }
  const newest = changes
    .filter((e) => e.bucket === bucket.name && e.errorCode === undefined)
    .filter((e) => e.eventName === 'DeleteBucketPolicy' || e.policy !== undefined)
    .sort((a, b) => b.time.localeCompare(a.time))[0];
  if (newest === undefined) return undefined;
  const eventName = newest.eventName as PolicySource['eventName'];
  return {
    policy: eventName === 'PutBucketPolicy' ? newest.policy : undefined,
    source: { kind: 'cloudtrail', eventId: newest.eventId, eventName, time: newest.time, actor: actorOf(newest) },
  };
}

/**
 * Verdicts with the bucket's settings unreadable: the recorded policy judged by the evaluator, keeping only what it
 * decides whatever the unread settings are (a Deny, or no policy at all); with no record, what the agent could
 * establish: anonymous reads refused while the policy denies the agent too.
 */
export async function lockedOutVerdicts(
  cluster: ClusterConfig,
  aws: AwsClients,
  read: BucketRead,
  documents: IssuerDocument[],
  signal: AbortSignal,
): Promise<Finding[]> {
  const bucket = cluster.bucket!;
  const recorded = await recordedPolicy(aws, bucket, signal);
  if (recorded === undefined) return inferredDenial(cluster, documents, bucket.name);
  const facts = { ...read.facts, policy: recorded.policy };
  const readers = readersOf(cluster, recorded.policy);
  const decided = documents
    .flatMap((d) => readers.map((reader) => ({ key: d.key, reader, verdict: evaluateRead(facts, d.key, reader) })))
    .filter(
      (p) =>
        !p.verdict.allowed &&
        (p.verdict.reason === 'explicit-deny' || (p.verdict.reason === 'no-grant' && recorded.policy === undefined)),
    );
  return verdictFindings(cluster, decided, { ...read, facts }, recorded.source);
}

/** Anonymous GETs refused (403) while the policy denies the agent: the likely cause, though no record names it. */
function inferredDenial(cluster: ClusterConfig, documents: IssuerDocument[], bucket: string): Finding[] {
  const refused = documents.filter((d) => d.status === 403).map((d) => d.key);
  if (refused.length === 0) return [];
  const message = `Anonymous GETs of ${refused.join(' and ')} answer 403, and the policy of ${bucket} denies the agent's own reads too: most likely one Deny statement (such as AWS's VPC-endpoint restriction) covers STS as well. No PutBucketPolicy of ${bucket} in CloudTrail's window names it.`;
  const source = { kind: 'inferred' as const };
  if (cluster.cloudfront)
    return [
      finding('BUCKET_ORIGIN_ACCESS_DENIED', message, {
        subject: bucket,
        evidence: { documents: refused, readers: readersOf(cluster, undefined) },
      }),
    ];
  return [
    finding('BUCKET_ANONYMOUS_READ_DENIED', message, {
      subject: bucket,
      evidence: { documents: refused, reason: 'explicit-deny', source },
    }),
  ];
}
