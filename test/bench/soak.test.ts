// The soak's judgement (bench/soak-trend.ts) on made-up series: flat memory passes, a heap or RSS that grows fails;
// and the soak itself, small (`npm run soak` runs 30 minutes): serve against a lab fleet on one-second schedules with
// a fault put and healed and the configuration reloaded, its heap after a full GC sampled every second, must not grow
// by more than a bound over the run once warmed up.
import { describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/soak-run.ts';
import { DEFAULT_CRITERIA, formatTrend, memoryTrend } from '../../bench/soak-trend.ts';
import type { MemorySample } from '../../bench/soak-trend.ts';

const MiB = 2 ** 20;
/** A sample a minute for `minutes`, heap and RSS from the functions of the minute, a little noise. */
const series = (minutes: number, heap: (m: number) => number, rss: (m: number) => number): MemorySample[] =>
  Array.from({ length: minutes }, (_, m) => ({
    t: m * 60_000,
    heapUsed: heap(m) + ((m * 7919) % 5) * 100_000,
    rss: rss(m),
    external: 20 * MiB,
  }));

describe('soak trend', () => {
  const criteria = { ...DEFAULT_CRITERIA, warmupMs: 5 * 60_000 };

  it('passes flat memory, whatever the warm-up did', () => {
    const trend = memoryTrend(
      series(
        30,
        (m) => (m < 5 ? m * 10 * MiB : 70 * MiB),
        () => 300 * MiB,
      ),
      criteria,
    )!;
    expect(trend.failures).toEqual([]);
    expect(trend.judged).toBe(25);
    expect(formatTrend(trend).at(-1)).toBe('PASS: flat memory');
  });

  it('fails a heap that grows a megabyte a minute', () => {
    const trend = memoryTrend(
      series(
        30,
        (m) => 70 * MiB + m * MiB,
        () => 300 * MiB,
      ),
      criteria,
    )!;
    expect(trend.heap.slopeKiBPerMin).toBeGreaterThan(1000);
    expect(trend.failures.join('; ')).toMatch(/^heap grows .* KiB\/min.*; heap's last quarter/);
  });

  it('fails an RSS that keeps growing with a flat heap', () => {
    const trend = memoryTrend(
      series(
        30,
        () => 70 * MiB,
        (m) => 300 * MiB + m * 2 * MiB,
      ),
      criteria,
    )!;
    expect(trend.failures).toEqual([expect.stringMatching(/^RSS grows 20\d\d\.\d KiB\/min/)]);
  });

  it('judges nothing from too few samples', () => {
    expect(
      memoryTrend(
        series(
          10,
          () => 0,
          () => 0,
        ),
        criteria,
      ),
    ).toBeUndefined();
  });
});

/** Heap growth allowed over the small soak once warmed up: a leak of a few KiB per probe run exceeds it. */
const SMALL_HEAP_GROWTH_MIB = 8;

/** Every probe every second or few seconds. */
const FAST_SCHEDULES = {
  issuer: '* * * * * *',
  jwks: '* * * * * *',
  bucket: '* * * * * *',
  roles: '*/2 * * * * *',
  cloudtrail: '*/5 * * * * *',
};

describe('soak, small', () => {
  it('keeps the heap flat over a short compressed run', { timeout: 60_000 }, async () => {
    const result = await runSoak({
      durationMs: 16_000,
      clusters: 4,
      sampleEveryMs: 1_000,
      schedules: FAST_SCHEDULES,
      faultEveryMs: 5_000,
      reloadEveryMs: 5_000,
    });
    expect(result.exit).toBe(0);
    expect(result.errors).toEqual([]);
    expect(result.reloads).toBeGreaterThanOrEqual(1);
    // From the first sample after start-up (the agent's modules loaded, its first cycle run) to the last.
    const warm = result.samples.filter((s) => s.t >= 6_000);
    expect(warm.length).toBeGreaterThanOrEqual(6);
    expect(result.results).toBeGreaterThan(100);
    const growth = (warm.at(-1)!.heapUsed - warm[0]!.heapUsed) / MiB;
    expect(growth, `heap after GC ${warm.map((s) => (s.heapUsed / MiB).toFixed(1)).join(', ')} MiB`).toBeLessThan(
      SMALL_HEAP_GROWTH_MIB,
    );
  });

  it('ends at once, naming it, when the agent stops during the soak', { timeout: 60_000 }, async () => {
    const started = performance.now();
    const run = runSoak({
      durationMs: 120_000,
      clusters: 2,
      sampleEveryMs: 1_000,
      schedules: FAST_SCHEDULES,
      faultEveryMs: 60_000,
      reloadEveryMs: 60_000,
      onServing: ({ pid }) => process.kill(pid, 'SIGKILL'),
    });
    await expect(run).rejects.toThrow(/^serve stopped after 0\.\d min of the soak \(exit null, signal SIGKILL; /);
    // Well before the two minutes it was asked to run.
    expect(performance.now() - started).toBeLessThan(50_000);
  });
});
