// Secrets planted where whoever writes the issuer's bucket, runs a cluster's API or answers for AWS can put them: a
// service-account JWT, a cut-off JWT, an OpenShift token, a PEM private key, an AWS secret key (credentials-file and
// STS XML forms) and a session token, in a malformed kubeconfig, the discovery document, the JWKS, AWS and Kubernetes
// error messages (and from there evidence). None of them reaches a log line (at trace level), an API response, the
// store's files or `check --json`; every result is still stored, with the cluster's true status.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createAgent } from '../../src/agent.ts';
import { loadConfig } from '../../src/config/load.ts';
import { OPEN_ACCESS } from '../helpers/api-access.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { agentConfigYaml } from '../../src/lab-adapter.ts';
import { signServiceAccountToken } from '../../src/lab/clusters.ts';
import type { Lab } from '../../src/lab/index.ts';
import { createLabTls } from '../../src/lab/tls.ts';
import { createLogger } from '../../src/logger.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { hostileServer, leakIn, plantedSecrets } from '../helpers/hostile.ts';
import type { PlantedSecrets } from '../helpers/hostile.ts';
import { sdkConfig, startTestLab } from '../helpers/lab.ts';

const ROOT = join(import.meta.dirname, '../..');
/** doc: hostile discovery document; keys: hostile JWKS; errors: AWS and cluster API answer hostile errors; kubecfg: a
 * malformed kubeconfig holding tokens and a key. */
const CLUSTERS = ['doc', 'keys', 'errors', 'kubecfg'];

let lab: Lab;
let hostile: Server;
let planted: PlantedSecrets;
let dir: string;
let configFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'irsa-hostile-'));
  lab = await startTestLab({ fleet: { clusters: CLUSTERS.map((name) => ({ name })), keyPool: 1 } });
  const { token } = await signServiceAccountToken(lab.state.clusters.get('doc')!, {
    namespace: 'openshift-ingress-operator',
    serviceAccount: 'ingress-operator',
    audiences: ['openshift'],
    expirationSeconds: 600,
  });
  planted = plantedSecrets(token);

  // The bucket's writer plants them in the discovery document's issuer and in a kid of the JWKS.
  const s3 = new S3Client({ ...sdkConfig(lab, 'alice'), forcePathStyle: true });
  const edit = async (bucket: string, key: string, change: (doc: Record<string, unknown>) => void) => {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const doc = JSON.parse(await got.Body!.transformToString()) as Record<string, unknown>;
    change(doc);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(doc) }));
  };
  await edit('doc-oidc', '.well-known/openid-configuration', (d) => {
    d.issuer = `${String(d.issuer)}#${planted.text}`;
  });
  await edit('keys-oidc', 'keys.json', (d) => {
    (d.keys as unknown[]).push({ kty: 'RSA', kid: planted.text, n: 'AQAB', e: 'AQAB', alg: 'RS256' });
  });
  s3.destroy();

  // AWS and the cluster API of `errors` answer with errors that carry them.
  const tls = await createLabTls(join(dir, 'hostile'));
  const h = await hostileServer(tls, () => planted.text);
  hostile = h.server;
  const kubeconfig = join(dir, 'errors.kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      clusters: [
        {
          name: 'errors',
          cluster: {
            server: `${h.url}/k8s`,
            'certificate-authority-data': Buffer.from(tls.caPem).toString('base64'),
          },
        },
      ],
      users: [{ name: 'u', user: { token: 'hostile-test-token' } }],
      contexts: [{ name: 'errors', context: { cluster: 'errors', user: 'u' } }],
    }),
  );
  configFile = writeConfig(h.url, tls.caFile, kubeconfig, malformedKubeconfig());
}, 60_000);

afterAll(async () => {
  hostile?.closeAllConnections();
  await new Promise((r) => hostile?.close(r));
  await lab?.close();
});

/** A kubeconfig with tokens and a key right before a YAML error: what a parser's message would quote. */
function malformedKubeconfig(): string {
  const file = join(dir, 'kubecfg.kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'users:',
      '- name: admin',
      '  user:',
      ...planted.text.split('\n').map((line) => `    # ${line}`),
      `    token: ${planted.needles['kube token']![0]}`,
      `    client-key-data: ${Buffer.from(planted.text).toString('base64')}`,
      '   broken: indentation',
      '',
    ].join('\n'),
  );
  return file;
}

/** The lab's own agent config with the hostile account, the hostile cluster API and the malformed kubeconfig. */
function writeConfig(endpoint: string, caFile: string, errorsKubeconfig: string, badKubeconfig: string): string {
  const config = parse(agentConfigYaml(lab.info(), lab.kubeconfigFile)) as {
    accounts: Record<string, unknown>[];
    clusters: Record<string, unknown>[];
  };
  config.accounts.push({
    name: 'hostile',
    id: '444455556666',
    credentials: { source: 'static', accessKeyId: 'AKIAHOSTILEEXAMPLE00', secretAccessKey: 'not-a-real-key' },
    endpoint,
    caFile,
  });
  for (const c of config.clusters) {
    if (c.name === 'errors')
      Object.assign(c, { account: 'hostile', kube: { context: 'errors', kubeconfig: errorsKubeconfig } });
    if (c.name === 'kubecfg') c.kube = { context: 'kubecfg', kubeconfig: badKubeconfig };
  }
  const file = join(dir, 'config.yaml');
  // Every surface public: the test reads the detail routes, and asks what they show, not who may read them.
  const server = { ...(config as { server?: object }).server, access: OPEN_ACCESS };
  writeFileSync(file, stringify({ ...config, server, storage: { dataDir: join(dir, 'data') } }));
  return file;
}

