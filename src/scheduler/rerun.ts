// Re-runs on a status change: when a probe's status changes, the cluster's other probes run at once, so its diagnosis
// (and its alerts) need not wait for their schedules; at most once per `cooldownMs` per cluster. A change within the
// cooldown is not dropped: the re-run happens when the cooldown ends (of every probe then, the changed one's result
// being old by then), and changes meanwhile join it. Callers hold the cluster's alert evaluation until it is done.
export interface RerunOptions {
  /** A number, or a function read at each request (a reloaded configuration may change it). */
  cooldownMs: number | (() => number);
  /** Runs the cluster's probes except `except`; resolves when their results are stored. */
  run(cluster: string, except: string[]): Promise<unknown>;
  /** Before each re-run (e.g. to make CloudTrail scans fresh). */
  before?(cluster: string): void;
  now?: () => number;
}

export interface Reruns {
  /**
   * Asks for a re-run after `probe` of `cluster` changed status (no probe: every probe runs). Returns the re-run (now,
   * or at the end of the cooldown) when this call started one; undefined when one is already pending, which covers
   * this change too.
   */
  request(cluster: string, probe?: string): Promise<unknown> | undefined;
  /** Cancels re-runs waiting for their cooldown (shutdown). */
  stop(): void;
}

export function createReruns(opts: RerunOptions): Reruns {
  const now = opts.now ?? Date.now;
  const last = new Map<string, number>();
  const pending = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  return {
    request(cluster, probe) {
      if (stopped || pending.has(cluster)) return undefined;
      pending.add(cluster);
      const cooldownMs = typeof opts.cooldownMs === 'function' ? opts.cooldownMs() : opts.cooldownMs;
      const delay = Math.max(0, (last.get(cluster) ?? Number.NEGATIVE_INFINITY) + cooldownMs - now());
      const work = (async () => {
        if (delay > 0) await wait(delay);
        if (stopped) return;
        last.set(cluster, now());
        opts.before?.(cluster);
        await opts.run(cluster, delay > 0 || probe === undefined ? [] : [probe]);
      })().finally(() => pending.delete(cluster));
      return work;
    },
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
