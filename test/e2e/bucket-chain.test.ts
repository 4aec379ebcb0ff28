// Issues 5's and 9's acceptance, end to end through the agent: alice changes the OIDC bucket with the real AWS CLI v2,
// one cycle of every probe runs, and the diagnosis names the statement or setting and alice, also when the policy
// locks the agent out (AWS's documented VPC-endpoint policy); healing (root, as AWS allows) brings it back to healthy.
// A CloudFront-style private bucket is healthy.
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.ts';
import type { Agent } from '../../src/agent.ts';
import type { Diagnosis } from '../../src/diagnosis/diagnose.ts';
import { diagnose } from '../../src/diagnosis/diagnose.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { awsCli, requireAwsCli, s3controlCli } from '../helpers/awscli.ts';
import { userKeys } from '../helpers/lab.ts';
import { loadText, tempDir } from '../config/temp-config.ts';
import {
  awsDocumentedVpceStatement,
  ccoctlReadStatement,
  denyOutsideVpceStatement,
  policyOf,
} from '../helpers/policies.ts';

const CLUSTER = 'chain';
const BUCKET = `${CLUSTER}-oidc`;
let agent: Agent;

beforeAll(async () => {
  requireAwsCli();
  const config = loadText(
    `lab:\n  dataDir: ${tempDir()}\n  fleet:\n    keyPool: 1\n    clusters:\n      - name: ${CLUSTER}\n      - name: private\n        topology: cloudfront\nstorage:\n  inMemory: true\n` +
      // A 10 s cloudtrail period keeps the shared scan fresh for only a second, so consecutive cycles rescan.
      `schedules:\n  cloudtrail:\n    cron: '*/10 * * * * *'\n`,
  );
  agent = await createAgent(config, pino({ level: 'silent' }));
});
// Healed, and one healthy cycle, so each test's change is the only one since the last run.
beforeEach(async () => {
  await agent.lab!.heal();
  // Right after a heal the bucket probe reports the policy change back (BUCKET_POLICY_CHANGED): not healthy yet.
  expect((await cycle(CLUSTER)).diagnosis.status).not.toBe('fail');
}, 60_000);
afterAll(() => agent.stop());

const alice = () => userKeys(agent.lab!.info(), 'alice');
const root = () => userKeys(agent.lab!.info(), 'root');
const target = () => ({ endpoint: agent.lab!.endpoint, caFile: agent.lab!.caFile });

async function cli(args: string[], via = target(), env: Record<string, string> = {}, user = alice()): Promise<void> {
  const res = await awsCli(via, args, user, env);
  expect(res.code, res.stderr).toBe(0);
}

/** One cycle of every probe for a cluster; its results and diagnosis. */
async function cycle(
  cluster: string,
): Promise<{ diagnosis: Diagnosis; codes: Record<string, string[]>; results: ProbeResult[] }> {
  const results = await agent.scheduler.runOnce({ clusters: [cluster] });
  const codes = Object.fromEntries(results.map((r) => [r.probe, r.findings.map((f) => f.code).sort()]));
  return { diagnosis: diagnose(results), codes, results };
}

const findingOf = (results: ProbeResult[], code: string) =>
  results.flatMap((r) => r.findings).find((f) => f.code === code);

/** Healthy again within two cycles (the first after a fix reports the policy change back). */
async function healthyAgain(cluster: string): Promise<void> {
  await cycle(cluster);
  expect((await cycle(cluster)).diagnosis).toMatchObject({ code: 'HEALTHY', status: 'ok' });
}

const ALICE = /arn:aws:iam::\d{12}:user\/alice/;

