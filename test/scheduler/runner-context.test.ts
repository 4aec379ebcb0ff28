// What the runner adds to a probe's context besides the spine: the cluster's AWS and kube access (contextFor) and the
// token-file reader; and that the errors those clients raise, logged by the runner, carry no credential or token.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAwsClientFactory } from '../../src/clients/aws-factory.ts';
import type { AwsClients } from '../../src/clients/aws.ts';
import type { HttpFetcher } from '../../src/clients/http.ts';
import type { KubeAccess } from '../../src/clients/kube.ts';
import { createKubeAccess } from '../../src/clients/kube-client.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import type { ProbeOutcome, ProbeResult } from '../../src/core/model.ts';
import type { Probe, ProbeContext } from '../../src/core/probe.ts';
import { TokenFileError, createRunner, readTokenFile } from '../../src/scheduler/runner.ts';
import type { RunnerOptions } from '../../src/scheduler/runner.ts';
import { startTestLab, userKeys } from '../helpers/lab.ts';

const http: HttpFetcher = { get: () => Promise.reject(new Error('no network here')) };
const cluster = (name: string): ClusterConfig => ({
  name,
  issuer: `https://${name}.example.com`,
  region: 'us-east-1',
  labels: {},
  ...clusterDefaults(),
});
const probe = (run: (c: ClusterConfig, ctx: ProbeContext) => Promise<ProbeOutcome>): Probe => ({
  name: 'roles',
  description: 'fake roles',
  run,
});

function runnerWith(contextFor?: RunnerOptions['contextFor']) {
  const lines: string[] = [];
  const results: ProbeResult[] = [];
  const runner = createRunner({
    concurrency: 2,
    http,
    log: pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) }),
    previousOf: () => undefined,
    onResult: (r) => void results.push(r),
    timeoutMsFor: () => 10_000,
    ...(contextFor === undefined ? {} : { contextFor }),
  });
  return { runner, lines, results };
}

const tempFile = (content: string | Buffer): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'irsa-token-')), 'token');
  writeFileSync(file, content);
  return file;
};

describe('runner context', () => {
  it('hands each probe its cluster’s aws and kube access from contextFor', async () => {
    const aws = { accountId: '111122223333' } as AwsClients;
    const kube = {} as KubeAccess;
    const asked: string[] = [];
    const { runner } = runnerWith((c) => {
      asked.push(c.name);
      return c.name === 'with' ? { aws, kube } : {};
    });
    const seen: Pick<ProbeContext, 'aws' | 'kube' | 'readTokenFile'>[] = [];
    const p = probe((_c, ctx) => {
      seen.push({ aws: ctx.aws, kube: ctx.kube, readTokenFile: ctx.readTokenFile });
      return Promise.resolve({ findings: [] });
    });
    await runner.run(cluster('with'), p);
    await runner.run(cluster('without'), p);
    expect(asked).toEqual(['with', 'without']);
    expect(seen[0]).toEqual({ aws, kube, readTokenFile });
    expect(seen[1]).toEqual({ aws: undefined, kube: undefined, readTokenFile });
  });

  it('turns a contextFor that throws into that run’s PROBE_ERROR', async () => {
    const { runner } = runnerWith(() => {
      throw new Error('kubeconfig context "x" not found in /k');
    });
    const result = await runner.run(
      cluster('c'),
      probe(() => Promise.resolve({ findings: [] })),
    );
    expect(result?.status).toBe('unknown');
    expect(result?.findings.map((f) => [f.code, f.message])).toEqual([
      ['PROBE_ERROR', 'kubeconfig context "x" not found in /k'],
    ]);
  });
});

describe('readTokenFile', () => {
  it('reads a projected token, trimmed', async () => {
    expect(await readTokenFile(tempFile('  header.payload.signature\n'))).toBe('header.payload.signature');
  });

  it('names the path and never the content when it cannot give a token', async () => {
    const secret = 'eyJsecret-token-content';
    const cases: [string, RegExp][] = [
      ['/nonexistent/token', /^cannot read token file \/nonexistent\/token \(ENOENT\)$/],
      [tempFile(' \n'), /is empty$/],
      [tempFile(secret.repeat(4000)), /is larger than 65536 bytes$/],
      [mkdtempSync(join(tmpdir(), 'irsa-dir-')), /^cannot read token file .* \(EISDIR\)$/],
    ];
    for (const [path, message] of cases) {
      const err = await readTokenFile(path).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(TokenFileError);
      expect(err?.message).toMatch(message);
      expect(err?.message).toContain(path);
      expect(err?.message).not.toContain('secret-token');
    }
  });
});

