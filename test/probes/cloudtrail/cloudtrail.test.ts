// The cloudtrail probe against the lab's CloudTrail: assume-role failures grouped per role with counts, who changed
// the OIDC bucket (a real `aws s3api put-bucket-policy` by alice), one shared scan for two clusters of one
// account-region within the two-calls-a-second limit, and throttling or missing permission as `unknown`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCloudTrailProbe } from '../../../probes/cloudtrail/probe.ts';
import { createAwsClientFactory } from '../../../src/clients/aws-factory.ts';
import { createHttpFetcher } from '../../../src/clients/http-fetcher.ts';
import { agentConfigYaml } from '../../../src/lab-adapter.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { CloudTrailProbeSettings } from '../../../probes/cloudtrail/index.ts';
import type { AgentConfig, ClusterConfig } from '../../../src/config/types.ts';
import { signServiceAccountToken } from '../../../src/lab/clusters.ts';
import type { Lab } from '../../../src/lab/index.ts';
import type { ProbeOutcome } from '../../../src/core/model.ts';
import type { ProbeContext } from '../../../src/core/probe.ts';
import { statusOf } from '../../../src/core/model.ts';
import { readTokenFile } from '../../../src/scheduler/runner.ts';
import { awsCli, requireAwsCli } from '../../helpers/awscli.ts';
import { sdkConfig, startTestLab, userKeys } from '../../helpers/lab.ts';
import { ccoctlReadStatement, denyOutsideVpceStatement, policyOf } from '../../helpers/policies.ts';

const SETTINGS: CloudTrailProbeSettings = {
  windowMinutes: 60,
  changeWindowHours: 24,
  overlapMinutes: 15,
  failAbove: 10,
  extraRegions: ['us-east-1'],
  maxPages: 200,
};
const A = 'ct-a';
const B = 'ct-b';

let lab: Lab;
let config: AgentConfig;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  requireAwsCli();
  lab = await startTestLab({ fleet: { clusters: [{ name: A }, { name: B }], keyPool: 1 } });
  const file = join(lab.dataDir, 'agent.yaml');
  writeFileSync(file, agentConfigYaml(lab.info(), lab.kubeconfigFile));
  config = loadConfig(file, {});
});
beforeEach(async () => {
  await lab.heal();
});
afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  await lab.close();
});

const clusterNamed = (name: string): ClusterConfig => config.clusters.find((c) => c.name === name)!;

/** A probe context whose AWS clients come from one factory (shared scanners), as the agent builds them. */
function contexts(accounts = config.accounts) {
  const factory = createAwsClientFactory(accounts, { trail: { freshMs: 60_000 } });
  const http = createHttpFetcher();
  closers.push(
    () => factory.close(),
    () => http.close(),
  );
  return (cluster: ClusterConfig): ProbeContext => ({
    http,
    log: pino({ level: 'silent' }),
    now: () => new Date(),
    signal: new AbortController().signal,
    readTokenFile,
    aws: factory.forAccount(cluster.account, cluster.region)!,
  });
}

const roleArnOf = (cluster: string, name: string): string =>
  lab
    .info()
    .clusters.find((c) => c.name === cluster)!
    .roles.find((arn) => arn.endsWith(`/${name}`))!;

/** Assume the ingress role of `cluster` with a token of its service account, `times` times, ignoring the outcome. */
async function assumeIngress(cluster: string, times: number): Promise<void> {
  const sts = new STSClient(sdkConfig(lab));
  closers.push(() => sts.destroy());
  const labCluster = lab.state.clusters.get(cluster)!;
  const RoleArn = roleArnOf(cluster, `${cluster}-openshift-ingress-operator-cloud-credentials`);
  for (let i = 0; i < times; i++) {
    const { token } = await signServiceAccountToken(labCluster, {
      namespace: 'openshift-ingress-operator',
      serviceAccount: 'ingress-operator',
      audiences: ['openshift'],
      expirationSeconds: 600,
    });
    await sts
      .send(new AssumeRoleWithWebIdentityCommand({ RoleArn, RoleSessionName: `t${i}`, WebIdentityToken: token }))
      .catch(() => undefined);
  }
}

const codes = (o: ProbeOutcome) => o.findings.map((f) => f.code);

