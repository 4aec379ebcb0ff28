// The probes that call AWS (bucket; jwks' IAM OIDC provider check; roles; cloudtrail) against a hostile AWS endpoint:
// a proxy in front of the lab that throttles, answers 500 or 503 (AWS's, or a load balancer's HTML), resets the
// connection, refuses the agent's own credentials (expired, clock off) or denies access. Every probe says `unknown`
// with a finding that names what happened (the action refused, the agent's credentials, the throttling after the
// SDK's retries), never `fail`: the chain it watches is not what broke. And nothing is left unhandled.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBucketProbe } from '../../../probes/bucket/probe.ts';
import { createCloudTrailProbe } from '../../../probes/cloudtrail/probe.ts';
import { createJwksProbe } from '../../../probes/jwks/probe.ts';
import { createRolesProbe } from '../../../probes/roles/probe.ts';
import { createAwsClientFactory } from '../../../src/clients/aws-factory.ts';
import { createHttpFetcher } from '../../../src/clients/http-fetcher.ts';
import { createKubeAccess } from '../../../src/clients/kube-client.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { AccountConfig, AgentConfig, ClusterConfig } from '../../../src/config/types.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { ProbeOutcome } from '../../../src/core/model.ts';
import type { Probe, ProbeContext } from '../../../src/core/probe.ts';
import { agentConfigYaml } from '../../../src/lab-adapter.ts';
import type { Lab } from '../../../src/lab/index.ts';
import { readTokenFile } from '../../../src/scheduler/runner.ts';
import { startAwsFaultProxy } from '../../helpers/aws-faults.ts';
import type { AwsFault, AwsFaultProxy } from '../../helpers/aws-faults.ts';
import { measured, MiB, watchProcessErrors } from '../../helpers/hostile.ts';
import { startTestLab } from '../../helpers/lab.ts';

const NAME = 'faulty';
let lab: Lab;
let proxy: AwsFaultProxy;
let config: AgentConfig;
let cluster: ClusterConfig;
let accounts: AccountConfig[];
/** The access key id the agent signs with: the faults about credentials answer only its calls. */
let agentKey: string;
const watcher = watchProcessErrors();
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: NAME }], keyPool: 1 } });
  proxy = await startAwsFaultProxy(lab);
  const file = join(lab.dataDir, 'agent.yaml');
  writeFileSync(file, agentConfigYaml(lab.info(), lab.kubeconfigFile));
  config = loadConfig(file, {});
  accounts = config.accounts.map((a) => ({ ...a, endpoint: proxy.endpoint, caFile: proxy.caFile }));
  agentKey = accounts[0]!.credentials.accessKeyId!;
  const loaded = config.clusters.find((c) => c.name === NAME)!;
  const ingress = lab.state.clusters.get(NAME)!.roleArns.find((arn) => arn.includes('ingress'))!;
  // One role, and a proof of its session (GetCallerIdentity, signed with the session's own keys).
  cluster = {
    ...loaded,
    roles: {
      ...loaded.roles,
      fromCluster: false,
      verifyCredentials: true,
      list: [{ arn: ingress, serviceAccount: 'openshift-ingress-operator/ingress-operator' }],
    },
  };
});
afterEach(() => watcher.check());
afterAll(async () => {
  watcher.stop();
  for (const close of closers.splice(0)) await close();
  await proxy.close();
  await lab.close();
});

const probes = (): Record<string, Probe> => ({
  bucket: createBucketProbe(config.probes.bucket),
  jwks: createJwksProbe(config.probes.jwks),
  roles: createRolesProbe(),
  cloudtrail: createCloudTrailProbe(config.probes.cloudtrail),
});

/** A context as the agent builds it, through the proxy: fresh AWS clients (their own retry quota and scanner). */
function context(): ProbeContext {
  const factory = createAwsClientFactory(accounts, { trail: { freshMs: 0 } });
  const http = createHttpFetcher();
  closers.push(
    () => factory.close(),
    () => http.close(),
  );
  return {
    http,
    log: pino({ level: 'silent' }),
    now: () => new Date(),
    signal: AbortSignal.timeout(60_000),
    readTokenFile,
    aws: factory.forAccount(cluster.account, cluster.region)!,
    kube: createKubeAccess(cluster.kube!),
  };
}

