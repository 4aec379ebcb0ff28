// Two independent readings of AWS's rules held against each other: every case of bucket-cases.ts is applied to a real
// lab bucket (as the lab user alice, through the AWS SDK), then each document is fetched anonymously over HTTPS and
// the lab's answer (200 or 403) must be the bucket probe's evaluator's (allowed or not). The lab's policy status and
// its BlockPublicPolicy refusals are held to the evaluator's "meaning of public" the same way.
import {
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketPolicyStatusCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { PublicAccessBlockConfiguration } from '@aws-sdk/client-s3';
import {
  PutPublicAccessBlockCommand as PutAccountPublicAccessBlockCommand,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blockedByBlockPublicPolicy, evaluateRead, policyPublicity } from '../../../../probes/shared/s3-read/eval.ts';
import type { BucketAccessFacts, PublicAccessBlockSettings } from '../../../../probes/shared/s3-read/eval.ts';
import type { Lab } from '../../../../src/lab/index.ts';
import { sdkConfig, startTestLab } from '../../../helpers/lab.ts';
import { CASES, expandReads, readerName } from './cases.ts';
import type { AnonymousReader, ReadCase, Where } from './cases.ts';

const CLUSTER = 'sentinel';
let lab: Lab;
let agent: Agent;
let s3: S3Client;
let s3control: S3ControlClient;
let where: Where;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
  agent = new Agent({ connect: { ca: lab.caPem } });
  s3 = new S3Client({ ...sdkConfig(lab, 'alice'), forcePathStyle: true });
  // S3 Control's endpoint rules put `{AccountId}.` in front of the host; the lab is one host (STACK.md section 5).
  s3control = new S3ControlClient({
    ...sdkConfig(lab, 'alice'),
    endpointProvider: () => ({ url: new URL(lab.endpoint) }),
  });
  const cluster = lab.info().clusters.find((c) => c.name === CLUSTER)!;
  where = { bucket: cluster.bucket, account: lab.info().accountId };
});
afterAll(async () => {
  s3?.destroy();
  s3control?.destroy();
  await agent?.close();
  await lab?.close();
});
afterEach(async () => {
  await lab.heal();
});

/** Settings left out are false, as S3 stores them. */
const full = (s: PublicAccessBlockSettings): PublicAccessBlockConfiguration => ({
  BlockPublicAcls: s.BlockPublicAcls ?? false,
  IgnorePublicAcls: s.IgnorePublicAcls ?? false,
  BlockPublicPolicy: s.BlockPublicPolicy ?? false,
  RestrictPublicBuckets: s.RestrictPublicBuckets ?? false,
});

/** Policy first, then Block Public Access: a public PutBucketPolicy is refused once BlockPublicPolicy is on. */
async function apply(c: ReadCase): Promise<void> {
  const Bucket = where.bucket;
  if (c.policy) await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(c.policy(where)) }));
  else await s3.send(new DeleteBucketPolicyCommand({ Bucket }));
  if (c.bucketBlock) {
    await s3.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: full(c.bucketBlock) }));
  } else {
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket }));
  }
  if (c.accountBlock) {
    await s3control.send(
      new PutAccountPublicAccessBlockCommand({
        AccountId: where.account,
        PublicAccessBlockConfiguration: full(c.accountBlock),
      }),
    );
  }
}

/** The lab-only headers that stand for where a caller is; loopback callers are otherwise internet callers. */
function labHeaders(r: AnonymousReader): Record<string, string> {
  return {
    ...(r.sourceVpce && { 'x-lab-source-vpce': r.sourceVpce }),
    ...(r.sourceVpc && { 'x-lab-source-vpc': r.sourceVpc }),
    ...(r.sourceIp && { 'x-lab-source-ip': r.sourceIp }),
  };
}

async function anonymousGet(key: string, r: AnonymousReader): Promise<number> {
  const res = await request(`${lab.endpoint}/${where.bucket}/${key}`, { dispatcher: agent, headers: labHeaders(r) });
  await res.body.dump();
  return res.statusCode;
}

const factsOf = (c: ReadCase): BucketAccessFacts => ({
  bucket: where.bucket,
  ownerAccountId: where.account,
  ...(c.policy && { policy: c.policy(where) }),
  ...(c.bucketBlock && { bucketBlock: c.bucketBlock }),
  ...(c.accountBlock && { accountBlock: c.accountBlock }),
});

describe('the lab and the evaluator agree on anonymous GETs', () => {
  it.each(CASES)('$name', async (c) => {
    await apply(c);
    const facts = factsOf(c);
    const lines = { lab: [] as string[], evaluator: [] as string[] };
    for (const { reader, key } of expandReads(c)) {
      // A reader with neither address nor endpoint (UNKNOWN) is a plain GET from loopback, which the lab treats as an
      // internet caller, and the evaluator's unknown public address.
      const verdict = evaluateRead(facts, key, reader);
      const status = await anonymousGet(key, reader);
      const label = `${readerName(reader)} GET ${key}`;
      lines.lab.push(`${label}: ${status}`);
      lines.evaluator.push(`${label}: ${verdict.allowed ? 200 : 403} (${verdict.reason})`);
    }
    // Compare without the reason, but print it on a mismatch.
    expect(lines.lab).toEqual(lines.evaluator.map((l) => l.replace(/ \(.*\)$/, '')));
  });
});

describe('the lab and the evaluator agree on what is public', () => {
  it.each(CASES.filter((c) => c.policy))('$name: GetBucketPolicyStatus', async (c) => {
    await s3.send(new PutBucketPolicyCommand({ Bucket: where.bucket, Policy: JSON.stringify(c.policy!(where)) }));
    const status = await s3.send(new GetBucketPolicyStatusCommand({ Bucket: where.bucket }));
    expect(status.PolicyStatus?.IsPublic).toBe(policyPublicity(c.policy!(where)).isPublic);
  });

  it.each(CASES.filter((c) => c.policy))('$name: PutBucketPolicy under BlockPublicPolicy', async (c) => {
    const bucketBlock = { BlockPublicPolicy: true };
    await s3.send(
      new PutPublicAccessBlockCommand({ Bucket: where.bucket, PublicAccessBlockConfiguration: full(bucketBlock) }),
    );
    const policy = c.policy!(where);
    const refused = await s3
      .send(new PutBucketPolicyCommand({ Bucket: where.bucket, Policy: JSON.stringify(policy) }))
      .then(
        () => undefined,
        (err: { name?: string; $metadata?: { httpStatusCode?: number } }) =>
          `${err.$metadata?.httpStatusCode} ${err.name}`,
      );
    const predicted = blockedByBlockPublicPolicy({ bucketBlock }, policy);
    expect(refused).toBe(predicted ? '403 AccessDenied' : undefined);
  });
});