describe('cloudtrail probe against the lab', () => {
  it('groups AccessDenied failures per role with their count and newest time; fails above failAbove', async () => {
    await lab.applyFault({
      cluster: A,
      fault: 'trust-subject-mismatch',
      role: `${A}-openshift-ingress-operator-cloud-credentials`,
    });
    await assumeIngress(A, 3);
    const ctxOf = contexts();
    const probe = createCloudTrailProbe(SETTINGS);
    const out = await probe.run(clusterNamed(A), ctxOf(clusterNamed(A)));
    const failures = out.findings.filter((f) => f.code === 'ASSUME_FAILURES_RECENT');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      severity: 'warn',
      subject: roleArnOf(A, `${A}-openshift-ingress-operator-cloud-credentials`),
      evidence: {
        errorCode: 'AccessDenied',
        count: 3,
        subject: 'system:serviceaccount:openshift-ingress-operator:ingress-operator',
      },
    });
    expect(Date.parse(String(failures[0]?.evidence?.newest))).toBeGreaterThan(Date.now() - 60_000);
    // The other cluster's trail holds none of them.
    const other = await probe.run(clusterNamed(B), ctxOf(clusterNamed(B)));
    expect(codes(other)).not.toContain('ASSUME_FAILURES_RECENT');

    const strict = createCloudTrailProbe({ ...SETTINGS, failAbove: 2 });
    const fresh = contexts();
    const outStrict = await strict.run(clusterNamed(A), fresh(clusterNamed(A)));
    expect(statusOf(outStrict.findings)).toBe('fail');
  });

  it('names alice as the author of a Deny-unless-VPCE policy she put with the real AWS CLI', async () => {
    const bucket = `${B}-oidc`;
    const policy = policyOf(ccoctlReadStatement(bucket), denyOutsideVpceStatement(bucket));
    const target = { endpoint: lab.endpoint, caFile: lab.caFile };
    const put = await awsCli(
      target,
      ['s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', JSON.stringify(policy)],
      userKeys(lab.info(), 'alice'),
    );
    expect(put.code, put.stderr).toBe(0);
    const out = await createCloudTrailProbe(SETTINGS).run(clusterNamed(B), contexts()(clusterNamed(B)));
    const changes = out.findings.filter(
      (f) =>
        f.code === 'BUCKET_POLICY_CHANGED_BY' &&
        (f.evidence?.statements as string[] | undefined)?.includes('Deny DenyOutsideVpce'),
    );
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      subject: bucket,
      evidence: { eventName: 'PutBucketPolicy', actor: `arn:aws:iam::${lab.info().accountId}:user/alice` },
    });
    expect(changes[0]?.message).toContain('user/alice put a new bucket policy on ct-b-oidc');
  });

  it('reports an account-level Block Public Access change for every cluster of the account, as a warning', async () => {
    await lab.applyFault({ fault: 'account-block-public-access' });
    const ctxOf = contexts();
    const probe = createCloudTrailProbe(SETTINGS);
    for (const name of [A, B]) {
      const out = await probe.run(clusterNamed(name), ctxOf(clusterNamed(name)));
      const change = out.findings.find(
        (f) => f.code === 'BUCKET_POLICY_CHANGED_BY' && f.evidence?.eventName === 'PutAccountPublicAccessBlock',
      );
      expect(change).toMatchObject({ subject: 'account', severity: 'warn' });
    }
  });

  it('is unknown and names the action when the agent may not call cloudtrail:LookupEvents', async () => {
    const nobody = lab.info().users.find((u) => u.name === 'nobody')!;
    const accounts = config.accounts.map((a) => ({
      ...a,
      credentials: {
        source: 'static' as const,
        accessKeyId: nobody.accessKeyId,
        secretAccessKey: nobody.secretAccessKey,
      },
    }));
    const out = await createCloudTrailProbe(SETTINGS).run(clusterNamed(A), contexts(accounts)(clusterNamed(A)));
    expect(codes(out)).toEqual(['AWS_PERMISSION_MISSING']);
    expect(out.findings[0]?.evidence).toMatchObject({ action: 'cloudtrail:LookupEvents', region: 'us-east-1' });
    expect(statusOf(out.findings)).toBe('unknown');
  });

  it(
    'reads a busy trail over several scans, naming the unread part until it is filled',
    { timeout: 60_000 },
    async () => {
      await lab.applyFault({
        cluster: A,
        fault: 'trust-subject-mismatch',
        role: `${A}-openshift-ingress-operator-cloud-credentials`,
      });
      // More failures than one scan of two pages (100 events) reads.
      await assumeIngress(A, 110);
      const factory = createAwsClientFactory(config.accounts, { trail: { maxPages: 2, freshMs: 0, overlapMs: 1 } });
      closers.push(() => factory.close());
      const ctx = { ...contexts()(clusterNamed(A)), aws: factory.forAccount(clusterNamed(A).account, 'us-east-1')! };
      const probe = createCloudTrailProbe({ ...SETTINGS, maxPages: 2 });
      const countOf = (o: ProbeOutcome) =>
        Number(o.findings.find((f) => f.code === 'ASSUME_FAILURES_RECENT')?.evidence?.count);

      const first = await probe.run(clusterNamed(A), ctx);
      const incomplete = first.findings.find((f) => f.code === 'CLOUDTRAIL_INCOMPLETE');
      expect(incomplete?.severity).toBe('info');
      const unread = (incomplete?.evidence as { unread: { region: string; from: string; to: string }[] }).unread;
      expect(unread).toHaveLength(1);
      expect(unread[0]!.region).toBe('us-east-1');
      expect(Date.parse(unread[0]!.from)).toBeLessThan(Date.parse(unread[0]!.to));
      expect(countOf(first)).toBeLessThanOrEqual(100);

      // The next scan reads what is new, then the unread part: every failure is counted and nothing is missing.
      const second = await probe.run(clusterNamed(A), ctx);
      expect(codes(second)).not.toContain('CLOUDTRAIL_INCOMPLETE');
      expect(countOf(second)).toBeGreaterThanOrEqual(110);
    },
  );
});

