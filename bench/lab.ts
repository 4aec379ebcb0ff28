// npm run bench:lab — lab start time (3 and 1,000 clusters) and anonymous GETs per second of an issuer document.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import autocannon from 'autocannon';
import { startLab } from '../src/lab/index.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'irsa-lab-bench-'));
const duration = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);

async function timeStart(count: number): Promise<number> {
  const t0 = performance.now();
  const lab = await startLab({ dataDir, fleet: { generate: { prefix: 'bench', count } } });
  const ms = performance.now() - t0;
  await lab.close();
  return ms;
}

const small = await timeStart(3);
const large = await timeStart(1000);

const lab = await startLab({ dataDir, fleet: { generate: { prefix: 'bench', count: 3 } } });
// Trust the lab CA process-wide (Node 24), as autocannon takes no CA option.
tls.setDefaultCACertificates([...tls.getCACertificates('default'), lab.caPem]);
const result = await autocannon({
  url: `${lab.endpoint}/bench-1-oidc/.well-known/openid-configuration`,
  connections,
  duration,
});
await lab.close();

const rss = process.memoryUsage().rss / 2 ** 20;
const line = (k: string, v: string): void => console.log(`${k.padEnd(44)} ${v}`);
line('lab start, 3 clusters', `${small.toFixed(0)} ms`);
line('lab start, 1,000 clusters', `${large.toFixed(0)} ms`);
line(
  `anonymous GET discovery (${connections} conns, ${duration}s)`,
  `${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`,
);
line('process RSS after', `${rss.toFixed(0)} MiB`);
