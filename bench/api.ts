// npm run bench:api — the read API at fleet size while probes run: requests per second and latency of GET
// /api/v1/status (plain, gzip, and polled with If-None-Match as a browser or status page does) against GET /healthz in
// the same run. The lab runs in its own process with BENCH_CLUSTERS (1000) clusters, the agent (`serve`) in another;
// every cluster's every probe is run once through the run route, so the status body is at fleet size, and the probes
// then run on their default schedules while each route is measured. The load comes from wrk (Debian package `wrk`,
// one thread: a C client that does not compete with the agent for the 2 cores as much) or, without it, autocannon
// (BENCH_LOADGEN=autocannon; its JavaScript HTTP parser is the bottleneck with large bodies). Printed: per route
// requests/s, p99, the share of /healthz's rate and the CPU of agent, lab and load generator. Target: status at least
// 50 % of /healthz's rate, p99 under 20 ms. BENCH_SECONDS (10) per route, BENCH_CONNECTIONS (20),
// BENCH_AGENT_NODE_OPTIONS (the agent's, e.g. --cpu-prof).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
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
// A write-scope token for the run route (the lab ignores it).
const apiToken = (process.env.IRSA_SENTINEL_API_TOKEN = 'bench-api-token-0123456789');
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

// Every cluster's every probe run once through the run route (16 at a time), so the status body is at its fleet size;
// from then on the probes run on their default schedules while the routes are measured.
const PROBES = ['issuer', 'jwks', 'bucket', 'cloudtrail', 'roles'];
const pairs = Array.from({ length: clusters }, (_, i) => PROBES.map((p) => [`bench-${i + 1}`, p] as const)).flat();
let done = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    for (let pair = pairs.shift(); pair; pair = pairs.shift()) {
      const r = await fetch(`${base}/api/v1/clusters/${pair[0]}/probes/${pair[1]}/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiToken}` },
      });
      if (!r.ok) throw new Error(`run ${pair.join(' ')}: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
      if (++done % 100 === 0) process.stderr.write(`\r${done}/${clusters * PROBES.length} runs…`);
    }
  }),
);
process.stderr.write('\n');

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
const cpuOf = (pid: number | 'self'): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const [labChild, agentChild] = children as [ChildProcess, ChildProcess];
const cpus = () => [cpuOf(agentChild.pid!), cpuOf(labChild.pid!), cpuOf('self')];

/** One route under load: requests/s, p99 (ms), errors (non-2xx other than 304), share of 304, and the CPU each used. */
interface Load {
  rps: number;
  p99: number;
  errors: number;
  notModifiedShare: number;
  cpu: string;
}

const WRK = '/usr/bin/wrk';
const loadGenerator = process.env.BENCH_LOADGEN ?? (existsSync(WRK) ? 'wrk' : 'autocannon');

// wrk's Lua hooks: with `poll`, each connection remembers the ETag of its last 200 and sends it as If-None-Match, as
// a browser or a status page's poller does; done() prints the figures as one JSON line.
const WRK_SCRIPT = `
local poll = os.getenv("BENCH_POLL") == "1"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; nm = 0; other = 0; etag = nil end
function request()
  if poll and etag then wrk.headers["If-None-Match"] = etag end
  return wrk.format()
end
function response(status, headers, body)
  if status == 200 then ok = ok + 1; etag = headers["etag"] or headers["ETag"]
  elseif status == 304 then nm = nm + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local o, n, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); n = n + t:get("nm"); x = x + t:get("other") end
  local e = summary.errors
  io.write(string.format('{"requests":%d,"us":%d,"p99":%f,"ok":%d,"nm":%d,"other":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(99) / 1000, o, n, x,
    e.connect + e.read + e.write + e.timeout))
