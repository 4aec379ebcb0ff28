// `npm start` from a clean state: the demo's three clusters show in /api/v1/status within 30 s and the broken one's
// alert reaches the lab's demo receiver; results survive a restart on the same data dir; SIGTERM stops it cleanly.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

interface Status {
  status: string;
  clusters: {
    name: string;
    status: string;
    diagnosis: { code: string; summary: string };
    probes: Record<string, { findings: string[] }>;
  }[];
}

// Exactly what `npm start` runs (read from package.json), started without npm so the signal reaches the agent.
const START = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts
  .start;

function npmStart(dataDir: string) {
  const [cmd, ...args] = START.split(' ');
  expect(cmd).toBe('node');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, IRSA_SENTINEL_PORT: '0', IRSA_SENTINEL_DATA_DIR: dataDir, CI: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const messages: string[] = [];
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string };
        if (rec.msg) messages.push(rec.msg);
        if (rec.msg?.startsWith('irsa-sentinel serving') && rec.url) resolve(rec.url);
      } catch {
        // not a log line (npm's own warnings)
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  const exited = new Promise<string[]>((resolve) => child.once('exit', () => resolve(messages)));
  return { child, url, exited };
}

async function status(url: string): Promise<Status> {
  const res = await request(`${url}/api/v1/status`);
  return (await res.body.json()) as Status;
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let last = await fn();
  while (!ok(last) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    last = await fn();
  }
  return last;
}

describe('npm start (serve --config config/demo.yaml)', () => {
  it(
    'shows the three demo clusters, every probe and one diagnosis each within 45 s, keeps them across a restart',
    { timeout: 90_000 },
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'irsa-serve-'));
      const first = npmStart(dataDir);
      const url = await first.url;
      const ready = await request(`${url}/readyz`);
      expect(ready.statusCode).toBe(200);
      await ready.body.dump();

      const s = await until(
        () => status(url),
        (v) => v.clusters.length === 3 && v.clusters.every((c) => Object.keys(c.probes).length === 5),
        45_000,
      );
      const by = Object.fromEntries(s.clusters.map((c) => [c.name, c]));
      expect(Object.keys(by).sort()).toEqual(['healthy', 'slow-issuer', 'vpce-locked']);
      expect(by.healthy?.status).toBe('ok');
      expect(by['vpce-locked']?.status).toBe('fail');
      expect(by['vpce-locked']?.probes.issuer?.findings).toEqual(['ISSUER_HTTP_ERROR']);
      expect(by['slow-issuer']?.probes.issuer?.findings).toEqual(['ISSUER_SLOW']);
      expect(s.status).toBe('fail');
      expect(by['vpce-locked']?.probes.bucket?.findings).toEqual([
        'BUCKET_POLICY_LOCKS_OUT_AGENT',
        'BUCKET_ANONYMOUS_READ_DENIED',
      ]);
      expect(Object.fromEntries(s.clusters.map((c) => [c.name, c.diagnosis.code]))).toEqual({
        healthy: 'HEALTHY',
        'vpce-locked': 'BUCKET_POLICY_DENIES_STS',
        'slow-issuer': 'ISSUER_TOO_SLOW',
      });
      expect(by['vpce-locked']?.diagnosis.summary).toMatch(
        /^Every role \(7\) fails with Couldn't retrieve verification key because statement Access-to-specific-VPCE-only \(changed by arn:aws:iam::\d{12}:user\/alice at /,
      );

      // Alerts flow to the lab's demo receiver: the broken cluster's root cause, delivered once.
      const alerts = await until(
        async () => {
          const res = await request(`${url}/api/v1/alerts`);
          return (await res.body.json()) as {
            firing: { cluster: string; code: string; deliveries: { sink: string; kind: string; status: string }[] }[];
          };
        },
        (a) => a.firing.some((f) => f.cluster === 'vpce-locked' && f.deliveries.some((d) => d.status === 'delivered')),
        30_000,
      );
      expect(alerts.firing.find((f) => f.cluster === 'vpce-locked')).toMatchObject({
        code: 'BUCKET_POLICY_DENIES_STS',
        deliveries: [{ sink: 'demo-receiver', kind: 'trigger', status: 'delivered' }],
      });
      expect(alerts.firing.map((f) => f.cluster)).not.toContain('healthy');

      first.child.kill('SIGTERM');
      expect(await first.exited).toEqual(expect.arrayContaining(['stopping', 'probe runs drained']));

      // Restart on the same data dir: the history is still there before any new run.
      const second = npmStart(dataDir);
      const url2 = await second.url;
      const history = await request(`${url2}/api/v1/clusters/vpce-locked/history?probe=issuer`);
      const body = (await history.body.json()) as { results: { status: string }[] };
      expect(body.results.length).toBeGreaterThanOrEqual(1);
      expect(body.results[0]?.status).toBe('fail');
      second.child.kill('SIGTERM');
      expect(await second.exited).toContain('probe runs drained');
    },
  );
});
