// `irsa-sentinel lab` as a user runs it: one JSON line when ready, the control API over HTTPS, clean SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab } from '../helpers/lab.ts';

const CLI = join(import.meta.dirname, '../../src/cli.ts');

interface Ready {
  event: string;
  endpoint: string;
  caFile: string;
  clusters: string[];
  controlToken: string;
  controlTokenFile: string;
  s3controlProxy: string;
  s3controlEndpoint: string;
}

function runLab(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'lab', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const rl = createInterface({ input: child.stdout });
  const ready = new Promise<Ready>((resolve, reject) => {
    rl.on('line', (line) => {
      lines.push(line);
      if (lines.length === 1) resolve(JSON.parse(line) as Ready);
    });
    child.once('exit', (code) => reject(new Error(`lab exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited, lines, stderr: () => stderr };
}

/** `irsa-sentinel check --config FILE --json`: exit code and stdout. */
function check(config: string): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [CLI, 'check', '--config', config, '--json'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout })));
}

describe('irsa-sentinel lab', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'irsa-cli-lab-'));
  const fleet = join(dataDir, 'fleet.yaml');
  writeFileSync(
    fleet,
    'clusters:\n  - name: alpha\n  - name: beta\n    faults:\n      - fault: issuer-error\n        status: 500\n',
  );
  let lab: ReturnType<typeof runLab>;
  let ready: Ready;
  let ca: Agent;

  beforeAll(async () => {
    lab = runLab(['--port', '0', '--data-dir', dataDir, '--fleet', fleet]);
    ready = await lab.ready;
    ca = new Agent({ connect: { ca: readFileSync(ready.caFile, 'utf8') } });
  });
  afterAll(() => {
    lab?.child.kill('SIGKILL');
  });

  /** The control API with the token the lab-ready line gave (documents and S3 GETs need none). */
  const call = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => {
    const res = await request(`${ready.endpoint}${path}`, {
      method,
      dispatcher: ca,
      headers: {
        ...(path.startsWith('/_lab/') ? { authorization: `Bearer ${ready.controlToken}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.body.text();
    return { status: res.statusCode, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };

  it('prints exactly one lab-ready JSON line naming the endpoint, CA file, clusters, control token and proxy', () => {
    expect(ready).toMatchObject({
      event: 'lab-ready',
      caFile: join(dataDir, 'ca.pem'),
      clusters: ['alpha', 'beta'],
      controlTokenFile: join(dataDir, 'control-token'),
    });
    expect(ready.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.controlToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(ready.controlTokenFile, 'utf8')).toBe(ready.controlToken);
    expect(ready.s3controlProxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.s3controlEndpoint).toBe(ready.endpoint.replace('127.0.0.1', 'localhost'));
    expect(lab.lines).toHaveLength(1);
  });

  it('refuses the control API without its token: 401 naming the problem, never echoing what was sent', async () => {
    const bare = await request(`${ready.endpoint}/_lab/v1/info`, { dispatcher: ca });
    expect(bare.statusCode).toBe(401);
    expect(await bare.body.json()).toMatchObject({ error: { code: 'MissingToken' } });
    const wrong = await request(`${ready.endpoint}/_lab/v1/faults`, {
      method: 'DELETE',
      dispatcher: ca,
      headers: { authorization: 'Bearer not-the-token-0123456789' },
    });
    expect(wrong.statusCode).toBe(401);
    const text = await wrong.body.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'InvalidToken' } });
    expect(text).not.toContain('not-the-token');
  });

  it('serves info with the documented field names', async () => {
    const info = (await call('GET', '/_lab/v1/info')).json();
    expect(Object.keys(info).sort()).toEqual([
      'accountId',
      'caFile',
      'clusters',
      'endpoint',
      'region',
      's3controlEndpoint',
      's3controlProxy',
      'users',
    ]);
    expect(info).toMatchObject({ s3controlProxy: ready.s3controlProxy, s3controlEndpoint: ready.s3controlEndpoint });
    const alpha = (info.clusters as Record<string, unknown>[])[0]!;
    expect(Object.keys(alpha).sort()).toEqual([
      'bucket',
      'issuer',
      'kubeApi',
      'kubeToken',
      'name',
      'oidcProviderArn',
      'roles',
      'topology',
    ]);
    expect(alpha).toMatchObject({ name: 'alpha', bucket: 'alpha-oidc', issuer: `${ready.endpoint}/alpha-oidc` });
    expect((info.users as { name: string; arn: string }[]).map((u) => [u.name, u.arn])).toEqual([
      ['alice', 'arn:aws:iam::111122223333:user/alice'],
      ['sentinel', 'arn:aws:iam::111122223333:user/sentinel'],
      ['nobody', 'arn:aws:iam::111122223333:user/nobody'],
      ['root', 'arn:aws:iam::111122223333:root'],
    ]);
  });

  it('applied the fleet file faults at start, lists them, and heals with DELETE', async () => {
    const doc = '/beta-oidc/.well-known/openid-configuration';
    expect((await call('GET', doc)).status).toBe(500);
    const faults = (await call('GET', '/_lab/v1/faults')).json();
    expect(faults.active).toMatchObject([{ cluster: 'beta', fault: 'issuer-error', params: { status: 500 } }]);
    expect((faults.available as { fault: string }[]).map((f) => f.fault)).toContain('rotate-key-unpublished');
    expect((await call('DELETE', '/_lab/v1/faults')).json()).toEqual({ active: [] });
    expect((await call('GET', doc)).status).toBe(200);
  });

  it('applies a fault by POST and names what is wrong in a bad request', async () => {
    const created = await call('POST', '/_lab/v1/faults', { cluster: 'alpha', fault: 'bucket-policy-deleted' });
    expect(created.status).toBe(201);
    expect((await call('GET', '/alpha-oidc/keys.json')).status).toBe(403);
    const unknownFault = await call('POST', '/_lab/v1/faults', { cluster: 'alpha', fault: 'nope' });
    expect(unknownFault.status).toBe(400);
    expect(unknownFault.json()).toMatchObject({ error: { code: 'UnknownFault' } });
    const unknownCluster = await call('POST', '/_lab/v1/faults', { cluster: 'gamma', fault: 'issuer-down' });
    expect(unknownCluster.json()).toMatchObject({
      error: { code: 'UnknownCluster', message: expect.stringContaining('alpha') },
    });
    const notJson = await call('POST', '/_lab/v1/faults', 'not an object');
    expect(notJson.status).toBe(400);
    const badParam = await call('POST', '/_lab/v1/faults', { cluster: 'alpha', fault: 'issuer-error', status: 200 });
    expect(badParam.json()).toMatchObject({
      error: { code: 'InvalidParameter', message: expect.stringContaining('status') },
    });
    await call('DELETE', '/_lab/v1/faults');
  });

  it('serves a kubeconfig with one context per cluster', async () => {
    const { parse } = await import('yaml');
    const kc = parse((await call('GET', '/_lab/v1/kubeconfig')).text) as { contexts: { name: string }[] };
    expect(kc.contexts.map((c) => c.name)).toEqual(['alpha', 'beta']);
  });

  it('serves an agent config with which `irsa-sentinel check` watches the lab as a real setup would', async () => {
    const res = await call('GET', '/_lab/v1/agent-config');
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('lab:');
    const file = join(dataDir, 'agent.yaml');
    writeFileSync(file, res.text);
    const healthy = await check(file);
    expect(healthy.code).toBe(0);
    const report = JSON.parse(healthy.stdout) as {
      status: string;
      results: { cluster: string; probe: string; status: string }[];
    };
    expect(report.status, healthy.stdout).toBe('ok');
    expect(report.results.map((r) => `${r.cluster}/${r.probe}:${r.status}`).sort()).toEqual(
      ['alpha', 'beta'].flatMap((c) => ['bucket', 'cloudtrail', 'issuer', 'jwks', 'roles'].map((p) => `${c}/${p}:ok`)),
    );

    await call('POST', '/_lab/v1/faults', { cluster: 'alpha', fault: 'bucket-policy-deleted' });
    const broken = await check(file);
    expect(broken.code).toBe(1);
    const after = JSON.parse(broken.stdout) as {
      diagnoses: { cluster: string; code: string; summary: string }[];
      results: { cluster: string; probe: string; findings: { code: string }[] }[];
    };
    const codesOf = (cluster: string, probe: string) =>
      after.results.find((r) => r.cluster === cluster && r.probe === probe)?.findings.map((f) => f.code);
    expect(codesOf('alpha', 'issuer')).toEqual(['ISSUER_HTTP_ERROR']);
    expect(new Set(codesOf('alpha', 'roles'))).toEqual(new Set(['ASSUME_KEY_RETRIEVAL_FAILED']));
    expect(codesOf('beta', 'roles')).toEqual([]);
    expect(codesOf('alpha', 'bucket')).toEqual(['BUCKET_POLICY_MISSING']);
    const alpha = after.diagnoses.find((d) => d.cluster === 'alpha');
    expect(alpha?.code).toBe('BUCKET_POLICY_DELETED');
    expect(alpha?.summary).toMatch(
      /^Every role \(7\) fails with Couldn't retrieve verification key because the bucket alpha-oidc has no policy \(deleted by arn:aws:iam::\d{12}:user\/alice at /,
    );
    expect(after.diagnoses.find((d) => d.cluster === 'beta')?.code).toBe('HEALTHY');
    await call('DELETE', '/_lab/v1/faults');
  });

  it('stops cleanly on SIGTERM', async () => {
    lab.child.kill('SIGTERM');
    expect(await lab.exited).toBe(0);
  });
});

describe('irsa-sentinel lab with a bad fleet file', () => {
  it('exits 2 naming the file and the key path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'irsa-cli-lab-bad-'));
    const fleet = join(dir, 'fleet.yaml');
    writeFileSync(fleet, 'clusters:\n  - name: Not_Valid\n');
    const lab = runLab(['--data-dir', dir, '--fleet', fleet]);
    lab.ready.catch(() => undefined);
    expect(await lab.exited).toBe(2);
    expect(lab.stderr()).toContain(`${fleet}: clusters.0.name:`);
  });

  it('exits 2 on a bad port', async () => {
    const lab = runLab(['--port', 'http']);
    lab.ready.catch(() => undefined);
    expect(await lab.exited).toBe(2);
    expect(lab.stderr()).toContain('must be a port number');
  });
});

