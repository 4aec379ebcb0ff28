// Preloaded into the agent's process by bench:fleet (`node --import ./bench/agent-meter.ts src/cli.ts check …`), so
// the agent measured is the real CLI, unchanged, in a process of its own. It measures the event loop's delay from the
// agent's first outbound request (the cycle's start, after the code has loaded) to its exit, samples the V8 heap, and
// at exit writes them with the process's peak RSS to the file named by BENCH_METER_FILE.
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** What the meter writes (JSON). Delays in milliseconds. */
export interface AgentMeter {
  /** From process start to the first outbound request, and to exit. */
  cycleStartMs: number | null;
  exitMs: number;
  lag: { p50: number; p99: number; max: number; samples: number };
  /** CPU seconds (user + system) of the agent's process: all of it, and from the first outbound request to exit. */
  cpu: { totalS: number; cycleS: number };
  /** process.resourceUsage().maxRSS, in bytes. */
  maxRss: number;
  /** The largest V8 heap (used, total) and external memory seen, sampled twice a second, in bytes. */
  heap: { used: number; total: number; external: number };
  /** At the sample with the largest RSS: what it was made of (bytes): /proc/self/status and V8's heap spaces. */
  atPeak?: Record<string, number>;
}

const file = process.env.BENCH_METER_FILE;
if (file) {
  // 10 ms resolution: a delay shorter than that is no lag worth reporting.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let cycleStart: number | null = null;
  let cpuAtStart = process.cpuUsage();
  const onFirstRequest = (): void => {
    if (cycleStart !== null) return;
    cycleStart = performance.now();
    cpuAtStart = process.cpuUsage();
    delay.reset();
  };
  // undici (the issuer probe's fetcher) and node:http(s) (the AWS SDK, the kube client) announce their requests.
  for (const channel of ['undici:request:create', 'http.client.request.start']) subscribe(channel, onFirstRequest);
  const heap = { used: 0, total: 0, external: 0 };
  let peakRss = 0;
  let atPeak: Record<string, number> | undefined;
  const sample = (): void => {
    const m = process.memoryUsage();
    heap.used = Math.max(heap.used, m.heapUsed);
    heap.total = Math.max(heap.total, m.heapTotal);
    heap.external = Math.max(heap.external, m.external);
    if (m.rss > peakRss) {
      peakRss = m.rss;
      const status = readFileSync('/proc/self/status', 'utf8');
      const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
      atPeak = {
        rss: m.rss,
        rssAnon: kib('RssAnon'),
        rssFile: kib('RssFile'),
        heapTotal: m.heapTotal,
        heapUsed: m.heapUsed,
      };
      atPeak.external = m.external;
      atPeak.arrayBuffers = m.arrayBuffers;
      for (const space of getHeapSpaceStatistics()) atPeak[space.space_name] = space.space_size;
    }
  };
  setInterval(sample, 500).unref();
  process.on('exit', () => {
    delay.disable();
    sample();
    const ms = (ns: number): number => Math.round((ns / 1e6) * 10) / 10;
    const cpu = process.cpuUsage();
    const seconds = (u: NodeJS.CpuUsage): number => Math.round((u.user + u.system) / 1e4) / 100;
    const meter: AgentMeter = {
      cycleStartMs: cycleStart === null ? null : Math.round(cycleStart),
      exitMs: Math.round(performance.now()),
      lag: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), samples: delay.count },
      cpu: { totalS: seconds(cpu), cycleS: seconds(process.cpuUsage(cpuAtStart)) },
      maxRss: process.resourceUsage().maxRSS * 1024,
      heap,
      atPeak,
    };
    writeFileSync(file, JSON.stringify(meter));
  });
}
