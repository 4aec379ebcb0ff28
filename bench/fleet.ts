// npm run bench:fleet — one full cycle of all five probes over a lab fleet of 100, 1,000 and 3,000 clusters, the way a
// user runs it: the lab in its own process (`irsa-sentinel lab --fleet FILE`, issuers on distinct addresses), the
// agent as `irsa-sentinel check --config <the lab's agent-config>` in another. Per size: the cycle's wall time, the
// agent's peak RSS, its event-loop delay (p99, from its first outbound request to exit; bench/agent-meter.ts is
// preloaded into it with --import, the agent's code is unchanged), and the LookupEvents calls the lab saw per account
// and region (calls per second over the cycle, and the most in any one second). Then the agent's RSS per cluster.
// BENCH_SIZES (100,1000,3000), BENCH_TIMEOUT_S (900 per size), BENCH_MAX_AGENT_RSS_MIB (6144: the agent is stopped
// above it), BENCH_SHARED_ADDRESSES=1 (every issuer on 127.0.0.1), BENCH_AGENT_NODE_OPTIONS (e.g. --heap-prof), BENCH_LAB_NODE_OPTIONS (the lab's),
// BENCH_KEEP=1 (keep the data dirs: agent config, check output, profiles).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import type { AgentMeter } from './agent-meter.ts';
import { IMAGE_ENV } from './image-env.ts';
import { cpuSeconds, mib, processMemory, startLabProcess } from './lab-process.ts';

const sizes = (process.env.BENCH_SIZES ?? '100,1000,3000').split(',').map(Number);
const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? 900) * 1000;
const maxAgentRss = Number(process.env.BENCH_MAX_AGENT_RSS_MIB ?? 6144) * 2 ** 20;
const distinct = process.env.BENCH_SHARED_ADDRESSES !== '1';
const agentNodeOptions = (process.env.BENCH_AGENT_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
const keep = process.env.BENCH_KEEP === '1';
// BENCH_AGENT: `image` (default), the agent as the container image runs it: compiled by `npm run build` into
// .bench-dist/ and run as `node .bench-dist/src/cli.js` with the image's environment (bench/image-env.ts); `source`:
// `node src/cli.ts` (type stripping) with this process's environment, as `npm start` runs it.
const agentMode = process.env.BENCH_AGENT ?? 'image';
if (agentMode !== 'image' && agentMode !== 'source') throw new Error(`BENCH_AGENT=${agentMode}: image or source`);
const ROOT = join(import.meta.dirname, '..');
function agentCli(): string {
  if (process.env.BENCH_AGENT_CLI) return process.env.BENCH_AGENT_CLI;
  if (agentMode === 'source') return join(ROOT, 'src/cli.ts');
  const out = join(ROOT, '.bench-dist');
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.ts'), '--outDir', out], { cwd: ROOT, stdio: 'ignore' });
  return join(out, 'src/cli.js');
}
const CLI = agentCli();
const agentEnv = agentMode === 'image' ? IMAGE_ENV : {};
const METER = meterScript();

/**
 * The meter preloaded into the agent. A TypeScript file would make Node load its type stripper (amaro, swc compiled
 * to WebAssembly) into the agent: ~17 MiB of RSS that the image never has. So unless the agent runs from source
 * anyway, the meter is stripped of its types here, in the bench's process, and the agent preloads plain JavaScript.
 */
function meterScript(): string {
  const source = join(import.meta.dirname, 'agent-meter.ts');
  if (agentMode === 'source') return source;
  const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-meter-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'agent-meter.mjs');
  writeFileSync(file, stripTypeScriptTypes(readFileSync(source, 'utf8')));
  return file;
}

/** What the targets of issue 13 ask (README "Benchmarks"). */
const TARGET = { cycleS: 60, rssMiB: 250, perClusterKiB: 150, lagP99Ms: 100, lookupsPerSecond: 2 };

interface Row {
  clusters: number;
  labStartS: number;
  labPeakMiB: number;
  /** CPU seconds the lab's process used from the agent's spawn to its exit. */
  labCpuS: number;
  /** The agent's exit: 0 ok/warn, 1 fail, else it did not finish. */
  exit: string;
  cycleS: number;
  agentPeak: number;
  meter?: AgentMeter;
  results: Record<string, number>;
  expectedResults: number;
  /** LookupEvents calls per account/region during the cycle (throttled ones included), and the most in one second. */
  lookups: { key: string; calls: number; throttled: number; perSecond: number; peak: number }[];
}

