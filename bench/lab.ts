// npm run bench:lab — the lab's start time and memory per fleet size (each start a separate `irsa-sentinel lab`
// process, timed to its lab-ready line; RSS then, and its peak), and anonymous GETs per second of an issuer document.
// Best of BENCH_ROUNDS (3) starts per size. BENCH_SIZES (3,100,1000,3000), BENCH_ADDRESSES (shared,distinct),
// BENCH_SECONDS (10), BENCH_CONNECTIONS (20).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import autocannon from 'autocannon';
import { startLab } from '../src/lab/index.ts';
import { mib, startLabProcess } from './lab-process.ts';

const sizes = (process.env.BENCH_SIZES ?? '3,100,1000,3000').split(',').map(Number);
const addressModes = (process.env.BENCH_ADDRESSES ?? 'shared,distinct').split(',');
const duration = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

/** One start of `irsa-sentinel lab` with this fleet: seconds to the lab-ready line, RSS then and at its peak. */
async function start(fleet: string): Promise<{ seconds: number; rss: number; peak: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-lab-bench-'));
  try {
    const lab = await startLabProcess({ dataDir: dir, fleet });
    const { rss, peak } = lab.memory();
    await lab.stop();
    return { seconds: lab.startMs / 1000, rss, peak };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const line = (k: string, v: string): void => console.log(`${k.padEnd(48)} ${v}`);

for (const mode of addressModes) {
  for (const count of sizes) {
    const fleet = `${mode === 'distinct' ? 'issuerAddresses: distinct\n' : ''}generate: { prefix: bench, count: ${count} }\n`;
    const runs = [];
    for (let i = 0; i < rounds; i++) runs.push(await start(fleet));
    const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const rss = runs.map((r) => r.rss).sort((a, b) => a - b);
    line(
      `lab start, ${count} clusters (${mode})`,
      `${best.seconds.toFixed(2)} s (best of ${rounds}), RSS ${mib(rss[0]!)}-${mib(rss.at(-1)!)} MiB, peak ${mib(Math.max(...runs.map((r) => r.peak)))} MiB`,
    );
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'irsa-lab-bench-'));
const lab = await startLab({ dataDir, fleet: { generate: { prefix: 'bench', count: 3 } } });
// Trust the lab CA process-wide (Node 24), as autocannon takes no CA option.
tls.setDefaultCACertificates([...tls.getCACertificates('default'), lab.caPem]);
const result = await autocannon({
  url: `${lab.endpoint}/bench-1-oidc/.well-known/openid-configuration`,
  connections,
  duration,
});
await lab.close();
line(
  `anonymous GET discovery (${connections} conns, ${duration}s)`,
  `${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`,
);
