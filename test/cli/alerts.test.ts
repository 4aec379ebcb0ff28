// `irsa-sentinel alerts` (the store's alerts with their deliveries, a table or --json) and `irsa-sentinel test-alert
// --sink NAME` (exit 0 delivered, 1 not, 2 usage), run as the CLI runs; neither prints a sink URL.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { firingAlert, tempStoreDir } from '../alerts/fixtures.ts';
import { startReceiver } from '../helpers/receiver.ts';
import type { Receiver } from '../helpers/receiver.ts';

const CLI = join(import.meta.dirname, '../../src/cli.ts');

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function configFile(dataDir: string, sinks: string): string {
  const file = join(dataDir, 'config.yaml');
  writeFileSync(
    file,
    `clusters:\n  - name: prod-east\n    issuer: https://prod-east-oidc.s3.us-east-1.amazonaws.com\nstorage:\n  dataDir: ${dataDir}\nalerts:\n  sinks:\n${sinks}`,
  );
  return file;
}

describe('irsa-sentinel alerts', () => {
  it('lists firing and recently resolved alerts with their deliveries; --json too', async () => {
    const dir = tempStoreDir();
    const store = openSqliteStore({ dataDir: dir });
    const alerts = store.alertStore();
    const [a] = alerts.write(
      [{ alert: firingAlert(), notifications: [{ sink: 'hook', kind: 'trigger', dedupKey: 'k' }] }],
      new Date(),
    );
    const [n] = alerts.notificationsOf([a!.id]);
    alerts.recordAttempt(n!.id, {
      outcome: { ok: true, retryable: false, httpStatus: 200, message: 'HTTP 200' },
      label: 'delivered',
      status: 'delivered',
      at: new Date(),
      durationMs: 5,
    });
    const old = new Date(Date.now() - 3_600_000).toISOString();
    alerts.write(
      [
        {
          alert: {
            ...firingAlert('prod-west', 'ISSUER_TOO_SLOW'),
            severity: 'warning',
            state: 'resolved',
            resolvedAt: old,
          },
          notifications: [],
        },
      ],
      new Date(),
    );
    store.close();
    const config = configFile(
      dir,
      '    - {name: hook, type: webhook, url: "https://hooks.example.com/secret-token-abcdef0123"}\n',
    );

    const text = await run(['alerts', '-c', config]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^FIRING {3}critical prod-east BUCKET_POLICY_DENIES_STS \(since /m);
    expect(text.stdout).toContain('changed by arn:aws:iam::111122223333:user/alice');
    expect(text.stdout).toContain('-> hook trigger delivered after 1 attempt(s): HTTP 200');
    expect(text.stdout).toMatch(/^RESOLVED warning {2}prod-west ISSUER_TOO_SLOW \(resolved /m);
    expect(text.stdout + text.stderr).not.toContain('secret-token');

    const json = await run(['alerts', '-c', config, '--json']);
    const body = JSON.parse(json.stdout) as {
      firing: { cluster: string; deliveries: unknown[] }[];
      recent: { code: string }[];
    };
    expect(body.firing).toMatchObject([
      { cluster: 'prod-east', summary: expect.any(String), deliveries: [{ sink: 'hook', status: 'delivered' }] },
    ]);
    expect(body.recent.map((r) => r.code)).toEqual(['ISSUER_TOO_SLOW']);
  });

  it('says so when there are none', async () => {
    const dir = tempStoreDir();
    const res = await run(['alerts', '-c', configFile(dir, '    []\n')]);
    expect(res).toMatchObject({ code: 0, stdout: 'no alerts\n' });
  });
});

describe('irsa-sentinel test-alert', () => {
  it('sends the sample through the sink and exits 0, naming the sink, never its URL', async () => {
    receiver = await startReceiver();
    const dir = tempStoreDir();
    const config = configFile(
      dir,
      `    - {name: hook, type: webhook, url: "${receiver.url}/hook-secret-0123456789abcdef", secret: "hmac-secret-0123456789"}\n`,
    );
    const res = await run(['test-alert', '-c', config, '--sink', 'hook']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('ok: the test alert reached sink hook (webhook, HTTP 200)\n');
    expect(receiver.received).toHaveLength(1);
    expect(receiver.json(0)).toMatchObject({ version: 1, kind: 'test' });
    expect(receiver.received[0]!.headers['x-irsa-sentinel-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it('exits 1 when the sink refuses, 2 for an unknown sink', async () => {
    receiver = await startReceiver(() => ({ status: 500 }));
    const dir = tempStoreDir();
    const config = configFile(
      dir,
      `    - {name: hook, type: slack, url: "${receiver.url}/services/T0/B0/slacksecret0123456789"}\n`,
    );
    const failed = await run(['test-alert', '-c', config, '--sink', 'hook']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('failed: sink hook (slack): the receiver answered HTTP 500 (HTTP 500, HTTP_500)\n');
    expect(failed.stdout + failed.stderr).not.toContain('slacksecret');
    const unknown = await run(['test-alert', '-c', config, '--sink', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('SINK_NOT_FOUND: no sink named "nope" (sinks: hook)');
  });
});
