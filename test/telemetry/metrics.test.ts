// /metrics in Prometheus exposition: real promtool accepts it, and a real Prometheus started here scrapes the agent
// and answers a probe_success query about the lab's clusters (Debian package `prometheus`, installed by .ci/run).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.ts';
import type { Agent } from '../../src/agent.ts';
import { loadText, tempDir } from '../config/temp-config.ts';

const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';

let agent: Agent;
let api: FastifyInstance;
let base: string;
let prometheus: ChildProcess | undefined;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  for (const tool of [PROMTOOL, PROMETHEUS])
    if (!existsSync(tool)) throw new Error(`${tool} is missing: install Debian's prometheus package (.ci/run does)`);
  const config = loadText(
    `lab:\n  dataDir: ${tempDir()}\n  fleet:\n    keyPool: 1\n    clusters:\n      - name: fine\n      - name: locked\n        faults:\n          - fault: bucket-policy-deny-non-vpce\nstorage:\n  inMemory: true\nserver:\n  port: 0\n`,
  );
  agent = await createAgent(config, pino({ level: 'silent' }));
  await agent.scheduler.runOnce();
  api = await agent.api();
  await api.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(api.server.address() as { port: number }).port}`;
}, 90_000);

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  await api?.close();
  await agent?.stop();
});

describe('/metrics', () => {
  it('is Prometheus exposition that promtool check metrics accepts, with the documented names and labels', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);
    expect(text).toMatch(/^probe_success\{cluster="fine",probe="issuer"\} 1$/m);
    expect(text).toMatch(/^probe_success\{cluster="locked",probe="bucket"\} 0$/m);
    expect(text).toMatch(/^probe_duration_seconds\{cluster="fine",probe="roles"\} \d/m);
    expect(text).toMatch(/^probe_ssl_earliest_cert_expiry\{cluster="fine"\} \d{10}/m);
    expect(text).toMatch(/^irsa_sentinel_cluster_status\{cluster="locked",status="fail"\} 1$/m);
    expect(text).toMatch(
      /^irsa_sentinel_cluster_diagnosis_info\{cluster="locked",code="BUCKET_POLICY_DENIES_STS",status="fail"\} 1$/m,
    );
    expect(text).toMatch(
      /^irsa_sentinel_findings\{cluster="locked",probe="bucket",code="BUCKET_ANONYMOUS_READ_DENIED",severity="fail"\} 1$/m,
    );
    expect(text).toMatch(/^irsa_sentinel_probe_results_total\{probe="issuer",status="ok"\} 1$/m);
    expect(text).toMatch(/^irsa_sentinel_probe_stale\{cluster="fine",probe="jwks"\} 0$/m);
    expect(text).toMatch(/^irsa_sentinel_scheduler_lag_seconds_count \d+$/m);
    expect(text).toMatch(/^irsa_sentinel_runs_in_flight 0$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
  });

  it('is scraped by a real Prometheus, whose API then answers a probe_success query', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'irsa-prom-'));
    const target = new URL(base).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: irsa-sentinel\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const query = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('probe_success{probe="bucket"}')}`;
    let series: { metric: Record<string, string>; value: [number, string] }[] = [];
    for (let i = 0; i < 100 && series.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        const body = (await (await fetch(query)).json()) as { data?: { result?: typeof series } };
        series = body.data?.result ?? [];
      } catch {
        // Prometheus is still starting.
      }
    }
    const byCluster = Object.fromEntries(series.map((s) => [s.metric.cluster, s.value[1]]));
    expect(byCluster).toEqual({ fine: '1', locked: '0' });
    expect(series[0]?.metric).toMatchObject({ job: 'irsa-sentinel', probe: 'bucket' });
  });
});
