// Issue 5's acceptance, end to end through the agent: alice changes the OIDC bucket with the real AWS CLI v2, one
// cycle of every probe runs, and the diagnosis names the statement or setting and alice. A CloudFront-style private
// bucket is healthy.
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.ts';
import type { Agent } from '../../src/agent.ts';
import type { Diagnosis } from '../../src/diagnosis/diagnose.ts';
import { diagnose } from '../../src/diagnosis/diagnose.ts';
import { awsCli, requireAwsCli, s3controlCli } from '../helpers/awscli.ts';
import { userKeys } from '../helpers/lab.ts';
import { loadText, tempDir } from '../config/temp-config.ts';
import { ccoctlReadStatement, denyOutsideVpceStatement, policyOf } from '../helpers/policies.ts';

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
const target = () => ({ endpoint: agent.lab!.endpoint, caFile: agent.lab!.caFile });

async function cli(args: string[], via = target(), env: Record<string, string> = {}): Promise<void> {
  const res = await awsCli(via, args, alice(), env);
  expect(res.code, res.stderr).toBe(0);
}

/** One cycle of every probe for a cluster; its results and diagnosis. */
async function cycle(cluster: string): Promise<{ diagnosis: Diagnosis; codes: Record<string, string[]> }> {
  const results = await agent.scheduler.runOnce({ clusters: [cluster] });
  const codes = Object.fromEntries(results.map((r) => [r.probe, r.findings.map((f) => f.code).sort()]));
  return { diagnosis: diagnose(results), codes };
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
      const { diagnosis, codes } = await cycle(CLUSTER);
      expect(codes.bucket).toEqual(['BUCKET_PUBLIC_ACCESS_BLOCKED']);
      expect(diagnosis.summary).toContain('RestrictPublicBuckets at the account level (changed by ');
      expect(diagnosis.summary).toMatch(ALICE);
    },
  );

  it('a CloudFront-style private bucket is healthy', { timeout: 60_000 }, async () => {
    const { diagnosis, codes } = await cycle('private');
    expect(codes).toMatchObject({ bucket: [], issuer: [], roles: [] });
    expect(diagnosis.code).toBe('HEALTHY');
  });
});
