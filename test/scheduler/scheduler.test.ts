import cron from 'node-cron';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClusterConfig, ProbeSchedule } from '../../src/config/types.ts';
import type { ProbeName, ProbeResult } from '../../src/core/model.ts';
import type { Probe } from '../../src/core/probe.ts';
import { PROBE_NAMES } from '../../src/core/model.ts';
import { createRunner } from '../../src/scheduler/runner.ts';
import {
  createScheduler,
  FALLBACK_JITTER_MS,
  jitterMs,
  periodMsOf,
  UnknownClusterError,
  UnknownProbeError,
} from '../../src/scheduler/scheduler.ts';
import type { SchedulerOptions } from '../../src/scheduler/scheduler.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';

const log = pino({ level: 'silent' });

function cluster(name: string, probes?: ProbeName[]): ClusterConfig {
  return {
    name,
    issuer: `https://${name}.example.com`,
    ...clusterDefaults(),
    region: 'us-east-1',
    labels: {},
    ...(probes ? { probes } : {}),
  };
}

function probe(name: ProbeName): Probe {
  return { name, description: `fake ${name}`, run: () => Promise.resolve({ findings: [] }) };
}

function schedules(overrides: Partial<Record<ProbeName, Partial<ProbeSchedule>>> = {}) {
  return Object.fromEntries(
    PROBE_NAMES.map((n) => [n, { cron: '*/10 * * * * *', timeoutMs: 1_000, enabled: true, ...overrides[n] }]),
  ) as Record<ProbeName, ProbeSchedule>;
}

/** A runner that records (cluster, probe, ms since the test's start) and answers ok. */
function fakeRunner(t0: number) {
  const calls: { cluster: string; probe: ProbeName; at: number }[] = [];
  const run = vi.fn((c: ClusterConfig, p: Probe) => {
    calls.push({ cluster: c.name, probe: p.name, at: Date.now() - t0 });
    const result: ProbeResult = {
      cluster: c.name,
      probe: p.name,
      status: 'ok',
      startedAt: new Date().toISOString(),
      durationMs: 0,
      findings: [],
    };
    return Promise.resolve(result);
  });
  return { runner: { run }, calls };
}

const T0 = new Date('2026-05-01T00:00:00.000Z').getTime();

describe('periodMsOf and jitterMs', () => {
  it.each([
    ['*/15 * * * * *', 15_000],
    ['* * * * * *', 1_000],
    ['*/5 * * * *', 300_000],
    ['* * * * *', 60_000],
    ['30 */2 * * * *', 120_000],
    ['0 * * * *', 3_600_000],
    ['0 */6 * * *', 21_600_000],
  ])('%s has a period of %d ms', (expr, ms) => expect(periodMsOf(expr)).toBe(ms));

  it.each(['*/7 * * * *', '0 3 * * *', '1-5 * * * *', '*/5 1 * * *', '0 0 * * * * *', 'nonsense'])(
    '%s has no simple period',
    (expr) => expect(periodMsOf(expr)).toBeUndefined(),
  );

  it('draws offsets within [0, period), and within the fallback window otherwise', () => {
    expect(jitterMs('*/10 * * * * *', () => 0)).toBe(0);
    expect(jitterMs('*/10 * * * * *', () => 0.5)).toBe(5_000);
    expect(jitterMs('*/10 * * * * *', () => 0.9999999999)).toBe(9_999);
    for (let i = 0; i < 1_000; i++) {
      const offset = jitterMs('*/5 * * * *', Math.random);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(300_000);
      const fallback = jitterMs('0 3 * * *', Math.random);
      expect(fallback).toBeGreaterThanOrEqual(0);
      expect(fallback).toBeLessThan(FALLBACK_JITTER_MS);
    }
  });
});