end
`;
writeFileSync(join(dir, 'bench.lua'), WRK_SCRIPT);

async function wrk(path: string, headers: Record<string, string>, poll: boolean) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', join(dir, 'bench.lua')];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  const child = spawn(WRK, [...args, `${base}${path}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_POLL: poll ? '1' : '0' },
  });
  const pid = child.pid!;
  let out = '';
  let cpu = 0;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  // wrk's own CPU, read just before it exits (its last line comes from done()).
  const timer = setInterval(() => {
    try {
      cpu = cpuOf(pid);
    } catch {
      // exited
    }
  }, 200);
  await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(timer);
  const line = out.split('\n').find((l) => l.startsWith('{"requests"')) ?? out;
  const r = JSON.parse(line) as {
    requests: number;
    us: number;
    p99: number;
    ok: number;
    nm: number;
    other: number;
    errors: number;
  };
  return { r, cpu };
}

async function load(path: string, headers: Record<string, string> = {}, poll = false): Promise<Load> {
  const before = cpus();
  if (loadGenerator === 'wrk') {
    const { r, cpu } = await wrk(path, headers, poll);
    const used = cpus().map((c, i) => Math.round((100 * (c - before[i]!)) / seconds));
    return {
      rps: r.requests / (r.us / 1e6),
      p99: Math.round(r.p99 * 10) / 10,
      errors: r.other + r.errors,
      notModifiedShare: r.nm / Math.max(1, r.ok + r.nm),
      cpu: `agent ${used[0]} %, lab ${used[1]} %, wrk ${Math.round((100 * cpu) / seconds)} %`,
    };
  }
  if (poll) headers = { ...headers, 'if-none-match': etag };
  const r = await autocannon({ url: `${base}${path}`, connections, duration: seconds, headers });
  const used = cpus().map((c, i) => Math.round((100 * (c - before[i]!)) / seconds));
  const notModified = r['3xx'];
  return {
    rps: r.requests.average,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx - notModified,
    notModifiedShare: notModified / Math.max(1, r['2xx'] + notModified),
    cpu: `agent ${used[0]} %, lab ${used[1]} %, autocannon ${used[2]} %`,
  };
}

const etag = (await fetch(`${base}/api/v1/status`)).headers.get('etag') ?? '';
const sample = Buffer.from(await (await fetch(`${base}/api/v1/status`)).arrayBuffer());
const bodyBytes = sample.byteLength;
const gzipBytes = gzipSync(sample).byteLength;
// The agent's CPU from its probes alone (no requests), over the same time as each route's run.
const idleBefore = cpus();
await new Promise((r) => setTimeout(r, seconds * 1000));
const idle = cpus().map((c, i) => Math.round((100 * (c - idleBefore[i]!)) / seconds));
const health = await load('/healthz');
const plain = await load('/api/v1/status');
const compressed = await load('/api/v1/status', { 'accept-encoding': 'gzip' });
const conditional = await load('/api/v1/status', { 'accept-encoding': 'gzip' }, true);

const row = (name: string, r: Load, note = '') =>
  `| ${name} | ${Math.round(r.rps).toLocaleString('en')} | ${r.p99} ms | ${Math.round((100 * r.rps) / health.rps)} % | ${r.cpu} | ${note} |`;
console.log(
  [
    `${clusters} clusters, probes running, ${connections} connections, ${seconds} s per route; status body ${(bodyBytes / 1024).toFixed(0)} KiB (${(gzipBytes / 1024).toFixed(0)} KiB gzipped); load generator ${loadGenerator}`,
    '',
    `probes alone (no requests, ${seconds} s): agent ${idle[0]} %, lab ${idle[1]} % of one core`,
    '',
    '| route | requests/s | p99 | of /healthz | CPU (of one core) | note |',
    '| --- | --- | --- | --- | --- | --- |',
    row('GET /healthz', health),
    row('GET /api/v1/status', plain, `${plain.errors} errors or non-2xx; uncompressed`),
    row('GET /api/v1/status, Accept-Encoding: gzip', compressed, 'as browsers, curl --compressed and most clients ask'),
    row(
      'GET /api/v1/status, polled with If-None-Match',
      conditional,
      `${Math.round(100 * conditional.notModifiedShare)} % 304; gzip; each connection sends the ETag of its last 200, as a browser or poller does`,
    ),
  ].join('\n'),
);
stop();
process.exit(0);