/** Every probe at once, as a cycle runs them, each timed. */
async function runAll(): Promise<Record<string, { out: ProbeOutcome; ms: number }>> {
  const ctx = context();
  const entries = await Promise.all(
    Object.entries(probes()).map(async ([name, probe]) => {
      const m = await measured(() => probe.run(cluster, ctx));
      expect(m.peakGrowth, `${name} grew ${Math.round(m.peakGrowth / MiB)} MiB`).toBeLessThan(50 * MiB);
      return [name, { out: m.value, ms: m.ms }] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const codes = (o: ProbeOutcome): string[] => o.findings.map((f) => f.code);
const BUCKET_READS = [
  's3:GetBucketPolicy',
  's3:GetBucketPolicyStatus',
  's3:GetBucketPublicAccessBlock',
  's3:GetAccountPublicAccessBlock',
  's3:GetBucketAcl',
];

/** The SDK's standard retry makes 3 attempts (src/clients/aws-factory.ts) for throttling, 5xx and resets. */
const ATTEMPTS = 3;
/** A run with retries and backoff (throttling: up to 1 s, then 2 s) and CloudTrail's 600 ms spacing. */
const RUN_BOUND_MS = 30_000;

describe('probes against a hostile AWS endpoint', { timeout: 60_000 }, () => {
  it('pass through the proxy untouched: every probe ok (the baseline)', async () => {
    proxy.set(undefined);
    const results = await runAll();
    for (const [name, { out }] of Object.entries(results)) expect(out.findings, name).toEqual([]);
    expect(proxy.calls.some((c) => c.action === 'iam:GetRole')).toBe(true);
    expect(proxy.calls.some((c) => c.action === 'cloudtrail:LookupEvents')).toBe(true);
    expect(proxy.calls.some((c) => c.action === 'sts:AssumeRoleWithWebIdentity' && c.signedBy === undefined)).toBe(
      true,
    );
  });

  // Faults on every call, the unsigned AssumeRoleWithWebIdentity included.
  it.each<[AwsFault, RegExp | undefined, RegExp]>([
    ['throttle', /^Throttling$/, /^AWS throttled iam:GetOpenIDConnectProvider on \S+ after 3 attempts \(Throttling\)/],
    ['http500', /^ServiceFailure/, /^iam:GetOpenIDConnectProvider on \S+ failed after 3 attempts: Service failure$/],
    ['http503', /^ServiceUnavailable/, /failed after 3 attempts: Service is unable to handle request\.$/],
    ['http503-html', undefined, /failed after 3 attempts/],
    ['reset', /^ECONNRESET$/, /failed after 3 attempts/],
  ])('%s: unknown everywhere after the SDK retried, naming what failed', async (fault, awsError, iamMessage) => {
    proxy.set({ fault });
    const results = await runAll();
    for (const [name, { out, ms }] of Object.entries(results)) {
      expect(statusOf(out.findings), `${name}: ${codes(out).join(', ')}`).toBe('unknown');
      expect(ms, name).toBeLessThan(RUN_BOUND_MS);
    }
    const { bucket, jwks, roles, cloudtrail } = results as Record<string, { out: ProbeOutcome }>;
    expect(codes(bucket!.out)).toEqual(Array(5).fill('BUCKET_ACCESS_UNKNOWN'));
    expect(bucket!.out.findings.map((f) => f.evidence?.action)).toEqual(BUCKET_READS);
    expect(codes(jwks!.out)).toEqual(['AWS_UNAVAILABLE']);
    expect(jwks!.out.findings[0]?.message).toMatch(iamMessage);
    expect(jwks!.out.findings[0]?.evidence).toMatchObject({
      action: 'iam:GetOpenIDConnectProvider',
      attempts: ATTEMPTS,
      ...(awsError !== undefined && { awsError: expect.stringMatching(awsError) }),
    });
    expect(codes(roles!.out)).toEqual(['ASSUME_UNAVAILABLE', 'AWS_UNAVAILABLE']);
    expect(roles!.out.findings[1]?.evidence).toMatchObject({ action: 'iam:GetRole', attempts: ATTEMPTS });
    expect(codes(cloudtrail!.out)).toEqual([fault === 'throttle' ? 'CLOUDTRAIL_THROTTLED' : 'CLOUDTRAIL_UNAVAILABLE']);
    // The SDK tried each call three times (its backoff between them), and never more.
    const tries = (action: string) => proxy.calls.filter((c) => c.action === action).length;
    expect(tries('iam:GetOpenIDConnectProvider')).toBe(ATTEMPTS);
    expect(tries('iam:GetRole')).toBe(ATTEMPTS);
    expect(tries('sts:AssumeRoleWithWebIdentity')).toBe(ATTEMPTS);
    expect(tries('cloudtrail:LookupEvents')).toBe(ATTEMPTS);
  });

  // Faults only on the calls the agent signs with its own keys: the unsigned assume test and the session's proof pass.
  it.each<[AwsFault, string]>([
    ['expired', 'ExpiredToken'],
    ['request-expired', 'RequestExpired'],
  ])("%s: the agent's own credentials named, unknown, never a finding about the cluster", async (fault, awsError) => {
    proxy.set({ fault, when: (c) => c.signedBy === agentKey });
    const results = await runAll();
    for (const [name, { out }] of Object.entries(results)) {
      expect(statusOf(out.findings), `${name}: ${codes(out).join(', ')}`).toBe('unknown');
      expect(codes(out), name).toEqual(['AWS_CREDENTIALS_REJECTED']);
      expect(out.findings[0]?.message, name).toContain("AWS refused the agent's own credentials");
    }
    const { bucket, jwks, roles, cloudtrail } = results as Record<string, { out: ProbeOutcome }>;
    expect(bucket!.out.findings[0]?.message).toContain(BUCKET_READS.join(', '));
    expect(jwks!.out.findings[0]?.evidence).toMatchObject({ action: 'iam:GetOpenIDConnectProvider' });
    expect(roles!.out.findings[0]?.evidence).toMatchObject({ action: 'iam:GetRole' });
    expect(cloudtrail!.out.findings[0]?.evidence).toMatchObject({ action: 'cloudtrail:LookupEvents' });
    if (fault === 'expired')
      for (const [name, { out }] of Object.entries(results))
        expect(String(out.findings[0]?.evidence?.awsError), name).toMatch(new RegExp(`^${awsError}`));
    // Credentials refused are not retried.
    expect(proxy.calls.filter((c) => c.action === 'iam:GetRole')).toHaveLength(1);
    // The assume test itself ran and passed (unsigned), and its session proved itself.
    expect(roles!.out.observations?.roles).toMatchObject([{ assumedRoleArn: expect.any(String) }]);
    expect(proxy.calls.filter((c) => c.action === 'sts:GetCallerIdentity' && c.fault === undefined)).toHaveLength(1);
  });

  it('denied: the missing permission named with its action, unknown', async () => {
    proxy.set({ fault: 'denied', when: (c) => c.signedBy === agentKey });
    const results = await runAll();
    for (const [name, { out }] of Object.entries(results))
      expect(statusOf(out.findings), `${name}: ${codes(out).join(', ')}`).toBe('unknown');
    const { bucket, jwks, roles, cloudtrail } = results as Record<string, { out: ProbeOutcome }>;
    // The bucket probe names each read refused (a bare Access Denied is no lockout by the bucket policy).
    expect(codes(bucket!.out)).toEqual(Array(5).fill('BUCKET_ACCESS_UNKNOWN'));
    expect(bucket!.out.findings.map((f) => f.evidence?.action)).toEqual(BUCKET_READS);
    for (const [out, action] of [
      [jwks!.out, 'iam:GetOpenIDConnectProvider'],
      [roles!.out, 'iam:GetRole'],
      [cloudtrail!.out, 'cloudtrail:LookupEvents'],
    ] as const) {
      expect(codes(out)).toEqual(['AWS_PERMISSION_MISSING']);
      expect(out.findings[0]?.evidence).toMatchObject({ action });
      expect(out.findings[0]?.message).toContain(action);
    }
  });
});
