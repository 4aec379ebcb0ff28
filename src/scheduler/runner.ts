// The runner: runs one probe for one cluster under a global concurrency limit and a per-run timeout, never two runs
// of the same (cluster, probe) at once, and hands every result to `onResult`. Nothing it does can reject: a probe
// that throws, hangs or ignores its signal becomes an `unknown` result with PROBE_ERROR or PROBE_TIMEOUT.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { HttpFetcher } from '../clients/http.ts';
import type { ClusterConfig } from '../config/types.ts';
import { runnerFinding as finding } from './runner-findings.ts';
import type { Finding, ProbeName, ProbeOutcome, ProbeResult } from '../core/model.ts';
import type { Probe, ProbeContext } from '../core/probe.ts';
import { statusOf } from '../core/model.ts';
import { inProbeSpan } from '../telemetry/probe-span.ts';

/** A projected service-account token is a few KiB; more is not a token. */
const TOKEN_FILE_MAX_BYTES = 64 * 1024;
/**
 * Slots the runs of one probe and shared key (Probe.sharedBy) hold at once: they wait for the same work, so one more
 * than one keeps a run ready when the first is let go, and the rest wait without holding the fleet's slots.
 */
export const SHARED_RUNS = 2;

export interface RunnerOptions {
  /** Probe runs executing at once across the fleet (config.concurrency); further runs wait in a queue. */
  concurrency: number;
  /** The fetcher handed to probes as ctx.http. */
  http: HttpFetcher;
  log: Logger;
  /** Clock for startedAt and ctx.now. Default: `() => new Date()`. */
  now?: () => Date;
  /** The latest stored result of this (cluster, probe), handed to the probe as ctx.previous. */
  previousOf: (cluster: string, probe: ProbeName) => ProbeResult | undefined;
  /** Receives every result (the agent stores and logs it). Awaited; a throw or rejection is logged, never raised. */
  onResult: (result: ProbeResult) => void | Promise<void>;
  /** The run's budget (config.schedules[probe].timeoutMs). */
  timeoutMsFor: (probe: ProbeName) => number;
  /** Told how long each run waited for a slot before it started (the scheduler lag metric). Must not throw. */
  onStart?: (waitedMs: number) => void;
  /** The cluster's AWS clients and cluster-API access, handed to probes as ctx.aws and ctx.kube. May throw. */
  contextFor?: (cluster: ClusterConfig) => Pick<ProbeContext, 'aws' | 'kube'>;
}

export interface DrainReport {
  /** Runs that delivered their result while draining. */
  finished: number;
  /** Runs aborted when the grace period ended, and queued runs that never started; they deliver no result. */
  abandoned: number;
}

export interface Runner {
  /**
   * Runs `probe` for `cluster` and resolves with the result once `onResult` has seen it. Resolves `undefined` when
   * the run is skipped (a run of the same (cluster, probe) is already queued or running, or the runner is draining)
   * or abandoned at shutdown. Never rejects.
   */
  run(cluster: ClusterConfig, probe: Probe): Promise<ProbeResult | undefined>;
  /** Runs accepted and not yet done: queued for a slot, running, or delivering their result. */
  inFlight(): number;
  /** Changes the concurrency limit (a reloaded configuration); queued runs start as slots free up. */
  setConcurrency(concurrency: number): void;
  /** Resolves once the run of (cluster, probe) in flight, if any, is done (its result delivered or dropped). */
  settled(cluster: string, probe: ProbeName): Promise<void>;
  /**
   * The run of (cluster, probe) in flight, if any: resolves as `run` does (with its result once `onResult` has seen
   * it, or undefined when it is dropped). Undefined when none is.
   */
  current(cluster: string, probe: ProbeName): Promise<ProbeResult | undefined> | undefined;
  /**
   * Shutdown: stop accepting runs, let queued runs go without starting, wait up to `graceMs` for running ones, then
   * abort the rest (their signal's reason is a RunAbandonedError) and resolve without waiting for them.
   */
  drain(graceMs: number): Promise<DrainReport>;
}

