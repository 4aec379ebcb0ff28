// The scheduler: one node-cron job per probe kind; each tick runs that probe, through the runner, for every cluster
// it applies to. Jitter is a per-(cluster, probe) phase: a random offset in [0, period) drawn once at start, by which
// that pair's first run (right after start) and its run on every tick are delayed. A fixed phase keeps each pair's
// runs one period apart while spreading the fleet over the period, so the issuers are not all hit at once.
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { AgentConfig, ClusterConfig } from '../config/types.ts';
import type { ProbeName, ProbeResult } from '../core/model.ts';
import type { Probe } from '../core/probe.ts';
import { PROBE_NAMES } from '../core/model.ts';
import type { Runner } from './runner.ts';

/** A run the schedule promises: a probe of a cluster, every periodMs. */
export interface ExpectedRun {
  cluster: string;
  probe: ProbeName;
  periodMs: number;
}

export interface SchedulerOptions {
  config: Pick<AgentConfig, 'clusters' | 'schedules'>;
  /** The registered probes; only these are scheduled or run. */
  probes: Partial<Record<ProbeName, Probe>>;
  runner: Pick<Runner, 'run'> & Partial<Pick<Runner, 'settled' | 'current'>>;
  log: Logger;
  /** Source of jitter, uniform in [0, 1). Default: Math.random. */
  random?: () => number;
}

export interface RunFilter {
  /** Cluster names; default all. */
  clusters?: string[];
  /** Probe names; default every registered probe whose schedule is enabled. */
  probes?: ProbeName[];
}

export interface Scheduler {
  /** Creates the cron jobs (expressions evaluated in UTC) and arms each pair's first run at its phase. Once only. */
  start(): void;
  /**
   * Runs every selected (cluster, probe) once, now, without jitter; resolves with their results in config order
   * (clusters, then probes). A pair already running is skipped by the runner and missing from the results.
   * Rejects with UnknownClusterError or UnknownProbeError when the filter names something that does not exist.
   */
  runOnce(filter?: RunFilter): Promise<ProbeResult[]>;
  /**
   * Runs, now, every enabled probe that applies to the cluster, except `except` (the one whose changed status asks for
   * the others: the agent re-runs them so the diagnosis does not wait for their schedules); a probe whose run is in
   * flight runs again once that one is done. Resolves with their results; an unknown cluster resolves with none.
   */
  runCluster(name: string, except?: readonly ProbeName[]): Promise<ProbeResult[]>;
  /**
   * Runs one probe for one cluster now, as its schedule would (the result stored, the diagnosis and alerts updated by
   * the runner's onResult); a run of that pair already in flight is joined, not doubled. Rejects with
   * UnknownClusterError, UnknownProbeError, ProbeNotApplicableError, ProbeDisabledError, or RunNotCompletedError when
   * the run delivered no result (the agent is shutting down).
   */
  runProbe(cluster: string, probe: string): Promise<ProbeRun>;
  /** The (cluster, probe) pairs the schedule runs, with their periods (the expression's; a day when it has none). */
  expected(): ExpectedRun[];
  /** Stops every cron job and pending jitter timer, for good; runs in flight go on (drain the runner for those). */
  stop(): void;
}

export class UnknownClusterError extends Error {
  readonly code = 'UNKNOWN_CLUSTER';
  constructor(name: string, known: string[]) {
    super(`No cluster named "${name}" in the configuration (clusters: ${known.join(', ') || 'none'})`);
    this.name = 'UnknownClusterError';
  }
}

export class UnknownProbeError extends Error {
  readonly code = 'UNKNOWN_PROBE';
  constructor(name: string, known: string[]) {
    super(`No probe named "${name}" is available (probes: ${known.join(', ') || 'none'})`);
    this.name = 'UnknownProbeError';
  }
}

/** A run asked for now: its result, and whether it was a run already in flight that the caller joined. */
export interface ProbeRun {
  result: ProbeResult;
  joined: boolean;
}

export class ProbeNotApplicableError extends Error {
  readonly code = 'PROBE_NOT_APPLICABLE';
  constructor(cluster: ClusterConfig, probe: ProbeName) {
    const why =
      cluster.probes && !cluster.probes.includes(probe)
        ? `its probes are ${cluster.probes.join(', ') || 'none'}`
        : 'its configuration lacks what the probe needs, such as an account or an issuer hosted in S3';
    super(`The ${probe} probe does not apply to cluster "${cluster.name}": ${why}`);
    this.name = 'ProbeNotApplicableError';
  }
}

