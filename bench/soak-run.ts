// One soak: `irsa-sentinel serve` against a lab fleet (each in its own process, issuers on distinct addresses) on
// fast schedules, with the CloudTrail windows scaled down alike, while a fault is put on a cluster and healed again
// (alerts fire and resolve, CloudTrail records changes, re-runs happen) and the configuration is reloaded (the fleet's
// labels and the CloudTrail page cap alternate: new scheduler, discovery, cluster access and AWS clients each time).
// The agent's memory after a full GC is sampled by bench/soak-meter.ts in its own process. Used by `npm run soak`
// (bench/soak.ts) and by its small version in `npm test` (test/bench/soak.test.ts).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { parse, stringify } from 'yaml';
import { startLabProcess } from './lab-process.ts';
import type { MemorySample } from './soak-trend.ts';

const CLI = join(import.meta.dirname, '../src/cli.ts');
const METER = join(import.meta.dirname, 'soak-meter.ts');
const PROBES = ['issuer', 'jwks', 'bucket', 'cloudtrail', 'roles'] as const;
/** Bound on serve's start (the lab's fleet loaded, the API listening). */
const START_MS = 60_000;

export interface SoakOptions {
  durationMs: number;
  clusters: number;
  sampleEveryMs: number;
  /** Cron expression per probe. */
  schedules: Record<(typeof PROBES)[number], string>;
  /** A fault is put on the first cluster, then healed, alternately, this often. */
  faultEveryMs: number;
  /** The configuration is changed (and reloaded) this often. */
  reloadEveryMs: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Keep the data dir (config, serve's log, samples). */
  keep?: boolean;
  /** Called once serve answers, with its pid (a test stops it to see a dead agent end the soak). */
  onServing?: (serve: { pid: number; url: string }) => void;
}

export interface SoakResult {
  samples: MemorySample[];
  /** Probe results stored (irsa_sentinel_probe_results_total at the end). */
  results: number;
  /** Alert notifications the receiver got. */
  notifications: number;
  faults: number;
  reloads: number;
  /** serve's log lines at error level or above. */
  errors: string[];
  /** serve's exit code after SIGTERM. */
  exit: number | null;
  dir: string;
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'irsa-soak-'));
  const fleet = `issuerAddresses: distinct\nkeyPool: 2\ngenerate: { prefix: soak, count: ${opts.clusters} }\n`;
  const lab = await startLabProcess({ dataDir: dir, fleet });
  let notifications = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      notifications++;
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/soak`;
  const base = parse(await lab.text('agent-config')) as { clusters: Record<string, unknown>[] };
  const configFile = join(dir, 'config.yaml');
  const writeConfig = (flip: boolean): void =>
    writeFileSync(
      configFile,
      stringify({
        ...base,
        clusters: base.clusters.map((c) => ({ ...c, labels: { soak: flip ? 'b' : 'a' } })),
        schedules: Object.fromEntries(PROBES.map((p) => [p, { cron: opts.schedules[p] }])),
        // The windows scaled down with the schedules, so the kept events reach their plateau within the soak.
        probes: {
          cloudtrail: { windowMinutes: 5, overlapMinutes: 1, changeWindowHours: 1, maxPages: flip ? 199 : 200 },
        },
        storage: { dataDir: join(dir, 'data') },
        server: { port: 0 },
        alerts: { rerunCooldownSeconds: 10, sinks: [{ name: 'soak', type: 'webhook', url: hook }] },
      }),
    );
  writeConfig(false);

  const samplesFile = join(dir, 'samples.jsonl');
  const serve = spawn(process.execPath, ['--expose-gc', '--import', METER, CLI, 'serve', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      CI: 'true',
      AWS_EC2_METADATA_DISABLED: 'true',
      SOAK_METER_FILE: samplesFile,
      SOAK_SAMPLE_MS: String(opts.sampleEveryMs),
    },
  });
  const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
  // Whatever ends this process (a test runner's teardown included) ends the agent and the lab with it.
  const killChildren = (): void => {
    serve.kill('SIGKILL');
    try {
      process.kill(lab.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  process.once('exit', killChildren);
  const serveLog = createWriteStream(join(dir, 'serve.log'));
  const errors: string[] = [];
  let reloads = 0;
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: serve.stderr }).on('line', (line) => {
      serveLog.write(`${line}\n`);
      try {
        const rec = JSON.parse(line) as { level?: number; msg?: string; url?: string };
        if (rec.msg?.startsWith('irsa-sentinel serving') && rec.url) resolve(rec.url);
        if (rec.msg === 'configuration reloaded') reloads++;
        if ((rec.level ?? 0) >= 50) errors.push(line.slice(0, 500));
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code} before serving (log: ${dir}/serve.log)`)));
    setTimeout(() => reject(new Error(`serve did not start within ${START_MS / 1000} s`)), START_MS).unref();
  });

  let faults = 0;
  let flip = false;
  const t0 = Date.now();
  try {
    const api = await url;
    log(`soak: serve at ${api}, lab at ${lab.endpoint}, ${opts.clusters} clusters, ${opts.durationMs / 60_000} min`);
    if (serve.pid !== undefined) opts.onServing?.({ pid: serve.pid, url: api });
    let nextFault = t0 + opts.faultEveryMs;
    let nextReload = t0 + opts.reloadEveryMs;
    let nextLog = t0 + 60_000;
    let faulted = false;
    while (Date.now() - t0 < opts.durationMs) {
      await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(0, opts.durationMs - (Date.now() - t0)))));
      // An agent that stopped ends the soak at once: its last sample would otherwise stand for the rest of the run.
      if (serve.exitCode !== null || serve.signalCode !== null)
        throw new Error(
          `serve stopped after ${((Date.now() - t0) / 60_000).toFixed(1)} min of the soak (exit ${serve.exitCode}, signal ${serve.signalCode}; ${opts.keep ? `log: ${dir}/serve.log` : 'SOAK_KEEP=1 keeps its log'})`,
        );
      const now = Date.now();
      if (now >= nextFault) {
        nextFault += opts.faultEveryMs;
        if (faulted) await lab.send('DELETE', 'faults');
        else await lab.send('POST', 'faults', { fault: 'bucket-policy-deny-non-vpce', cluster: 'soak-1' });
        faulted = !faulted;
        faults++;
      }
      if (now >= nextReload) {
        nextReload += opts.reloadEveryMs;
        flip = !flip;
        writeConfig(flip);
      }
      if (now >= nextLog) {
        nextLog += 60_000;
        const last = readSamples(samplesFile).at(-1);
        log(
          `soak: ${((now - t0) / 60_000).toFixed(0)} min, heap after GC ${mib(last?.heapUsed)} MiB, RSS ${mib(last?.rss)} MiB, ${notifications} notifications, ${reloads} reloads`,
        );
      }
    }
    const results = await probeResults(api);
    serve.kill('SIGTERM');
    const exit = await exited;
    return { samples: readSamples(samplesFile), results, notifications, faults, reloads, errors, exit, dir };
  } finally {
    if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
    await exited;
    serveLog.end();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await lab.stop();
    process.off('exit', killChildren);
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

const mib = (bytes: number | undefined): string => (bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(1));

function readSamples(file: string): MemorySample[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  // A line being written as this reads it is left for the next read.
  return text.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as MemorySample];
    } catch {
      return [];
    }
  });
}

/** Every stored result, from the agent's own counter. */
async function probeResults(api: string): Promise<number> {
  const res = await request(`${api}/metrics`);
  const text = await res.body.text();
  let n = 0;
  for (const m of text.matchAll(/^irsa_sentinel_probe_results_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}
