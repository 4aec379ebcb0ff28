// The bucket probe against the lab: healthy is ok; a Deny-unless-VPCE policy put by alice with the real AWS CLI names
// the statement and shows the diff; a deleted policy, bucket and account Block Public Access each give their code;
// missing permission is unknown; the anonymous GET confirms the prediction, and a disagreement is a finding.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBucketProbe } from '../../../probes/bucket/probe.ts';
import type { HttpFetcher } from '../../../src/clients/http.ts';
import { createAwsClientFactory } from '../../../src/clients/aws-factory.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';
import type { Lab } from '../../../src/lab/index.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { ProbeOutcome, ProbeResult } from '../../../src/core/model.ts';
import type { ProbeContext } from '../../../src/core/probe.ts';
import { awsCli, requireAwsCli } from '../../helpers/awscli.ts';
import { startTestLab, userKeys } from '../../helpers/lab.ts';
import { labProbeTarget } from '../../helpers/probe-context.ts';
import { ccoctlReadStatement, denyOutsideVpceStatement, policyOf } from '../../helpers/policies.ts';

const CLUSTER = 'bk';
const BUCKET = `${CLUSTER}-oidc`;
const VPCE = 'vpce-1a2b3c4d';
const probe = createBucketProbe({ confirm: true });
let lab: Lab;
let target: Awaited<ReturnType<typeof labProbeTarget>>;

beforeAll(async () => {
  requireAwsCli();
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
  target = await labProbeTarget(lab, CLUSTER);
});
beforeEach(() => lab.heal());
afterAll(async () => {
  await target.close();
  await lab.close();
});

const run = (ctx: Partial<ProbeContext> = {}, cluster: ClusterConfig = target.cluster): Promise<ProbeOutcome> =>
  probe.run(cluster, { ...target.ctx, ...ctx });
const codes = (o: ProbeOutcome) => o.findings.map((f) => f.code).sort();
/** The outcome as the runner would store it, for the next run's ctx.previous. */
const asPrevious = (o: ProbeOutcome): ProbeResult => ({
  ...o,
  cluster: CLUSTER,
  probe: 'bucket',
  status: statusOf(o.findings),
  startedAt: new Date().toISOString(),
  durationMs: 1,
});

const ccoctlStatement = ccoctlReadStatement(BUCKET);
const denyOutsideVpce = denyOutsideVpceStatement(BUCKET, VPCE);

async function alicePutsPolicy(statements: unknown[]): Promise<void> {
  const policy = JSON.stringify(policyOf(...statements));
  const res = await awsCli(
    { endpoint: lab.endpoint, caFile: lab.caFile },
    ['s3api', 'put-bucket-policy', '--bucket', BUCKET, '--policy', policy],
    userKeys(lab.info(), 'alice'),
  );
  expect(res.code, res.stderr).toBe(0);
}

/** A fetcher that answers every GET with `status`: the agent's own vantage point, simulated. */
const answering = (status: number): HttpFetcher => ({
  get: (url) => Promise.resolve({ url, status, headers: {}, body: Buffer.from('{}'), latencyMs: 1 }),
});