async function runSize(clusters: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `irsa-bench-fleet-${clusters}-`));
  const fleet = `${distinct ? 'issuerAddresses: distinct\n' : ''}generate: { prefix: bench, count: ${clusters} }\n`;
  const lab = await startLabProcess({ dataDir: dir, fleet });
  try {
    const configFile = join(dir, 'agent.yaml');
    writeFileSync(configFile, await lab.text('agent-config'));
    const before = await lab.stats();
    const meterFile = join(dir, 'meter.json');
    const out = openSync(join(dir, 'check.json'), 'w');
    const labCpu0 = cpuSeconds(lab.pid);
    const t0 = performance.now();
    const agent = spawn(
      process.execPath,
      [...agentNodeOptions, '--import', METER, CLI, 'check', '--config', configFile, '--json'],
      {
        cwd: dir,
        stdio: ['ignore', out, 'inherit'],
        env: { ...process.env, ...agentEnv, BENCH_METER_FILE: meterFile, AWS_EC2_METADATA_DISABLED: 'true' },
      },
    );
    let agentPeak = 0;
    let stoppedFor: string | undefined;
    const watch = setInterval(() => {
      agentPeak = Math.max(agentPeak, processMemory(agent.pid!).peak);
      if (agentPeak > maxAgentRss && stoppedFor === undefined) {
        stoppedFor = `stopped at ${mib(agentPeak)} MiB`;
        agent.kill('SIGKILL');
      }
    }, 100);
    const timer = setTimeout(() => {
      stoppedFor ??= `stopped after ${timeoutMs / 1000} s`;
      agent.kill('SIGKILL');
    }, timeoutMs);
    const code = await new Promise<number | null>((resolve) => agent.once('exit', (c) => resolve(c)));
    const cycleS = (performance.now() - t0) / 1000;
    const labCpuS = cpuSeconds(lab.pid) - labCpu0;
    clearInterval(watch);
    clearTimeout(timer);
    closeSync(out);
    const after = await lab.stats();
    const meter = stoppedFor ? undefined : (JSON.parse(readFileSync(meterFile, 'utf8')) as AgentMeter);
    const results: Record<string, number> = {};
    if (!stoppedFor && (code === 0 || code === 1)) {
      const check = JSON.parse(readFileSync(join(dir, 'check.json'), 'utf8')) as {
        results: { probe: string; status: string }[];
      };
      for (const r of check.results) results[r.status] = (results[r.status] ?? 0) + 1;
    }
    const lookups = Object.entries(after.cloudTrailLookups).map(([key, c]) => {
      const was = before.cloudTrailLookups[key];
      const calls = c.answered + c.throttled - (was ? was.answered + was.throttled : 0);
      const throttled = c.throttled - (was?.throttled ?? 0);
      return { key, calls, throttled, perSecond: calls / cycleS, peak: c.peakPerSecond };
    });
    return {
      clusters,
      labStartS: lab.startMs / 1000,
      labPeakMiB: lab.memory().peak / 2 ** 20,
      labCpuS,
      exit: stoppedFor ?? String(code),
      cycleS,
      agentPeak: Math.max(agentPeak, meter?.maxRss ?? 0),
      ...(meter ? { meter } : {}),
      results,
      // Per cluster: issuer, jwks, bucket, roles; the cloudtrail probe's one result per cluster comes from one scan.
      expectedResults: clusters * 5,
      lookups,
    };
  } finally {
    await lab.stop();
    if (keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
console.log(
  `bench:fleet: sizes ${sizes.join(', ')}; issuers on ${distinct ? 'distinct addresses' : '127.0.0.1'}; lab and agent in their own processes; agent: ${
    agentMode === 'image'
      ? `as the image runs it (${CLI}, ${Object.entries(IMAGE_ENV)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')})`
      : CLI
  }`,
);
for (const n of sizes) {
  const row = await runSize(n);
  rows.push(row);
  console.log(`${n} clusters: exit ${row.exit}, ${row.cycleS.toFixed(1)} s, agent peak ${mib(row.agentPeak)} MiB`);
}

const pad = (s: string, n: number): string => s.padStart(n);
const COLUMNS: [string, number][] = [
  ['clusters', 8],
  ['exit', 22],
  ['cycle s', 8],
  ['agent RSS', 10],
  ['lag p99', 9],
  ['lag max', 9],
  ['LookupEvents', 15],
  ['calls/s', 8],
  ['peak/s', 7],
  ['results', 24],
  ['lab start', 10],
  ['lab RSS', 9],
];
console.log('\n' + COLUMNS.map(([h, w]) => pad(h, w)).join(' '));
for (const r of rows) {
  const finished = r.exit === '0' || r.exit === '1';
  const results = Object.entries(r.results)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const cells = [
    String(r.clusters),
    r.exit,
    finished ? r.cycleS.toFixed(1) : `(${r.cycleS.toFixed(0)})`,
    `${mib(r.agentPeak)} MiB`,
    r.meter ? `${r.meter.lag.p99} ms` : '-',
    r.meter ? `${r.meter.lag.max} ms` : '-',
    r.lookups.map((l) => `${l.calls} (${l.throttled} thr)`).join('+') || '0',
    r.lookups.map((l) => l.perSecond.toFixed(2)).join('+') || '0',
    r.lookups.map((l) => String(l.peak)).join('+') || '0',
    `${results || '-'} /${r.expectedResults}`,
    `${r.labStartS.toFixed(1)} s`,
    `${r.labPeakMiB.toFixed(0)} MiB`,
  ];
  console.log(cells.map((c, i) => pad(c, COLUMNS[i]![1])).join(' '));
}
console.log(
  `LookupEvents: ${[...new Set(rows.flatMap((r) => r.lookups.map((l) => l.key)))].join(', ')} (account/region)`,
);

// The agent's RSS per cluster: the slope between sizes, and a least-squares line over all of them.
for (const r of rows) {
  if (!r.meter) continue;
  const h = r.meter.heap;
  console.log(
    `${r.clusters} clusters: CPU s: agent ${r.meter.cpu.totalS.toFixed(1)} (${r.meter.cpu.cycleS.toFixed(1)} from its first request), lab ${r.labCpuS.toFixed(1)}; agent V8 heap peak used ${mib(h.used)} MiB, total ${mib(h.total)} MiB, external ${mib(h.external)} MiB (RSS ${mib(r.agentPeak)} MiB); cycle started ${((r.meter.cycleStartMs ?? 0) / 1000).toFixed(1)} s after the agent's start`,
  );
  const p = r.meter.atPeak;
  if (p)
    console.log(
      `  at its largest RSS sample (MiB): ${Object.entries(p)
        .map(([k, v]) => `${k} ${mib(v)}`)
        .join(', ')}`,
    );
}

const done = rows.filter((r) => r.exit === '0' || r.exit === '1');
for (let i = 1; i < done.length; i++) {
  const [a, b] = [done[i - 1]!, done[i]!];
  if (a.clusters === b.clusters) continue; // a size repeated (BENCH_SIZES=1000,1000): runs to compare, no slope
  const kib = (b.agentPeak - a.agentPeak) / 1024 / (b.clusters - a.clusters);
  console.log(`agent RSS per cluster, ${a.clusters} -> ${b.clusters}: ${kib.toFixed(0)} KiB`);
}
if (new Set(done.map((r) => r.clusters)).size >= 2) {
  const xs = done.map((r) => r.clusters);
  const ys = done.map((r) => r.agentPeak / 1024);
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  console.log(
    `agent RSS per cluster (least squares): ${slope.toFixed(0)} KiB, intercept ${((my - slope * mx) / 1024).toFixed(0)} MiB`,
  );
}

const at1000 = done.find((r) => r.clusters === 1000);
const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'met' : 'MISSED');
console.log('\ntargets (issue 13):');
console.log(`  cycle at 1,000 clusters < ${TARGET.cycleS} s: ${verdict(at1000 && at1000.cycleS < TARGET.cycleS)}`);
console.log(
  `  agent RSS at 1,000 clusters < ${TARGET.rssMiB} MiB: ${verdict(at1000 && at1000.agentPeak < TARGET.rssMiB * 2 ** 20)}`,
);
console.log(
  `  event-loop lag p99 < ${TARGET.lagP99Ms} ms at every size: ${verdict(done.length ? done.every((r) => (r.meter?.lag.p99 ?? Infinity) < TARGET.lagP99Ms) : undefined)}`,
);
console.log(
  `  LookupEvents <= ${TARGET.lookupsPerSecond} calls in any second per account-region: ${verdict(rows.length ? rows.every((r) => r.lookups.every((l) => l.peak <= TARGET.lookupsPerSecond)) : undefined)}`,
);
