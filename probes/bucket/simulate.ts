// What-if for a proposed bucket policy: with the bucket's live Block Public Access (bucket and account) and the
// proposed policy in place of the current one, would STS (or the CloudFront distribution) still read the issuer
// documents, and would S3 even accept the policy? The same evaluator and findings as the bucket probe; nothing is put.
import type { AwsClients } from '../../src/clients/aws.ts';
import type { ClusterConfig } from '../../src/core/cluster.ts';
import { policyDiff } from './diff.ts';
import { blockedByBlockPublicPolicy, evaluateRead, PolicyParseError } from '../shared/s3-read/eval.ts';
import type { BlockLevel } from '../shared/s3-read/eval.ts';
import { readBucket } from './facts.ts';
import { issuerDocuments, readersOf, verdictFindings } from './verdicts.ts';
import type { Prediction } from './verdicts.ts';
import { SimulationError } from './simulation.ts';
import type { PolicySimulation } from './simulation.ts';

export { SimulationError };
export type { PolicySimulation };

function parsed(text: string): unknown {
  try {
    const doc = JSON.parse(text) as unknown;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('it is not a JSON object');
    return doc;
  } catch (err) {
    throw new SimulationError(
      'BUCKET_POLICY_INVALID',
      `The proposed policy is not a JSON object: ${(err as Error).message}`,
    );
  }
}

export async function simulateBucketPolicy(
  cluster: ClusterConfig,
  aws: AwsClients | undefined,
  policyText: string,
  signal: AbortSignal,
): Promise<PolicySimulation> {
  const proposed = parsed(policyText);
  if (!cluster.bucket || !aws)
    throw new SimulationError('BUCKET_NOT_APPLICABLE', `Cluster ${cluster.name} has no S3 bucket or no AWS account.`);
  const read = await readBucket(aws, cluster.bucket, signal);
  const blocking = read.unreadable.filter((u) => u.action !== 's3:GetBucketPolicy' && u.action !== 's3:GetBucketAcl');
  if (read.bucketMissing || blocking.length > 0)
    throw new SimulationError(
      'BUCKET_ACCESS_UNKNOWN',
      read.bucketMissing
        ? `The bucket ${cluster.bucket.name} does not exist.`
        : `The bucket's settings could not be read: ${blocking.map((u) => `${u.action} (${u.awsError})`).join(', ')}.`,
    );
  const facts = { ...read.facts, policy: proposed };
  let predictions: Prediction[];
  let refused: { level: BlockLevel } | undefined;
  try {
    const readers = readersOf(cluster, proposed);
    predictions = issuerDocuments(cluster).flatMap((d) =>
      readers.map((reader) => ({ key: d.key, reader, verdict: evaluateRead(facts, d.key, reader) })),
    );
    const invalid = predictions.find((p) => p.verdict.reason === 'policy-invalid');
    if (invalid) throw new SimulationError('BUCKET_POLICY_INVALID', invalid.verdict.message);
    const block = blockedByBlockPublicPolicy(facts, proposed);
    refused = block && { level: block.level };
  } catch (err) {
    if (err instanceof PolicyParseError) throw new SimulationError('BUCKET_POLICY_INVALID', err.message);
    throw err;
  }
  const keys = [...new Set(predictions.map((p) => p.key))];
  const documents = keys.map((key) => {
    const mine = predictions.filter((p) => p.key === key);
    const v = (mine.find((p) => p.verdict.allowed) ?? mine[0])?.verdict;
    return {
      key,
      allowed: v?.allowed ?? false,
      reason: v?.reason ?? 'no-grant',
      message: v?.message ?? 'No identity of the distribution is granted by the policy.',
      ...(v?.statement && { statement: v.statement.sid ?? `#${v.statement.index}` }),
    };
  });
  const diff = read.unreadable.some((u) => u.action === 's3:GetBucketPolicy')
    ? undefined
    : policyDiff(read.facts.policy, proposed)?.text;
  return {
    cluster: cluster.name,
    bucket: cluster.bucket.name,
    wouldBreak: documents.some((d) => !d.allowed),
    ...(refused && { refusedByBlockPublicPolicy: refused }),
    documents,
    findings: verdictFindings(cluster, predictions, { ...read, facts }),
    ...(diff !== undefined && { diff }),
  };
}