describe('scheduler', () => {
  beforeEach(() => vi.useFakeTimers({ now: T0 }));
  afterEach(() => vi.useRealTimers());

  function scheduler(overrides: Partial<SchedulerOptions> & { runner: SchedulerOptions['runner'] }) {
    return createScheduler({
      config: {
        clusters: [cluster('a'), cluster('b'), cluster('c', ['jwks'])],
        schedules: schedules({ bucket: { enabled: false } }),
      },
      probes: { issuer: probe('issuer'), bucket: probe('bucket') },
      log,
      ...overrides,
    });
  }

  it('schedules only registered, enabled probes, for the clusters they apply to, each at its phase', async () => {
    const { runner, calls } = fakeRunner(T0);
    const offsets = [0.25, 0.75]; // a: 2.5 s, b: 7.5 s into each 10 s period
    const s = scheduler({ runner, random: () => offsets.shift() ?? 0 });
    s.start();
    await vi.advanceTimersByTimeAsync(25_000);
    s.stop();
    // First runs at start + phase, then at every tick (0:10, 0:20) + phase. jwks is not registered, bucket is disabled.
    expect(calls).toEqual([
      { cluster: 'a', probe: 'issuer', at: 2_500 },
      { cluster: 'b', probe: 'issuer', at: 7_500 },
      { cluster: 'a', probe: 'issuer', at: 12_500 },
      { cluster: 'b', probe: 'issuer', at: 17_500 },
      { cluster: 'a', probe: 'issuer', at: 22_500 },
    ]);
  });

  it('stop() clears the cron jobs and every pending jitter timer', async () => {
    const { runner, calls } = fakeRunner(T0);
    const jobsBefore = cron.getTasks().size;
    const s = scheduler({ runner, random: () => 0.5 });
    s.start();
    expect(cron.getTasks().size).toBe(jobsBefore + 1);
    await vi.advanceTimersByTimeAsync(10_000); // a tick has armed the jitter timers
    expect(vi.getTimerCount()).toBeGreaterThan(1);
    s.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(cron.getTasks().size).toBe(jobsBefore);
    const before = calls.length;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls.length).toBe(before);
  });

  it('runOnce runs every enabled registered probe for every cluster, now, without timers', async () => {
    const { runner, calls } = fakeRunner(T0);
    const s = scheduler({ runner });
    const results = await s.runOnce();
    expect(results.map((r) => `${r.cluster}/${r.probe}`)).toEqual(['a/issuer', 'b/issuer']);
    expect(calls.every((c) => c.at === 0)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("runOnce queues the runs that wait on shared work first, and answers in the clusters' and probes' order", async () => {
    const { runner, calls } = fakeRunner(T0);
    const s = scheduler({
      runner,
      probes: { issuer: probe('issuer'), cloudtrail: { ...probe('cloudtrail'), sharedBy: () => 'account' } },
    });
    const results = await s.runOnce();
    expect(calls.map((c) => `${c.cluster}/${c.probe}`)).toEqual([
      'a/cloudtrail',
      'b/cloudtrail',
      'a/issuer',
      'b/issuer',
    ]);
    expect(results.map((r) => `${r.cluster}/${r.probe}`)).toEqual([
      'a/issuer',
      'a/cloudtrail',
      'b/issuer',
      'b/cloudtrail',
    ]);
  });

  it('runOnce filters by cluster and probe; a probe named explicitly runs even if its schedule is disabled', async () => {
    const { runner } = fakeRunner(T0);
    const s = scheduler({ runner });
    const keys = async (filter: Parameters<typeof s.runOnce>[0]) =>
      (await s.runOnce(filter)).map((r) => `${r.cluster}/${r.probe}`);
    expect(await keys({ clusters: ['b'] })).toEqual(['b/issuer']);
    expect(await keys({ probes: ['bucket'] })).toEqual(['a/bucket', 'b/bucket']);
    expect(await keys({ clusters: ['a', 'c'], probes: ['issuer', 'bucket'] })).toEqual(['a/issuer', 'a/bucket']);
    expect(await keys({ clusters: ['c'] })).toEqual([]);
  });

  it('runOnce rejects a filter naming an unknown cluster or an unregistered probe', async () => {
    const { runner } = fakeRunner(T0);
    const s = scheduler({ runner });
    await expect(s.runOnce({ clusters: ['nope'] })).rejects.toThrow(UnknownClusterError);
    await expect(s.runOnce({ clusters: ['nope'] })).rejects.toMatchObject({
      code: 'UNKNOWN_CLUSTER',
      message: 'No cluster named "nope" in the configuration (clusters: a, b, c)',
    });
    await expect(s.runOnce({ probes: ['jwks'] })).rejects.toThrow(UnknownProbeError);
    expect(runner.run).not.toHaveBeenCalled();
  });

  it('runOnce leaves out runs the runner skipped', async () => {
    const run = vi.fn((c: ClusterConfig) =>
      Promise.resolve(c.name === 'a' ? undefined : ({ cluster: c.name } as ProbeResult)),
    );
    const s = scheduler({ runner: { run } });
    expect((await s.runOnce()).map((r) => r.cluster)).toEqual(['b']);
  });

  it('drives the real runner: results reach onResult on schedule', async () => {
    const results: ProbeResult[] = [];
    const runner = createRunner({
      concurrency: 2,
      http: { get: () => Promise.reject(new Error('unused')) },
      log,
      previousOf: () => undefined,
      onResult: (r) => void results.push(r),
      timeoutMsFor: () => 1_000,
    });
    const s = scheduler({ runner, random: () => 0 });
    s.start();
    await vi.advanceTimersByTimeAsync(15_000);
    s.stop();
    // A zero delay is a 1 ms timer, as in Node; the second runs follow the tick at 0:10.
    expect(results.map((r) => [r.cluster, r.startedAt.slice(0, 19)])).toEqual([
      ['a', '2026-05-01T00:00:00'],
      ['b', '2026-05-01T00:00:00'],
      ['a', '2026-05-01T00:00:10'],
      ['b', '2026-05-01T00:00:10'],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