describe('the bucket chain end to end, changes made by alice with the AWS CLI', () => {
  it('starts healthy', async () => {
    expect((await cycle(CLUSTER)).diagnosis).toMatchObject({ code: 'HEALTHY', status: 'ok' });
  });

  it(
    'a Deny unless aws:SourceVpce: statement named, policy diff, alice named, one diagnosis naming both',
    { timeout: 60_000 },
    async () => {
      expect((await cycle(CLUSTER)).diagnosis.code).toBe('HEALTHY');
      const policy = policyOf(ccoctlReadStatement(BUCKET), denyOutsideVpceStatement(BUCKET, 'vpce-0a1b2c3d4e5f60718'));
      await cli(['s3api', 'put-bucket-policy', '--bucket', BUCKET, '--policy', JSON.stringify(policy)]);
      const { diagnosis, codes } = await cycle(CLUSTER);
      expect(codes.bucket).toEqual(['BUCKET_ANONYMOUS_READ_DENIED', 'BUCKET_POLICY_CHANGED']);
      expect(codes.cloudtrail).toContain('BUCKET_POLICY_CHANGED_BY');
      expect(new Set(codes.roles)).toEqual(new Set(['ASSUME_KEY_RETRIEVAL_FAILED']));
      expect(codes.issuer).toEqual(['ISSUER_HTTP_ERROR']);
      expect(diagnosis.code).toBe('BUCKET_POLICY_DENIES_STS');
      expect(diagnosis.status).toBe('fail');
      expect(diagnosis.summary).toMatch(
        /^Every role \(7\) fails with Couldn't retrieve verification key because statement DenyOutsideVpce \(changed by /,
      );
      expect(diagnosis.summary).toMatch(ALICE);
      expect(diagnosis.evidence.map((e) => e.code).slice(0, 2)).toEqual([
        'BUCKET_ANONYMOUS_READ_DENIED',
        'BUCKET_POLICY_CHANGED_BY',
      ]);
    },
  );

  it(
    "AWS's documented VPC-endpoint policy (s3:* on bucket and objects) locks the agent out: the statement and alice named from CloudTrail's record; root heals it",
    { timeout: 90_000 },
    async () => {
      const policy = policyOf(
        ccoctlReadStatement(BUCKET),
        awsDocumentedVpceStatement(BUCKET, 'vpce-0a1b2c3d4e5f60718'),
      );
      await cli(['s3api', 'put-bucket-policy', '--bucket', BUCKET, '--policy', JSON.stringify(policy)]);
      const { diagnosis, codes, results } = await cycle(CLUSTER);
      // The agent's reads are refused by the bucket policy itself: a lockout, not a missing IAM permission.
      expect(codes.bucket).toEqual(['BUCKET_ANONYMOUS_READ_DENIED', 'BUCKET_POLICY_LOCKS_OUT_AGENT']);
      expect(findingOf(results, 'BUCKET_POLICY_LOCKS_OUT_AGENT')?.evidence).toMatchObject({
        actions: expect.arrayContaining(['s3:GetBucketPolicy', 's3:GetBucketPolicyStatus']) as unknown,
      });
      // The verdict rests on the policy as CloudTrail recorded alice's PutBucketPolicy.
      expect(findingOf(results, 'BUCKET_ANONYMOUS_READ_DENIED')?.evidence).toMatchObject({
        statement: 'Access-to-specific-VPCE-only',
        source: { kind: 'cloudtrail', eventName: 'PutBucketPolicy', actor: expect.stringMatching(ALICE) as unknown },
      });
      const change = results
        .find((r) => r.probe === 'cloudtrail')
        ?.findings.find((f) => f.code === 'BUCKET_POLICY_CHANGED_BY');
      expect(change?.severity).toBe('warn');
      expect(change?.message).toContain('Access-to-specific-VPCE-only');
      expect(diagnosis.code).toBe('BUCKET_POLICY_DENIES_STS');
      expect(diagnosis.summary).toMatch(
        /^Every role \(7\) fails with Couldn't retrieve verification key because statement Access-to-specific-VPCE-only \(changed by arn:aws:iam::\d{12}:user\/alice at /,
      );
      expect(diagnosis.causes.map((c) => c.code)).toEqual(['BUCKET_POLICY_DENIES_STS']);

      // alice is locked out of the policy too; the account's root user may always put it (docs/aws-facts.md 4.4).
      const fixed = JSON.stringify(policyOf(ccoctlReadStatement(BUCKET)));
      const refused = await awsCli(
        target(),
        ['s3api', 'put-bucket-policy', '--bucket', BUCKET, '--policy', fixed],
        alice(),
      );
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/explicit deny in a resource-based policy/);
      await cli(['s3api', 'put-bucket-policy', '--bucket', BUCKET, '--policy', fixed], target(), {}, root());
      await healthyAgain(CLUSTER);
    },
  );

  it(
    'Block Public Access on the bucket: BUCKET_PUBLIC_ACCESS_BLOCKED, and alice as its author',
    { timeout: 60_000 },
    async () => {
      await cli([
        's3api',
        'put-public-access-block',
        '--bucket',
        BUCKET,
        '--public-access-block-configuration',
        'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
      ]);
      const { diagnosis, codes } = await cycle(CLUSTER);
      expect(codes.bucket).toEqual(['BUCKET_PUBLIC_ACCESS_BLOCKED']);
      expect(diagnosis.code).toBe('PUBLIC_ACCESS_BLOCKED');
      expect(diagnosis.summary).toContain('RestrictPublicBuckets at the bucket level (changed by ');
      expect(diagnosis.summary).toMatch(ALICE);
    },
  );

  it(
    'Block Public Access on the account (s3control): BUCKET_PUBLIC_ACCESS_BLOCKED at the account level',
    { timeout: 60_000 },
    async () => {
      const lab = agent.lab!;
      const s3control = s3controlCli(lab.info());
      await cli(
        [
          's3control',
          'put-public-access-block',
          '--account-id',
          lab.info().accountId,
          '--public-access-block-configuration',
          'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
        ],
        s3control.target,
        s3control.env,
      );
      const { diagnosis, codes, results } = await cycle(CLUSTER);
      expect(codes.bucket).toEqual(['BUCKET_PUBLIC_ACCESS_BLOCKED']);
      expect(diagnosis.summary).toContain('RestrictPublicBuckets at the account level (changed by ');
      expect(diagnosis.summary).toMatch(ALICE);
      const accountChange = results
        .flatMap((r) => r.findings)
        .find((f) => f.code === 'BUCKET_POLICY_CHANGED_BY' && f.evidence?.eventName === 'PutAccountPublicAccessBlock');
      expect(accountChange?.severity).toBe('warn');
      // alice turns it off again through the same path: healthy.
      await cli(
        ['s3control', 'delete-public-access-block', '--account-id', lab.info().accountId],
        s3control.target,
        s3control.env,
      );
      await healthyAgain(CLUSTER);
    },
  );

  it('a CloudFront-style private bucket is healthy', { timeout: 60_000 }, async () => {
    const { diagnosis, codes } = await cycle('private');
    expect(codes).toMatchObject({ bucket: [], issuer: [], roles: [] });
    expect(diagnosis.code).toBe('HEALTHY');
  });
});