describe('logs of runs through the real clients', () => {
  it('hold no key, session credential or token, whether the calls succeed or fail', { timeout: 20_000 }, async () => {
    const lab = await startTestLab({ fleet: { clusters: [{ name: 'logs' }], keyPool: 1 } });
    const info = lab.info();
    const sentinel = userKeys(info, 'sentinel');
    const wrongSecret = 'wrongSecretWrongSecretWrongSecret0123456';
    const account = (name: string, secretAccessKey: string) => ({
      name,
      id: info.accountId,
      credentials: { source: 'static' as const, accessKeyId: sentinel.accessKeyId, secretAccessKey },
      endpoint: info.endpoint,
      caFile: info.caFile,
    });
    const factory = createAwsClientFactory([account('good', sentinel.secretAccessKey), account('bad', wrongSecret)]);
    const kube = createKubeAccess({ context: 'logs', kubeconfig: lab.kubeconfigFile });
    const tokenFile = tempFile('eyJfile.token.content'.repeat(5000));
    const { runner, results, lines } = runnerWith((c) => ({ aws: factory.forAccount(c.account, c.region), kube }));
    const roleArn = info.clusters[0]!.roles[0]!;
    const serviceAccount = lab.state.clusters.get('logs')!.credentialsRequests[0]!;

    // Succeeds: a token minted, a role assumed; neither leaves the probe.
    const assume = probe(async (_c, ctx) => {
      const token = await ctx.kube!.createToken(
        { namespace: serviceAccount.secretNamespace, name: serviceAccount.serviceAccounts[0]! },
        ['openshift'],
        600,
      );
      const out = await ctx.aws!.sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: 'logs-test',
          WebIdentityToken: token,
        }),
      );
      expect(out.Credentials?.SessionToken).toBeTruthy();
      return { findings: [] };
    });
    // Fail inside the clients; the runner logs each error.
    const signed = probe(async (_c, ctx) => {
      await ctx.aws!.iam.send(new ListOpenIDConnectProvidersCommand({}));
      return { findings: [] };
    });
    const kubeMissing = probe(async (_c, ctx) => {
      await ctx.kube!.createToken({ namespace: 'nope', name: 'nope' }, ['openshift'], 600);
      return { findings: [] };
    });
    const file = probe(async (_c, ctx) => {
      await ctx.readTokenFile(tokenFile);
      return { findings: [] };
    });
    try {
      await runner.run({ ...cluster('ok'), account: 'good' }, assume);
      await runner.run({ ...cluster('bad-signature'), account: 'bad' }, signed);
      await runner.run({ ...cluster('kube-404'), account: 'good' }, kubeMissing);
      await runner.run({ ...cluster('token-file'), account: 'good' }, file);
    } finally {
      factory.close();
      await lab.close();
    }
    expect(results.map((r) => `${r.cluster}:${r.status}`)).toEqual([
      'ok:ok',
      'bad-signature:unknown',
      'kube-404:unknown',
      'token-file:unknown',
    ]);
    expect(lines.filter((l) => l.includes('"probe failed"'))).toHaveLength(3);
    const log = lines.join('\n');
    expect(log).toContain('SignatureDoesNotMatch');
    const sessions = [...lab.state.sessions.values()];
    expect(sessions).toHaveLength(1);
    for (const secret of [
      sentinel.secretAccessKey,
      wrongSecret,
      info.clusters[0]!.kubeToken,
      ...sessions.flatMap((s) => [s.secretAccessKey, s.sessionToken]),
    ]) {
      expect(log.includes(secret)).toBe(false);
    }
    expect(log).not.toMatch(/eyJ[\w-]{8,}\.[\w-]{8,}\./);
    expect(log).not.toContain('eyJfile');
  });
});
