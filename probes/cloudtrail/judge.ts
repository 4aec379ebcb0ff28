// Whether a recorded PutBucketPolicy leaves the issuer documents readable by STS (or by the CloudFront distribution
// in front of a private bucket), judged by the probes' own evaluator from the policy alone: the record carries the
// whole policy (docs/aws-facts.md 3.3), not the Block Public Access in force, which the bucket probe judges.
import type { ClusterConfig } from '../../src/core/cluster.ts';
import { issuerDocuments } from '../shared/s3-read/documents.ts';
import { evaluateRead } from '../shared/s3-read/eval.ts';
import { readersOf } from '../shared/s3-read/readers.ts';

export interface PolicyJudgement {
  /** Documents the policy keeps STS (or the distribution) from reading. */
  documents: string[];
  /** The statement that denies (Sid or #index), or why nothing grants the read. */
  statement?: string;
  reason: string;
  /** The evaluator's sentence for the first denied read. */
  message: string;
}

/** What a recorded policy does to the cluster's issuer documents; undefined when it leaves them readable. */
export function judgePolicy(cluster: ClusterConfig, accountId: string, policy: unknown): PolicyJudgement | undefined {
  if (cluster.bucket === undefined) return undefined;
  const facts = { bucket: cluster.bucket.name, ownerAccountId: accountId, region: cluster.bucket.region, policy };
  const readers = readersOf(cluster, policy);
  const denied = issuerDocuments(cluster).flatMap((d) => {
    if (readers.length === 0) return [];
    try {
      const verdicts = readers.map((reader) => evaluateRead(facts, d.key, reader));
      const first = verdicts.find((v) => !v.allowed);
      return verdicts.some((v) => v.allowed) || first === undefined ? [] : [{ key: d.key, verdict: first }];
    } catch {
      return []; // a policy the evaluator cannot read: the bucket probe reports it
    }
  });
  const first = denied[0];
  if (first === undefined) return undefined;
  const s = first.verdict.statement;
  return {
    documents: denied.map((d) => d.key),
    ...(s && { statement: s.sid ?? `#${s.index}` }),
    reason: first.verdict.reason,
    message: first.verdict.message,
  };
}