describe('irsa-sentinel lab and serve on a port already taken', () => {
  let running: Lab;
  const files = () =>
    ['ca.pem', 'control-token', 'kubeconfig'].map((f) => {
      const path = join(running.dataDir, f);
      return [f, readFileSync(path, 'utf8'), statSync(path).mtimeMs];
    });

  beforeAll(async () => {
    running = await startTestLab({ fleet: { clusters: [{ name: 'one' }], keyPool: 1 } });
  });
  afterAll(async () => {
    await running?.close();
  });

  it('lab: exits 2 with one line naming the port and --port, before touching the running lab files', async () => {
    const port = new URL(running.endpoint).port;
    const before = files();
    const second = runLab(['--port', port, '--data-dir', running.dataDir]);
    second.ready.catch(() => undefined);
    expect(await second.exited).toBe(2);
    expect(second.stderr()).toBe(
      `irsa-sentinel lab: port ${port} on 127.0.0.1 is already in use (another lab?); choose another with --port N (--port 0 picks a free one)\n`,
    );
    expect(second.lines).toEqual([]);
    expect(files()).toEqual(before);
  });

  it('serve: exits 2 with one line naming the port and lab.port, before touching the running lab files', async () => {
    const port = new URL(running.endpoint).port;
    const before = files();
    const dir = mkdtempSync(join(tmpdir(), 'irsa-cli-serve-port-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'server:',
        '  port: 0',
        'storage:',
        `  dataDir: ${join(dir, 'data')}`,
        'lab:',
        `  port: ${port}`,
        `  dataDir: ${running.dataDir}`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toBe(
      `irsa-sentinel serve: lab port ${port} on 127.0.0.1 is already in use (another lab?); set lab.port in the config (0 picks a free one)\n`,
    );
    expect(files()).toEqual(before);
  });
});
