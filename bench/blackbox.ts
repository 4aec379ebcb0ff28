// Prometheus blackbox_exporter (Debian's prometheus-blackbox-exporter) for benchmarks: started on a free port with a
// generated config whose `issuer` module is an http prober for an issuer's discovery document (GET, 200 only, TLS
// verified against the lab CA), and driven through its /probe endpoint as Prometheus would.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { stopChild } from './lab-process.ts';

export const BLACKBOX_EXPORTER = process.env.BENCH_BLACKBOX ?? '/usr/bin/prometheus-blackbox-exporter';

export function blackboxAvailable(): boolean {
  try {
    accessSync(BLACKBOX_EXPORTER, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface Blackbox {
  /** One probe of `target` with the issuer module; true when blackbox_exporter says probe_success 1. */
  probe(target: string): Promise<boolean>;
  readonly pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The module: what STS and the agent's issuer probe require of the discovery document's GET, as far as http does. */
export function blackboxConfig(caFile: string): string {
  return [
    'modules:',
    '  issuer:',
    '    prober: http',
    '    timeout: 5s',
    '    http:',
    '      method: GET',
    '      valid_status_codes: [200]',
    '      fail_if_not_ssl: true',
    '      preferred_ip_protocol: ip4',
    '      ip_protocol_fallback: false',
    '      tls_config:',
    `        ca_file: ${JSON.stringify(caFile)}`,
    '',
  ].join('\n');
}

export async function startBlackbox(opts: { dir: string; caFile: string; connections: number }): Promise<Blackbox> {
  const configFile = join(opts.dir, 'blackbox.yml');
  writeFileSync(configFile, blackboxConfig(opts.caFile));
  const port = await freePort();
  const child: ChildProcess = spawn(
    BLACKBOX_EXPORTER,
    [`--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`blackbox_exporter exited ${code}`))),
  );
  exited.catch(() => undefined);
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: opts.connections });
  for (let i = 0; ; i++) {
    try {
      const res = await Promise.race([pool.request({ path: '/-/healthy', method: 'GET' }), exited]);
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch (err) {
      if (child.exitCode !== null || i > 100) throw err;
    }
    await sleep(50);
  }
  return {
    pid: child.pid!,
    async probe(target) {
      const res = await pool.request({
        path: `/probe?module=issuer&target=${encodeURIComponent(target)}`,
        method: 'GET',
      });
      const text = await res.body.text();
      return res.statusCode === 200 && /^probe_success 1$/m.test(text);
    },
    async stop() {
      await pool.close();
      await stopChild(child);
    },
  };
}
