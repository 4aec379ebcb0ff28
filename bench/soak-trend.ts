// The memory trend of a soak (bench/soak.ts): samples of the agent's heap after a full GC and its RSS, judged after a
// warm-up (caches and CloudTrail windows filling) by the least-squares slope per minute and by the last quarter's mean
// against the first's. Flat memory: the heap's slope and growth under their bounds. RSS (allocator, code, sockets) is
// reported and held to a looser slope.

export interface MemorySample {
  /** Milliseconds since the agent started. */
  t: number;
  /** process.memoryUsage() right after globalThis.gc(), in bytes. */
  heapUsed: number;
  rss: number;
  external: number;
}

export interface TrendCriteria {
  /** Samples before this (ms since start) are warm-up and not judged. */
  warmupMs: number;
  /** Most heap growth per minute (least squares over the judged samples), KiB. */
  maxHeapSlopeKiBPerMin: number;
  /** Most growth of the last quarter's mean heap over the first quarter's, as a fraction of the first (plus 1 MiB). */
  maxHeapGrowth: number;
  /** Most RSS growth per minute, KiB. */
  maxRssSlopeKiBPerMin: number;
}

export const DEFAULT_CRITERIA: TrendCriteria = {
  warmupMs: 6 * 60_000,
  maxHeapSlopeKiBPerMin: 64,
  maxHeapGrowth: 0.05,
  maxRssSlopeKiBPerMin: 512,
};

export interface SeriesTrend {
  /** Least-squares slope, KiB per minute. */
  slopeKiBPerMin: number;
  firstQuarterMiB: number;
  lastQuarterMiB: number;
  minMiB: number;
  maxMiB: number;
}

export interface Trend {
  judged: number;
  fromMs: number;
  toMs: number;
  heap: SeriesTrend;
  rss: SeriesTrend;
  external: SeriesTrend;
  /** Why it is not flat; empty when it is. */
  failures: string[];
}

const MiB = 2 ** 20;

function series(samples: readonly MemorySample[], value: (s: MemorySample) => number): SeriesTrend {
  const xs = samples.map((s) => s.t / 60_000);
  const ys = samples.map((s) => value(s) / 1024);
  const mean = (a: number[]) => a.reduce((n, v) => n + v, 0) / a.length;
  const mx = mean(xs);
  const my = mean(ys);
  const den = xs.reduce((n, x) => n + (x - mx) ** 2, 0);
  const slope = den === 0 ? 0 : xs.reduce((n, x, i) => n + (x - mx) * (ys[i]! - my), 0) / den;
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const mib = samples.map((s) => value(s) / MiB);
  return {
    slopeKiBPerMin: slope,
    firstQuarterMiB: mean(mib.slice(0, quarter)),
    lastQuarterMiB: mean(mib.slice(-quarter)),
    minMiB: Math.min(...mib),
    maxMiB: Math.max(...mib),
  };
}

/** The trend of the samples after the warm-up; undefined when fewer than 8 remain to judge. */
export function memoryTrend(samples: readonly MemorySample[], criteria: TrendCriteria): Trend | undefined {
  const judged = samples.filter((s) => s.t >= criteria.warmupMs);
  if (judged.length < 8) return undefined;
  const heap = series(judged, (s) => s.heapUsed);
  const rss = series(judged, (s) => s.rss);
  const external = series(judged, (s) => s.external);
  const failures: string[] = [];
  if (heap.slopeKiBPerMin > criteria.maxHeapSlopeKiBPerMin)
    failures.push(
      `heap grows ${heap.slopeKiBPerMin.toFixed(1)} KiB/min (bound ${criteria.maxHeapSlopeKiBPerMin} KiB/min)`,
    );
  const allowed = heap.firstQuarterMiB * (1 + criteria.maxHeapGrowth) + 1;
  if (heap.lastQuarterMiB > allowed)
    failures.push(
      `heap's last quarter ${heap.lastQuarterMiB.toFixed(1)} MiB exceeds its first ${heap.firstQuarterMiB.toFixed(1)} MiB by more than ${criteria.maxHeapGrowth * 100}% + 1 MiB`,
    );
  if (rss.slopeKiBPerMin > criteria.maxRssSlopeKiBPerMin)
    failures.push(
      `RSS grows ${rss.slopeKiBPerMin.toFixed(1)} KiB/min (bound ${criteria.maxRssSlopeKiBPerMin} KiB/min)`,
    );
  return {
    judged: judged.length,
    fromMs: judged[0]!.t,
    toMs: judged.at(-1)!.t,
    heap,
    rss,
    external,
    failures,
  };
}

/** The trend as lines for the terminal. */
export function formatTrend(trend: Trend): string[] {
  const row = (name: string, s: SeriesTrend) =>
    `${name.padEnd(9)} slope ${s.slopeKiBPerMin.toFixed(1).padStart(7)} KiB/min   first quarter ${s.firstQuarterMiB.toFixed(1).padStart(6)} MiB   last quarter ${s.lastQuarterMiB.toFixed(1).padStart(6)} MiB   min ${s.minMiB.toFixed(1)} max ${s.maxMiB.toFixed(1)} MiB`;
  return [
    `judged ${trend.judged} samples from ${(trend.fromMs / 60_000).toFixed(1)} to ${(trend.toMs / 60_000).toFixed(1)} min`,
    row('heap', trend.heap),
    row('RSS', trend.rss),
    row('external', trend.external),
    trend.failures.length === 0 ? 'PASS: flat memory' : `FAIL: ${trend.failures.join('; ')}`,
  ];
}
