// npm run bench:issuer — issuer probes per second and agent RSS for 1,000 lab clusters at a given concurrency.
// The lab runs in its own process (as a real issuer would be elsewhere), so RSS is the agent side only.
// BENCH_CLUSTERS (1000), BENCH_CONCURRENCY (32), BENCH_ROUNDS (3).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { createIssuerProbe, ISSUER_PROBE_DEFAULTS } from '../probes/issuer/probe.ts';
import { createHttpFetcher } from '../src/clients/http-fetcher.ts';
import type { ClusterConfig } from '../src/config/types.ts';
import { createRunner } from '../src/scheduler/runner.ts';
import { clusterDefaults } from '../src/config/defaults.ts';

const clusters = Number(process.env.BENCH_CLUSTERS ?? 1000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-issuer-'));
writeFileSync(join(dir, 'fleet.yaml'), `generate: { prefix: bench, count: ${clusters} }\n`);
const lab = spawn(
  process.execPath,
  [join(import.meta.dirname, '../src/cli.ts'), 'lab', '--data-dir', dir, '--fleet', join(dir, 'fleet.yaml')],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const ready = await new Promise<{ endpoint: string; caFile: string; clusters: string[] }>((resolve, reject) => {
  createInterface({ input: lab.stdout }).once('line', (l) => resolve(JSON.parse(l) as never));
  lab.once('exit', (c) => reject(new Error(`lab exited ${c}`)));
});
const caPem = readFileSync(ready.caFile, 'utf8');
const fleet: ClusterConfig[] = ready.clusters.map((name) => ({
  name,
  issuer: `${ready.endpoint}/${name}-oidc`,
  ...clusterDefaults(),
  region: 'us-east-1',
  labels: {},
  caPem,
}));

const http = createHttpFetcher();
const probe = createIssuerProbe(ISSUER_PROBE_DEFAULTS);
const statuses = new Map<string, number>();
const runner = createRunner({
  concurrency,
  http,
  log: pino({ level: 'silent' }),
  previousOf: () => undefined,
  onResult: (r) => void statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1),
  timeoutMsFor: () => 20_000,
});

const rates: number[] = [];
let peakRss = 0;
for (let round = 0; round < rounds; round++) {
  statuses.clear();
  const t0 = performance.now();
  await Promise.all(fleet.map((c) => runner.run(c, probe)));
  const s = (performance.now() - t0) / 1000;
  rates.push(fleet.length / s);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(
    `round ${round + 1}: ${fleet.length} probes in ${s.toFixed(2)} s (${(fleet.length / s).toFixed(0)}/s), statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
  );
}
await http.close();
lab.kill('SIGTERM');
const best = Math.max(...rates);
console.log(
  `issuer probes/s (best of ${rounds}, concurrency ${concurrency}, ${clusters} clusters): ${best.toFixed(0)}`,
);
console.log(`agent RSS peak: ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