describe('cloudtrail probe against a throttling CloudTrail', () => {
  it('is unknown with CLOUDTRAIL_THROTTLED, never fail', { timeout: 30_000 }, async () => {
    const throttling = await startTestLab({
      fleet: { clusters: [{ name: A }], keyPool: 1 },
      cloudTrailLookupsPerSecond: 0,
    });
    closers.push(() => throttling.close());
    const file = join(throttling.dataDir, 'agent.yaml');
    writeFileSync(file, agentConfigYaml(throttling.info(), throttling.kubeconfigFile));
    const cfg = loadConfig(file, {});
    const cluster = cfg.clusters[0]!;
    const out = await createCloudTrailProbe(SETTINGS).run(cluster, contexts(cfg.accounts)(cluster));
    expect(codes(out)).toEqual(['CLOUDTRAIL_THROTTLED']);
    expect(statusOf(out.findings)).toBe('unknown');
  });
});

describe('cloudtrail probe for two clusters of one account-region, through the agent', () => {
  it('makes one LookupEvents stream for both, never throttled at two calls a second', { timeout: 60_000 }, async () => {
    const { createAgent } = await import('../../../src/agent.ts');
    const { loadText, tempDir } = await import('../../config/temp-config.ts');
    const cfg = loadText(
      `lab:\n  dataDir: ${tempDir()}\n  fleet:\n    keyPool: 1\n    clusters:\n      - name: one\n      - name: two\nstorage:\n  inMemory: true\n`,
    );
    const agent = await createAgent(cfg, pino({ level: 'silent' }));
    try {
      const results = await agent.scheduler.runOnce({ probes: ['cloudtrail'] });
      expect(results.map((r) => `${r.cluster}:${r.status}`).sort()).toEqual(['one:ok', 'two:ok']);
      const lab = agent.lab!;
      // One scan: one page for each of the seven event names, in the only region (us-east-1), for both clusters.
      expect(lab.state.lookups.get(`${lab.info().accountId}/us-east-1`)).toEqual({ answered: 7, throttled: 0 });
      expect([...lab.state.lookups.keys()]).toEqual([`${lab.info().accountId}/us-east-1`]);
    } finally {
      await agent.stop();
    }
  });
});