/** A token file that could not be read; the message names the path and never holds the file's content. */
export class TokenFileError extends Error {
  readonly code = 'TOKEN_FILE_UNREADABLE';
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

/** The abort reason of a run whose timeout passed. */
export class ProbeTimeoutError extends Error {
  readonly code = 'PROBE_TIMEOUT';
  readonly timeoutMs: number;
  constructor(probe: ProbeName, timeoutMs: number) {
    super(`The ${probe} probe did not finish within ${timeoutMs} ms`);
    this.name = 'ProbeTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The abort reason of a run cut off by shutdown. */
export class RunAbandonedError extends Error {
  readonly code = 'RUN_ABANDONED';
  constructor() {
    super('The agent is shutting down');
    this.name = 'RunAbandonedError';
  }
}

/** A probe resolved with something that is not a ProbeOutcome. */
export class InvalidOutcomeError extends Error {
  readonly code = 'INVALID_OUTCOME';
  constructor(probe: ProbeName) {
    super(`The ${probe} probe returned no findings array`);
    this.name = 'InvalidOutcomeError';
  }
}

interface Run {
  controller: AbortController;
  done: Promise<ProbeResult | undefined>;
  state: 'pending' | 'delivered' | 'dropped';
}

export function createRunner(opts: RunnerOptions): Runner {
  const now = opts.now ?? (() => new Date());
  const limit = pLimit(opts.concurrency);
  const runs = new Map<string, Run>();
  /** Per probe and shared key (Probe.sharedBy): runs holding or queued for a slot, and the runs waiting to be. */
  const sharedKeys = new Map<string, { active: number; waiting: (() => void)[] }>();
  /**
   * Runs `work` once fewer than SHARED_RUNS runs of `key` are queued or running. A run let through queues for its slot
   * at once (synchronously, so the first runs of a cycle queue ahead of the other probes' runs).
   */
  async function sharedTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
    let k = sharedKeys.get(key);
    if (k === undefined) sharedKeys.set(key, (k = { active: 0, waiting: [] }));
    const entry = k;
    if (entry.active >= SHARED_RUNS) await new Promise<void>((resolve) => entry.waiting.push(resolve));
    else entry.active++;
    try {
      return await work();
    } finally {
      const next = entry.waiting.shift();
      if (next)
        next(); // the slot passes to it: active stays
      else if (--entry.active === 0) sharedKeys.delete(key);
    }
  }
  let draining = false;

  async function execute(cluster: ClusterConfig, probe: Probe, controller: AbortController): Promise<ProbeResult> {
    const startedAt = now();
    const t0 = performance.now();
    const timeoutMs = opts.timeoutMsFor(probe.name);
    const timer = setTimeout(() => controller.abort(new ProbeTimeoutError(probe.name, timeoutMs)), timeoutMs);
    let outcome: ProbeOutcome;
    try {
      const ctx: ProbeContext = {
        http: opts.http,
        log: opts.log.child({ cluster: cluster.name, probe: probe.name }),
        now,
        previous: opts.previousOf(cluster.name, probe.name),
        signal: controller.signal,
        readTokenFile,
        ...opts.contextFor?.(cluster),
      };
      // Raced against the signal, so a probe that ignores it still ends the run on time; its late settling is muted.
      const running = Promise.resolve().then(() => probe.run(cluster, ctx));
      running.catch(() => {});
      outcome = await Promise.race([running, rejectOnAbort(controller.signal)]);
      if (!Array.isArray(outcome?.findings)) throw new InvalidOutcomeError(probe.name);
    } catch (err) {
      outcome = { findings: [failureFinding(controller.signal.aborted ? controller.signal.reason : err)] };
      if (!controller.signal.aborted) opts.log.warn({ err, cluster: cluster.name, probe: probe.name }, 'probe failed');
    } finally {
      clearTimeout(timer);
    }
    return {
      cluster: cluster.name,
      probe: probe.name,
      status: statusOf(outcome.findings),
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      findings: outcome.findings,
      ...(outcome.observations !== undefined ? { observations: outcome.observations } : {}),
    };
  }

  async function deliver(result: ProbeResult): Promise<void> {
    opts.log.debug(
      {
        cluster: result.cluster,
        probe: result.probe,
        status: result.status,
        durationMs: result.durationMs,
        findings: result.findings.map((f) => f.code),
      },
      'probe run',
    );
    try {
      await opts.onResult(result);
    } catch (err) {
      opts.log.error({ err, cluster: result.cluster, probe: result.probe }, 'handling a probe result failed');
    }
  }

  async function runKey(key: string, run: Run, cluster: ClusterConfig, probe: Probe) {
    try {
      const queued = performance.now();
      const inSlot = () =>
        limit(() => {
          if (draining) return undefined;
          opts.onStart?.(performance.now() - queued);
          return inProbeSpan(cluster.name, probe.name, () => execute(cluster, probe, run.controller));
        });
      // Runs waiting on shared work queue for their key before they queue for a slot, so they hold none meanwhile.
      const shared = probe.sharedBy?.(cluster);
      const result = await (shared === undefined ? inSlot() : sharedTurn(`${probe.name}\u0000${shared}`, inSlot));
      // A run abandoned at shutdown delivers nothing: its `unknown` would be the agent's doing, not the cluster's.
      if (result === undefined || run.controller.signal.reason instanceof RunAbandonedError) {
        run.state = 'dropped';
        return undefined;
      }
      await deliver(result);
      run.state = 'delivered';
      return result;
    } catch (err) {
      run.state = 'dropped';
      opts.log.error({ err, cluster: cluster.name, probe: probe.name }, 'runner failed');
      return undefined;
    } finally {
      runs.delete(key);
    }
  }

  function run(cluster: ClusterConfig, probe: Probe): Promise<ProbeResult | undefined> {
    const key = `${cluster.name}\u0000${probe.name}`;
    const reason = draining ? 'draining' : runs.has(key) ? 'previous run in flight' : undefined;
    if (reason !== undefined) {
      opts.log.debug({ cluster: cluster.name, probe: probe.name, reason }, 'probe run skipped');
      return Promise.resolve(undefined);
    }
    const entry: Run = { controller: new AbortController(), done: Promise.resolve(undefined), state: 'pending' };
    runs.set(key, entry);
    entry.done = runKey(key, entry, cluster, probe);
    return entry.done;
  }

  async function drain(graceMs: number): Promise<DrainReport> {
    draining = true;
    const pending = [...runs.values()];
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(pending.map((r) => r.done)), graceOver]);
    clearTimeout(timer);
    for (const r of pending) if (r.state === 'pending') r.controller.abort(new RunAbandonedError());
    const finished = pending.filter((r) => r.state === 'delivered').length;
    return { finished, abandoned: pending.length - finished };
  }