const resultOf = (results: ProbeResult[], cluster: string, probe: string) =>
  results.find((r) => r.cluster === cluster && r.probe === probe);
const codesOf = (r: ProbeResult | undefined) => r?.findings.map((f) => f.code) ?? [];

/** The true state of each hostile cluster, as every output must still show it. */
function expectTrueStatus(results: ProbeResult[]): void {
  const docIssuer = resultOf(results, 'doc', 'issuer');
  expect(docIssuer?.status).toBe('fail');
  expect(codesOf(docIssuer)).toContain('DISCOVERY_ISSUER_MISMATCH');
  const keysIssuer = resultOf(results, 'keys', 'issuer');
  expect(keysIssuer?.status).toBe('fail');
  expect(codesOf(keysIssuer)).toContain('JWKS_INVALID');
  expect(resultOf(results, 'errors', 'bucket')?.status).toBe('unknown');
  expect(codesOf(resultOf(results, 'errors', 'bucket'))).toContain('BUCKET_ACCESS_UNKNOWN');
  expect(codesOf(resultOf(results, 'errors', 'jwks'))).toContain('AWS_PERMISSION_MISSING');
  expect(codesOf(resultOf(results, 'errors', 'roles'))).toContain('ROLES_SOURCE_INVALID');
  const kubeJwks = resultOf(results, 'kubecfg', 'jwks')?.findings.find((f) => f.code === 'SIGNING_KEYS_UNAVAILABLE');
  expect(kubeJwks?.message).toMatch(/kubecfg\.kubeconfig is not valid YAML: [A-Z_]+ at line \d+, column \d+/);
  // The planted text reached these results, and was replaced there.
  for (const [cluster, probe] of [
    ['doc', 'issuer'],
    ['keys', 'issuer'],
    ['errors', 'bucket'],
    ['errors', 'roles'],
  ] as const)
    expect(JSON.stringify(resultOf(results, cluster, probe)), `${cluster} ${probe}`).toContain('[REDACTED:');
}

describe('planted secrets never leave the agent', () => {
  it(
    'not through the logs, the API or the store, and every result is stored with its status',
    { timeout: 120_000 },
    async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      const agent = await createAgent(loadConfig(configFile), createLogger('trace', { stream: sink }));
      const results = await agent.scheduler.runOnce();
      expect(new Set(results.map((r) => r.cluster))).toEqual(new Set(CLUSTERS));

      const api = await agent.api();
      const bodies: string[] = [];
      for (const name of CLUSTERS)
        for (const url of [
          '/api/v1/status',
          `/api/v1/clusters/${name}`,
          `/api/v1/clusters/${name}/history`,
          `/api/v1/clusters/${name}/roles`,
        ]) {
          const res = await api.inject({ method: 'GET', url });
          expect(res.statusCode, url).toBe(200);
          bodies.push(res.body);
        }
      await api.close();
      await agent.stop();

      const store = openSqliteStore({ dataDir: join(dir, 'data') });
      const stored = store.latest();
      expect(stored).toHaveLength(results.length);
      expectTrueStatus(stored);
      expect(store.diagnosis('doc')?.code).toBe('ISSUER_MISMATCH');
      store.close();
      const dataDir = join(dir, 'data');
      const storeFiles = readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f)).toString('latin1'));

      expect(lines.some((l) => l.includes('secret-looking text redacted from a result'))).toBe(true);
      for (const [where, texts] of [
        ['log', lines],
        ['API', bodies],
        ['store', storeFiles],
      ] as const) {
        expect(texts.join('').length, where).toBeGreaterThan(0);
        for (const text of texts) expect(leakIn(text, planted), `a planted secret in the ${where}`).toBeUndefined();
      }
    },
  );

  it('not through any log line: messages, errors (message, stack, cause) and fields at any depth', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger('trace', { stream: sink }).child({ component: 'test' });
    const err = new Error(`cannot load: ${planted.text}`, { cause: new Error(planted.text) });
    log.trace({ evidence: { nested: [planted.text] } }, planted.text);
    log.warn({ err }, 'probe failed');
    log.error(`interpolated %s`, planted.text);
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(leakIn(line, planted), line.slice(0, 200)).toBeUndefined();
      expect(line).toContain('[REDACTED:');
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
  });

  it(
    'not through check --json (nor its log on stderr), which shows the true status',
    { timeout: 120_000 },
    async () => {
      const child = spawn(process.execPath, ['src/cli.ts', 'check', '--config', configFile, '--json'], {
        cwd: ROOT,
        env: { ...process.env, IRSA_SENTINEL_LOG_LEVEL: 'trace', CI: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, stderr.slice(0, 2000)).toBe(1);
      const out = JSON.parse(stdout) as {
        status: string;
        diagnoses: { cluster: string; code: string }[];
        results: ProbeResult[];
      };
      expect(out.status).toBe('fail');
      expectTrueStatus(out.results);
      expect(out.diagnoses.find((d) => d.cluster === 'doc')?.code).toBe('ISSUER_MISMATCH');
      expect(leakIn(stdout, planted), 'a planted secret in check --json').toBeUndefined();
      expect(leakIn(stderr, planted), 'a planted secret in the log of check').toBeUndefined();
    },
  );
});
