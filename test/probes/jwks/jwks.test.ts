// The jwks probe against the lab: healthy is ok; each key, audience and provider fault gives its finding; missing
// IAM permission is unknown, not fail; a republished JWKS is reported as changed on the next run.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJwksProbe } from '../../../probes/jwks/probe.ts';
import { createAwsClientFactory } from '../../../src/clients/aws-factory.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';
import type { Lab } from '../../../src/lab/index.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { ProbeOutcome, ProbeResult } from '../../../src/core/model.ts';
import type { ProbeContext } from '../../../src/core/probe.ts';
import { labProbeTarget } from '../../helpers/probe-context.ts';
import { sdkConfig, startTestLab, userKeys } from '../../helpers/lab.ts';

const CLUSTER = 'prod-east';
const probe = createJwksProbe();
let lab: Lab;
let target: Awaited<ReturnType<typeof labProbeTarget>>;
let cluster: ClusterConfig;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
  target = await labProbeTarget(lab, CLUSTER);
  // Roles come from the cluster here, so the verify service account is named explicitly.
  cluster = {
    ...target.cluster,
    signingKeys: { ...target.cluster.signingKeys, verifyServiceAccount: 'openshift-ingress-operator/ingress-operator' },
  };
});

afterAll(async () => {
  await target.close();
  await lab.close();
});

beforeEach(async () => {
  await lab.heal();
});

const run = (ctx: ProbeContext = target.ctx, c: ClusterConfig = cluster): Promise<ProbeOutcome> => probe.run(c, ctx);
const codes = (out: ProbeOutcome) => out.findings.map((f) => f.code).sort();
const signingKid = (): string => lab.state.clusters.get(CLUSTER)!.signingKey.kid;

describe('jwks probe against the lab', () => {
  it('finds nothing wrong with a healthy cluster and records the kids and the provider', async () => {
    const out = await run();
    expect(out.findings).toEqual([]);
    expect(out.observations).toMatchObject({
      signingKids: [signingKid()],
      publishedKids: [signingKid()],
      discoveryIssuer: cluster.issuer,
      providerArn: lab.info().clusters[0]!.oidcProviderArn,
      clientIds: ['openshift', 'sts.amazonaws.com'],
      thumbprints: expect.any(Array) as unknown,
    });
    expect(out.observations).not.toHaveProperty('nextKid');
    expect(JSON.stringify(out)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it('fails a rotated signing key that is not published, and the fresh token does not verify', async () => {
    const oldKid = signingKid();
    await lab.applyFault({ cluster: CLUSTER, fault: 'rotate-key-unpublished' });
    const out = await run();
    expect(codes(out)).toEqual(['SIGNING_KEY_NOT_PUBLISHED', 'TOKEN_VERIFY_FAILED']);
    expect(statusOf(out.findings)).toBe('fail');
    const notPublished = out.findings.find((f) => f.code === 'SIGNING_KEY_NOT_PUBLISHED');
    expect(notPublished).toMatchObject({ subject: signingKid(), evidence: { publishedKids: [oldKid] } });
    expect(out.findings.find((f) => f.code === 'TOKEN_VERIFY_FAILED')?.evidence).toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
      kid: signingKid(),
      serviceAccount: 'openshift-ingress-operator/ingress-operator',
    });
    // The old key is still trusted by the cluster, so publishing it is not stale.
    expect(out.observations?.signingKids).toEqual(expect.arrayContaining([oldKid, signingKid()]));
    expect(JSON.stringify(out)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it('warns about a staged next key that is not published yet', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'stage-next-key' });
    const out = await run();
    const nextKid = lab.state.clusters.get(CLUSTER)!.nextKey!.kid;
    expect(out.findings.map((f) => [f.code, f.subject])).toEqual([['NEXT_SIGNING_KEY_NOT_PUBLISHED', nextKid]]);
    expect(statusOf(out.findings)).toBe('warn');
    expect(out.observations?.nextKid).toBe(nextKid);
  });

  it('fails an audience missing from the IAM OIDC provider', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'drop-audience' });
    const out = await run();
    expect(out.findings.map((f) => [f.code, f.subject])).toEqual([['OIDC_PROVIDER_AUDIENCE_MISSING', 'openshift']]);
    expect(out.observations?.clientIds).toEqual(['sts.amazonaws.com']);
  });

  it('fails a deleted IAM OIDC provider', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'delete-oidc-provider' });
    const out = await run();
    expect(out.findings.map((f) => [f.code, f.subject])).toEqual([
      ['OIDC_PROVIDER_MISSING', lab.info().clusters[0]!.oidcProviderArn],
    ]);
    expect(statusOf(out.findings)).toBe('fail');
  });

  it('is unknown, not fail, without IAM permission, naming the missing action', async () => {
    const info = lab.info();
    const factory = createAwsClientFactory([
      {
        name: 'nobody',
        id: info.accountId,
        credentials: { source: 'static', ...userKeys(info, 'nobody') },
        endpoint: info.endpoint,
        caFile: info.caFile,
      },
    ]);
    try {
      const out = await run({ ...target.ctx, aws: factory.forAccount('nobody', info.region) });
      expect(codes(out)).toEqual(['AWS_PERMISSION_MISSING']);
      expect(out.findings[0]?.evidence).toMatchObject({ action: 'iam:GetOpenIDConnectProvider' });
      expect(out.findings[0]?.message).toMatch(/iam:GetOpenIDConnectProvider/);
      expect(statusOf(out.findings)).toBe('unknown');
    } finally {
      factory.close();
    }
  });

  it('is unknown when the JWKS cannot be read, and still checks the provider', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'jwks-malformed' });
    const out = await run();
    expect(codes(out)).toEqual(['JWKS_UNAVAILABLE']);
    expect(statusOf(out.findings)).toBe('unknown');
    expect(out.observations).toMatchObject({ clientIds: ['openshift', 'sts.amazonaws.com'] });
  });

  it('skips the IAM checks when the cluster has no AWS account, and says so', async () => {
    const { aws: _aws, ...ctx } = target.ctx;
    const out = await run(ctx);
    expect(out.findings).toEqual([]);
    expect(out.observations?.iam).toMatch(/not checked/);
  });

  it('reports the kids added on the run after a rotation is republished', async () => {
    const first = await run();
    await lab.applyFault({ cluster: CLUSTER, fault: 'rotate-key-unpublished' });
    // The operator republishes keys.json with the old and the new key, as the rotation procedure says.
    const s3 = new S3Client({ ...sdkConfig(lab, 'alice'), forcePathStyle: true });
    const keys = await target.ctx.kube!.jwks();
    await s3.send(
      new PutObjectCommand({ Bucket: `${CLUSTER}-oidc`, Key: 'keys.json', Body: JSON.stringify(keys, null, 4) }),
    );
    s3.destroy();
    const previous: ProbeResult = {
      ...first,
      cluster: CLUSTER,
      probe: 'jwks',
      status: 'ok',
      startedAt: new Date().toISOString(),
      durationMs: 1,
    };
    const out = await run({ ...target.ctx, previous });
    expect(out.findings.map((f) => [f.code, f.evidence])).toEqual([
      ['JWKS_CHANGED', { added: [signingKid()], removed: [], discoveryChanged: false }],
    ]);
    expect(statusOf(out.findings)).toBe('ok');
  });
});
