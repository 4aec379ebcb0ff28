// Preloaded into the agent's process by the soak (`node --expose-gc --import ./bench/soak-meter.ts src/cli.ts serve
// …`), so the agent measured is the real CLI, unchanged, in a process of its own. Every SOAK_SAMPLE_MS it runs a full
// GC and appends the memory then to SOAK_METER_FILE, one JSON line (bench/soak-trend.ts MemorySample).
import { appendFileSync } from 'node:fs';

const file = process.env.SOAK_METER_FILE;
const every = Number(process.env.SOAK_SAMPLE_MS ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (file && gc) {
  const t0 = performance.now();
  setInterval(() => {
    gc();
    const m = process.memoryUsage();
    const sample = { t: Math.round(performance.now() - t0), heapUsed: m.heapUsed, rss: m.rss, external: m.external };
    appendFileSync(file, `${JSON.stringify(sample)}\n`);
  }, every).unref();
} else if (file) {
  process.stderr.write('soak-meter: run node with --expose-gc\n');
}