describe('bucket probe against the lab', () => {
  it('healthy: ok, with the policy, its public status and the Block Public Access settings recorded', async () => {
    const out = await run();
    expect(out.findings).toEqual([]);
    expect(out.observations).toMatchObject({
      bucket: BUCKET,
      topology: 's3',
      isPublic: true,
      policy: { Statement: [expect.objectContaining({ Sid: 'AllowReadPublicAccess' })] },
      bucketPublicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, RestrictPublicBuckets: false },
    });
  });

  it('a Deny-unless-VPCE policy by alice: BUCKET_ANONYMOUS_READ_DENIED naming it, and the diff', async () => {
    const before = await run();
    await alicePutsPolicy([ccoctlStatement, denyOutsideVpce]);
    const out = await run({ previous: asPrevious(before) });
    expect(codes(out)).toEqual(['BUCKET_ANONYMOUS_READ_DENIED', 'BUCKET_POLICY_CHANGED']);
    const denied = out.findings.find((f) => f.code === 'BUCKET_ANONYMOUS_READ_DENIED');
    expect(denied).toMatchObject({
      severity: 'fail',
      subject: BUCKET,
      evidence: {
        statement: 'DenyOutsideVpce',
        effect: 'Deny',
        condition: { StringNotEquals: { 'aws:SourceVpce': VPCE } },
        documents: ['.well-known/openid-configuration', 'keys.json'],
      },
    });
    expect(denied?.message).toContain('DenyOutsideVpce');
    const changed = out.findings.find((f) => f.code === 'BUCKET_POLICY_CHANGED');
    expect(changed?.severity).toBe('warn');
    expect(String(changed?.evidence?.diff)).toMatch(/^\+ .*"Sid":"DenyOutsideVpce"/m);
    expect(changed?.evidence?.removed).toEqual([]);
  });

  it('an agent inside the admitted VPC endpoint reads the documents: no prediction mismatch, still denied', async () => {
    await alicePutsPolicy([ccoctlStatement, denyOutsideVpce]);
    const out = await run({ http: answering(200) });
    expect(codes(out)).toEqual(['BUCKET_ANONYMOUS_READ_DENIED']);
  });

  it('a GET that disagrees with the prediction is BUCKET_PREDICTION_MISMATCH', async () => {
    const out = await run({ http: answering(403) });
    expect(codes(out)).toEqual(['BUCKET_PREDICTION_MISMATCH', 'BUCKET_PREDICTION_MISMATCH']);
    expect(out.findings[0]?.evidence).toMatchObject({ predicted: 'allowed', observedStatus: 403 });
  });

  it('bucket-policy-deleted: BUCKET_POLICY_MISSING', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'bucket-policy-deleted' });
    const out = await run();
    expect(codes(out)).toEqual(['BUCKET_POLICY_MISSING']);
    expect(out.observations?.policy).toBeNull();
  });

  it('block-public-access: BUCKET_PUBLIC_ACCESS_BLOCKED at the bucket level', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'block-public-access' });
    const out = await run();
    expect(codes(out)).toEqual(['BUCKET_PUBLIC_ACCESS_BLOCKED']);
    expect(out.findings[0]?.evidence).toMatchObject({ level: 'bucket', setting: 'RestrictPublicBuckets' });
  });

  it('account-block-public-access: BUCKET_PUBLIC_ACCESS_BLOCKED at the account level', async () => {
    await lab.applyFault({ fault: 'account-block-public-access' });
    const out = await run();
    expect(codes(out)).toEqual(['BUCKET_PUBLIC_ACCESS_BLOCKED']);
    expect(out.findings[0]?.evidence).toMatchObject({ level: 'account', setting: 'RestrictPublicBuckets' });
  });

  it('without read permission: BUCKET_ACCESS_UNKNOWN naming each action, unknown rather than fail', async () => {
    const factory = createAwsClientFactory(
      target.ctx.aws
        ? [
            {
              name: 'lab',
              id: lab.info().accountId,
              credentials: { source: 'static', ...userKeys(lab.info(), 'nobody') },
              endpoint: lab.endpoint,
              caFile: lab.caFile,
            },
          ]
        : [],
    );
    try {
      const out = await run({ aws: factory.forAccount('lab', lab.info().region)! });
      expect(statusOf(out.findings)).toBe('unknown');
      expect(out.findings.map((f) => f.evidence?.action).sort()).toEqual([
        's3:GetAccountPublicAccessBlock',
        's3:GetBucketAcl',
        's3:GetBucketPolicy',
        's3:GetBucketPolicyStatus',
        's3:GetBucketPublicAccessBlock',
      ]);
    } finally {
      factory.close();
    }
  });

  it('does not apply to a cluster without a bucket or an account', () => {
    const { bucket: _b, ...noBucket } = target.cluster;
    expect(probe.appliesTo?.(noBucket)).toBe(false);
    const { account: _a, ...noAccount } = target.cluster;
    expect(probe.appliesTo?.(noAccount)).toBe(false);
    expect(probe.appliesTo?.(target.cluster)).toBe(true);
  });
});

describe('bucket probe with a CloudFront issuer in front of a private bucket', () => {
  const CF = 'cf';
  let cfLab: Lab;
  let cf: Awaited<ReturnType<typeof labProbeTarget>>;
  beforeAll(async () => {
    cfLab = await startTestLab({ fleet: { clusters: [{ name: CF, topology: 'cloudfront' }], keyPool: 1 } });
    cf = await labProbeTarget(cfLab, CF);
  });
  afterAll(async () => {
    await cf.close();
    await cfLab.close();
  });

  it('is ok with a private bucket (IsPublic false, all Block Public Access on) that admits the OAI', async () => {
    const info = cfLab.info().clusters[0]!;
    expect(cf.cluster.cloudfront).toEqual({ originAccessIdentity: info.oaiArn });
    const out = await probe.run(cf.cluster, cf.ctx);
    expect(out.findings).toEqual([]);
    expect(out.observations).toMatchObject({
      topology: 'cloudfront',
      isPublic: false,
      bucketPublicAccessBlock: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('cloudfront-origin-denied: BUCKET_ORIGIN_ACCESS_DENIED, confirmed by the distribution', async () => {
    await cfLab.applyFault({ cluster: CF, fault: 'cloudfront-origin-denied' });
    try {
      const out = await probe.run(cf.cluster, cf.ctx);
      expect(codes(out)).toEqual(['BUCKET_ORIGIN_ACCESS_DENIED']);
      expect(out.findings[0]?.evidence).toMatchObject({
        documents: ['.well-known/openid-configuration', 'keys.json'],
      });
    } finally {
      await cfLab.heal();
    }
  });

  it('without a configured identity, takes the OAI the policy grants', async () => {
    const out = await probe.run({ ...cf.cluster, cloudfront: {} }, cf.ctx);
    expect(out.findings).toEqual([]);
  });
});
