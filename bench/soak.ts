// npm run soak — a compressed soak: `serve` against a lab fleet (each in its own process) on fast schedules for
// SOAK_MINUTES (30) of wall time, SOAK_CLUSTERS (24) clusters, issuer, jwks and bucket every 5 s, roles every 20 s,
// cloudtrail every 30 s (CloudTrail windows scaled to 5 min), a fault put on and healed every SOAK_FAULT_S (60) and
// the configuration reloaded every SOAK_RELOAD_S (300). The agent's heap after a full GC and its RSS are sampled every
// SOAK_SAMPLE_S (10); after the warm-up (SOAK_WARMUP_MIN, 6: the 5-minute windows filling) the trend is printed
// (least-squares slope per minute, first against last quarter) and judged against a flat-memory criterion
// (bench/soak-trend.ts); exit 1 when it is not flat. SOAK_KEEP=1 keeps the data dir (serve's log, the samples).
import { runSoak } from './soak-run.ts';
import { DEFAULT_CRITERIA, formatTrend, memoryTrend } from './soak-trend.ts';

const env = (name: string, fallback: number): number => {
  const v = process.env[name];
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
};

const minutes = env('SOAK_MINUTES', 30);
const criteria = { ...DEFAULT_CRITERIA, warmupMs: env('SOAK_WARMUP_MIN', 6) * 60_000 };
const result = await runSoak({
  durationMs: minutes * 60_000,
  clusters: env('SOAK_CLUSTERS', 24),
  sampleEveryMs: env('SOAK_SAMPLE_S', 10) * 1000,
  schedules: {
    issuer: '*/5 * * * * *',
    jwks: '*/5 * * * * *',
    bucket: '*/5 * * * * *',
    roles: '*/20 * * * * *',
    cloudtrail: '*/30 * * * * *',
  },
  faultEveryMs: env('SOAK_FAULT_S', 60) * 1000,
  reloadEveryMs: env('SOAK_RELOAD_S', 300) * 1000,
  log: (line) => console.log(line),
  keep: process.env.SOAK_KEEP === '1',
});

console.log(
  `\nsoak: ${minutes} min, ${result.results} probe results stored, ${result.notifications} alert notifications, ${result.faults} faults put or healed, ${result.reloads} reloads, serve exited ${result.exit}${result.dir && process.env.SOAK_KEEP === '1' ? ` (kept ${result.dir})` : ''}`,
);
if (result.errors.length > 0)
  console.log(`serve logged ${result.errors.length} error(s), the first:\n${result.errors[0]}`);
const trend = memoryTrend(result.samples, criteria);
if (trend === undefined) {
  console.log(
    `FAIL: ${result.samples.length} samples, too few after the ${criteria.warmupMs / 60_000} min warm-up to judge`,
  );
  process.exit(1);
}
for (const line of formatTrend(trend)) console.log(line);
process.exit(trend.failures.length === 0 && result.exit === 0 ? 0 : 1);
