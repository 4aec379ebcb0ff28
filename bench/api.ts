// npm run bench:api — the read API at fleet size while probes run: requests per second and latency of GET
// /api/v1/status (plain, and as a status page polls it with If-None-Match) against GET /healthz in the same run.
// The lab runs in its own process with BENCH_CLUSTERS (1000) clusters; the agent (`serve`, probes on their schedules)
// in another; autocannon drives both routes from this one. Target: status at least 50 % of /healthz's rate, p99 under
// 20 ms. BENCH_SECONDS (10) per route, BENCH_CONNECTIONS (20), BENCH_AGENT_NODE_OPTIONS (the agent's, e.g. --cpu-prof).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { parse, stringify } from 'yaml';

const clusters = Number(process.env.BENCH_CLUSTERS ?? 1000);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
/** Node options for the agent only (e.g. --cpu-prof --cpu-prof-dir=DIR). */
const agentNodeOptions = (process.env.BENCH_AGENT_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
const CLI = join(import.meta.dirname, '../src/cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-api-'));
const children: ChildProcess[] = [];
const stop = () => children.forEach((c) => c.kill('SIGTERM'));
process.on('exit', stop);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Spawns the CLI and resolves with the first stdout line that `match` accepts (JSON lines). */
function start(
  args: string[],
  match: (line: Record<string, unknown>) => boolean,
  nodeOptions: string[] = [],
): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [...nodeOptions, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      try {
        const line = JSON.parse(l) as Record<string, unknown>;
        if (match(line)) resolve(line);
      } catch {
        // not a JSON line
      }
    });
    child.once('exit', (c) => reject(new Error(`${args[0]} exited ${c}`)));
  });
}

writeFileSync(join(dir, 'fleet.yaml'), `generate: { prefix: bench, count: ${clusters} }\nkeyPool: 4\n`);
const lab = await start(
  ['lab', '--data-dir', join(dir, 'lab'), '--fleet', join(dir, 'fleet.yaml')],
  (l) => l.event === 'lab-ready',
);
const token = String(lab.controlToken);
const res = await request(`${String(lab.endpoint)}/_lab/v1/agent-config`, {
  headers: { authorization: `Bearer ${token}` },
  dispatcher: new Agent({ connect: { ca: readFileSync(String(lab.caFile), 'utf8') } }),
});
const config = parse(await res.body.text()) as Record<string, unknown>;
Object.assign(config, {
  storage: { dataDir: join(dir, 'data') },
  // The details (/api/v1/status) public, as on the demo's loopback bind: the bench measures the route, not the token check.
  server: { port: await freePort(), rateLimit: { max: 0 }, access: { details: 'public' } },
  log: { level: 'warn' },
  concurrency: 32,
});
writeFileSync(join(dir, 'agent.yaml'), stringify(config));
const base = `http://127.0.0.1:${(config.server as { port: number }).port}`;
void start(['serve', '--config', join(dir, 'agent.yaml')], () => false, agentNodeOptions).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
while (
  !(await fetch(`${base}/readyz`).then(
    (r) => r.ok,
    () => false,
  ))
)
  await new Promise((r) => setTimeout(r, 500));

// Wait until every cluster has reported on at least one probe: the status body is then at its fleet size.
for (;;) {
  const s = (await (await fetch(`${base}/api/v1/status`)).json()) as { clusters: { probes: object }[] };
  const reported = s.clusters.filter((c) => Object.keys(c.probes).length > 0).length;
  if (reported >= clusters) break;
  process.stderr.write(`\r${reported}/${clusters} clusters reported…`);
  await new Promise((r) => setTimeout(r, 2000));
}
process.stderr.write('\n');

async function load(path: string, headers: Record<string, string> = {}) {
  const r = await autocannon({ url: `${base}${path}`, connections, duration: seconds, headers });
  const notModified = r['3xx'];
  return {
    rps: r.requests.average,
    p99: r.latency.p99,
    bytes: r.throughput.average,
    errors: r.errors + r.non2xx - notModified,
    notModifiedShare: notModified / Math.max(1, r['2xx'] + notModified),
  };
}

const etag = (await fetch(`${base}/api/v1/status`)).headers.get('etag') ?? '';
const bodyBytes = (await (await fetch(`${base}/api/v1/status`)).arrayBuffer()).byteLength;
const health = await load('/healthz');
const plain = await load('/api/v1/status');
const compressed = await load('/api/v1/status', { 'accept-encoding': 'gzip' });
const conditional = await load('/api/v1/status', { 'if-none-match': etag });

const row = (name: string, r: Awaited<ReturnType<typeof load>>, note = '') =>
  `| ${name} | ${Math.round(r.rps).toLocaleString('en')} | ${r.p99} ms | ${Math.round((100 * r.rps) / health.rps)} % | ${note} |`;
console.log(
  [
    `${clusters} clusters, probes running, ${connections} connections, ${seconds} s per route; status body ${(bodyBytes / 1024).toFixed(0)} KiB`,
    '',
    '| route | requests/s | p99 | of /healthz | note |',
    '| --- | --- | --- | --- | --- |',
    row('GET /healthz', health),
    row('GET /api/v1/status', plain, `${plain.errors} errors or non-2xx; uncompressed`),
    row('GET /api/v1/status, Accept-Encoding: gzip', compressed, 'as browsers, curl --compressed and most clients ask'),
    row(
      'GET /api/v1/status, If-None-Match',
      conditional,
      `${Math.round(100 * conditional.notModifiedShare)} % 304 (the body changes as results arrive)`,
    ),
  ].join('\n'),
);
stop();
process.exit(0);
