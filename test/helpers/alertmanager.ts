// A real Prometheus Alertmanager (Debian's prometheus-alertmanager, 0.25) on a free loopback port, with a null
// receiver: what the agent posts is read back through Alertmanager's own API v2.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';

export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

/** Fail loudly rather than skip: CI (.ci/run) installs Debian's prometheus-alertmanager. */
export function requireAlertmanager(): void {
  try {
    accessSync(ALERTMANAGER, constants.X_OK);
  } catch {
    throw new Error(`${ALERTMANAGER} is missing: apt-get install prometheus-alertmanager (CI's .ci/run does)`);
  }
}

export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  status: { state: string };
}

export interface Alertmanager {
  url: string;
  /** GET /api/v2/alerts: the alerts it holds as active (resolved ones are not listed). */
  alerts(): Promise<GettableAlert[]>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startAlertmanager(): Promise<Alertmanager> {
  requireAlertmanager();
  const dir = mkdtempSync(join(tmpdir(), 'irsa-am-'));
  writeFileSync(join(dir, 'am.yml'), "route:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    ALERTMANAGER,
    [
      `--config.file=${join(dir, 'am.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await request(`${url}/-/ready`);
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`alertmanager did not become ready: ${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async alerts() {
      const res = await request(`${url}/api/v2/alerts`);
      return (await res.body.json()) as GettableAlert[];
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