export class ProbeDisabledError extends Error {
  readonly code = 'PROBE_DISABLED';
  constructor(probe: ProbeName) {
    super(
      `The ${probe} probe is disabled (schedules.${probe}.enabled is false): a result nothing refreshes would hold the diagnosis`,
    );
    this.name = 'ProbeDisabledError';
  }
}

export class RunNotCompletedError extends Error {
  readonly code = 'RUN_NOT_COMPLETED';
  constructor(cluster: string, probe: ProbeName) {
    super(`The ${probe} run for cluster "${cluster}" delivered no result: the agent is shutting down`);
    this.name = 'RunNotCompletedError';
  }
}

const DAY_MS = 86_400_000;

/** Jitter window when the period cannot be read from the expression. */
export const FALLBACK_JITTER_MS = 30_000;

const UNIT_MS = [1_000, 60_000, 3_600_000] as const;
const FIELD_RANGE = [60, 60, 24] as const;

/**
 * The period of a cron expression of the simple repeating forms, else undefined: the first of second, minute and
 * hour that is `*` or `*\/N` (N dividing the field's range) with fixed numbers below it and `*` above it, e.g.
 * `*\/15 * * * * *` = 15 s, `*\/5 * * * *` = 5 min, `0 *\/2 * * *` = 2 h.
 */
export function periodMsOf(expression: string): number | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length === 5) fields.unshift('0');
  if (fields.length !== 6) return undefined;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const step = /^\*(?:\/(\d+))?$/.exec(fields[i] ?? '');
    if (step === null) {
      if (!/^\d+$/.test(fields[i] ?? '')) return undefined;
      continue;
    }
    const n = Number(step[1] ?? 1);
    const range = FIELD_RANGE[i] ?? 0;
    if (n < 1 || range % n !== 0) return undefined;
    if (!fields.slice(i + 1).every((f) => f === '*')) return undefined;
    return n * (UNIT_MS[i] ?? 0);
  }
  return undefined;
}

/** A random phase in [0, period), or [0, FALLBACK_JITTER_MS) when the period is not known. */
export function jitterMs(expression: string, random: () => number): number {
  const window = periodMsOf(expression) ?? FALLBACK_JITTER_MS;
  return Math.min(window - 1, Math.floor(random() * window));
}

