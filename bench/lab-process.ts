// The lab in its own process for benchmarks, as a user runs it: `irsa-sentinel lab --fleet FILE`, its lab-ready line,
// and its control API (bearer token) for info, the agent config and the counters of what it served.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import type { LabInfo } from '../src/lab/control.ts';
import type { LabStats } from '../src/lab/stats.ts';

const CLI = join(import.meta.dirname, '../src/cli.ts');
/** Node options for the lab's process (e.g. `--cpu-prof --cpu-prof-dir=DIR`): BENCH_LAB_NODE_OPTIONS. */
const labNodeOptions = (process.env.BENCH_LAB_NODE_OPTIONS ?? '').split(' ').filter(Boolean);

export interface LabProcess {
  readonly endpoint: string;
  readonly caFile: string;
  readonly caPem: string;
  readonly pid: number;
  /** From spawn to the lab-ready line. */
  readonly startMs: number;
  info(): Promise<LabInfo>;
  stats(): Promise<LabStats>;
  /** GET /_lab/v1/<path> as text. */
  text(path: string): Promise<string>;
  /** POST (a JSON body) or DELETE /_lab/v1/<path>, e.g. a fault and healing; throws unless 2xx. */
  send(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<void>;
  /** The lab's resident set now and at its peak (VmRSS, VmHWM), in bytes. */
  memory(): { rss: number; peak: number };
  stop(): Promise<void>;
}

export interface LabProcessOptions {
  /** The fleet file's content (YAML). */
  fleet: string;
  dataDir: string;
}

interface ReadyLine {
  endpoint: string;
  caFile: string;
  controlToken: string;
}

export async function startLabProcess(opts: LabProcessOptions): Promise<LabProcess> {
  const fleetFile = join(opts.dataDir, 'fleet.yaml');
  writeFileSync(fleetFile, opts.fleet);
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [...labNodeOptions, CLI, 'lab', '--port', '0', '--data-dir', opts.dataDir, '--fleet', fleetFile],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // The lab's stderr, but for the line it writes when it is stopped.
  createInterface({ input: child.stderr }).on('line', (l) => {
    if (!/: SIGTERM: stopping$/.test(l)) process.stderr.write(`${l}\n`);
  });
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l) as ReadyLine));
    child.once('exit', (code) => reject(new Error(`the lab exited ${code} before it was ready`)));
  });
  const startMs = performance.now() - t0;
  const caPem = readFileSync(ready.caFile, 'utf8');
  const agent = new Agent({ connect: { ca: caPem } });
  const get = async (path: string): Promise<string> => {
    const res = await request(`${ready.endpoint}/_lab/v1/${path}`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${ready.controlToken}` },
    });
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`lab GET ${path}: HTTP ${res.statusCode}: ${body}`);
    return body;
  };
  return {
    endpoint: ready.endpoint,
    caFile: ready.caFile,
    caPem,
    pid: child.pid!,
    startMs,
    info: async () => JSON.parse(await get('info')) as LabInfo,
    stats: async () => JSON.parse(await get('stats')) as LabStats,
    text: get,
    send: async (method, path, body) => {
      const res = await request(`${ready.endpoint}/_lab/v1/${path}`, {
        method,
        dispatcher: agent,
        headers: { authorization: `Bearer ${ready.controlToken}`, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`lab ${method} ${path}: HTTP ${res.statusCode}: ${text}`);
    },
    memory: () => processMemory(child.pid!),
    stop: async () => {
      await agent.close();
      await stopChild(child);
    },
  };
}

/** VmRSS and VmHWM of a live process, in bytes (0 when it is gone). */
export function processMemory(pid: number): { rss: number; peak: number } {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: 0, peak: 0 };
  }
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 };
}

/** CPU time (user + system) a live process has used, in seconds (0 when it is gone). */
export function cpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15, in clock ticks.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** SIGTERM, then wait for the exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