  async function settled(cluster: string, probe: ProbeName): Promise<void> {
    await runs.get(`${cluster}\u0000${probe}`)?.done;
  }

  const current = (cluster: string, probe: ProbeName) => runs.get(`${cluster}\u0000${probe}`)?.done;

  const setConcurrency = (concurrency: number): void => {
    limit.concurrency = concurrency;
  };

  return { run, inFlight: () => runs.size, setConcurrency, settled, current, drain };
}

/** A projected token file, trimmed. Errors name the path, never the content. */
export async function readTokenFile(path: string): Promise<string> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(TOKEN_FILE_MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > TOKEN_FILE_MAX_BYTES)
      throw new TokenFileError(`token file ${path} is larger than ${TOKEN_FILE_MAX_BYTES} bytes`);
    const token = buffer.toString('utf8', 0, bytesRead).trim();
    if (token === '') throw new TokenFileError(`token file ${path} is empty`);
    return token;
  } catch (err) {
    if (err instanceof TokenFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new TokenFileError(`cannot read token file ${path} (${code})`);
  } finally {
    await handle?.close();
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

function failureFinding(err: unknown): Finding {
  if (err instanceof ProbeTimeoutError)
    return finding('PROBE_TIMEOUT', err.message, { evidence: { timeoutMs: err.timeoutMs } });
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  return finding('PROBE_ERROR', message, {
    evidence: { error: err instanceof Error ? err.name : typeof err, ...(code !== undefined ? { code } : {}) },
  });
}