export function createScheduler(opts: SchedulerOptions): Scheduler {
  const log = opts.log.child({ component: 'scheduler' });
  const random = opts.random ?? Math.random;
  const { clusters, schedules } = opts.config;
  const tasks: ScheduledTask[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let started = false;
  let stopped = false;

  const registered = (): Probe[] => PROBE_NAMES.flatMap((name) => opts.probes[name] ?? []);
  const appliesTo = (cluster: ClusterConfig, probe: Probe) =>
    (cluster.probes?.includes(probe.name) ?? true) && (probe.appliesTo?.(cluster) ?? true);

  function later(delayMs: number, fn: () => void) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, delayMs);
    timers.add(timer);
  }

  function start() {
    if (started) return;
    started = true;
    try {
      for (const probe of registered()) schedule(probe);
    } catch (err) {
      stop();
      throw err;
    }
  }

  function schedule(probe: Probe) {
    const { cron: expression, enabled } = schedules[probe.name];
    if (!enabled) return;
    const targets = clusters.filter((c) => appliesTo(c, probe));
    const phases = targets.map((cluster) => ({ cluster, offsetMs: jitterMs(expression, random) }));
    const tick = () => {
      if (stopped) return;
      for (const { cluster, offsetMs } of phases) later(offsetMs, () => void opts.runner.run(cluster, probe));
    };
    tasks.push(
      cron.schedule(expression, tick, { name: `probe:${probe.name}`, timezone: 'UTC', logger: cronLogger(log) }),
    );
    tick();
    log.info({ probe: probe.name, cron: expression, clusters: targets.length }, 'probe scheduled');
  }

  async function runOnce(filter: RunFilter = {}): Promise<ProbeResult[]> {
    const available = registered();
    const clusterNames = clusters.map((c) => c.name);
    const probeNames = available.map((p) => p.name);
    const unknownCluster = filter.clusters?.find((name) => !clusterNames.includes(name));
    if (unknownCluster !== undefined) throw new UnknownClusterError(unknownCluster, clusterNames);
    const unknownProbe = filter.probes?.find((name) => !probeNames.includes(name));
    if (unknownProbe !== undefined) throw new UnknownProbeError(unknownProbe, probeNames);
    const probes = available.filter((p) =>
      filter.probes ? filter.probes.includes(p.name) : schedules[p.name].enabled,
    );
    const chosen = filter.clusters ? clusters.filter((c) => filter.clusters?.includes(c.name)) : clusters;
    const pairs = chosen.flatMap((cluster) =>
      probes.filter((p) => appliesTo(cluster, p)).map((probe) => ({ cluster, probe })),
    );
    // Runs that wait on work shared by many clusters (Probe.sharedBy: a CloudTrail scan) are queued first, so that
    // work starts with the cycle and goes on while the other probes run, instead of starting after them. The results
    // keep the clusters' and probes' order.
    const shared = (p: Probe): number => (p.sharedBy === undefined ? 1 : 0);
    const runs = new Array<Promise<ProbeResult | undefined>>(pairs.length);
    const queued = pairs.map((pair, index) => ({ ...pair, index }));
    queued.sort((a, b) => shared(a.probe) - shared(b.probe));
    for (const { cluster, probe, index } of queued) runs[index] = opts.runner.run(cluster, probe);
    return (await Promise.all(runs)).filter((r): r is ProbeResult => r !== undefined);
  }

  async function runCluster(name: string, except: readonly ProbeName[] = []): Promise<ProbeResult[]> {
    const cluster = clusters.find((c) => c.name === name);
    if (!cluster || stopped) return [];
    // A run already in flight may have started before the change: it is let finish, then the probe runs again.
    const fresh = async (p: Probe): Promise<ProbeResult | undefined> => {
      const result = await opts.runner.run(cluster, p);
      if (result !== undefined || !opts.runner.settled || stopped) return result;
      await opts.runner.settled(cluster.name, p.name);
      return opts.runner.run(cluster, p);
    };
    const runs = registered()
      .filter((p) => schedules[p.name].enabled && !except.includes(p.name) && appliesTo(cluster, p))
      .map(fresh);
    return (await Promise.all(runs)).filter((r): r is ProbeResult => r !== undefined);
  }

  async function runProbe(name: string, probeName: string): Promise<ProbeRun> {
    const cluster = clusters.find((c) => c.name === name);
    if (!cluster)
      throw new UnknownClusterError(
        name,
        clusters.map((c) => c.name),
      );
    const available = registered();
    const probe = available.find((p) => p.name === probeName);
    if (!probe)
      throw new UnknownProbeError(
        probeName,
        available.map((p) => p.name),
      );
    if (!appliesTo(cluster, probe)) throw new ProbeNotApplicableError(cluster, probe.name);
    if (!schedules[probe.name].enabled) throw new ProbeDisabledError(probe.name);
    // Checked and started in one go (nothing awaits between): a run in flight is joined, or this one is the run.
    const inFlight = opts.runner.current?.(cluster.name, probe.name);
    const result = await (inFlight ?? opts.runner.run(cluster, probe));
    if (result === undefined) throw new RunNotCompletedError(cluster.name, probe.name);
    return { result, joined: inFlight !== undefined };
  }

  // Built once per set of probes: the alert service asks on every evaluation, and the fleet's clusters and
  // schedules are fixed for this scheduler (a changed fleet or config builds a new one).
  let expectedRuns: { list: ExpectedRun[]; probes: string } | undefined;
  function expected(): ExpectedRun[] {
    const probes = registered();
    const key = probes.map((p) => p.name).join(',');
    if (expectedRuns?.probes !== key) expectedRuns = { list: expectedOf(probes), probes: key };
    return expectedRuns.list;
  }

  function expectedOf(probes: Probe[]): ExpectedRun[] {
    return probes.flatMap((p) => {
      const { cron: expression, enabled } = schedules[p.name];
      if (!enabled) return [];
      // An expression of no simple period (e.g. daily at 02:00) counts as daily: stale is never raised too early.
      const periodMs = periodMsOf(expression) ?? DAY_MS;
      return clusters.filter((c) => appliesTo(c, p)).map((c) => ({ cluster: c.name, probe: p.name, periodMs }));
    });
  }

  function stop() {
    stopped = true;
    for (const task of tasks.splice(0)) {
      Promise.resolve(task.destroy()).catch((err: unknown) => log.error({ err }, 'stopping a cron job failed'));
    }
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  }

  return { start, runOnce, runCluster, runProbe, expected, stop };
}

/** Routes node-cron's own messages (missed executions, task errors) to pino instead of the console. */
function cronLogger(log: Logger) {
  const child = log.child({ component: 'node-cron' });
  const error = (message: string | Error, err?: Error) =>
    message instanceof Error ? child.error({ err: message }, 'cron task failed') : child.error({ err }, message);
  return {
    info: (message: string) => child.info(message),
    warn: (message: string) => child.warn(message),
    error,
    debug: (message: string | Error, err?: Error) =>
      message instanceof Error ? child.debug({ err: message }, 'cron') : child.debug({ err }, message),
  };
}
