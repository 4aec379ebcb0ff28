// The gate every LookupEvents call of a scanner passes (SDK retries included): LookupEvents allows two calls a second
// per account and region (docs/aws-facts.md 3.2), counted where CloudTrail counts them, when they arrive. The client cannot
// see arrival, only that it falls between the call's start and its answer. So a call starts no sooner than a window
// (a second, plus a margin for clocks) after the answer to the call `limit` before it: whatever the latency of each
// call (a slow first TLS handshake, a far region, a loaded machine), no window holds more than `limit` arrivals. Calls
// are also spaced `minIntervalMs` apart, so a scan's pages go out evenly rather than in bursts of two.

export interface LookupGateOptions {
  /** Least time between two starts. */
  minIntervalMs: number;
  /** Calls allowed per window. */
  limit: number;
  /** The window, from the answer to a call to the start of the call `limit` after it. */
  windowMs: number;
  /** A monotonic clock in ms. Default performance.now(). */
  now?: () => number;
  /** Waits `ms`. Default a timer. */
  sleep?: (ms: number) => Promise<void>;
}

/** Admits one call: resolves when it may start, with the function to call when its answer (or error) arrived. */
export type LookupGate = () => Promise<() => void>;

export function createLookupGate(opts: LookupGateOptions): LookupGate {
  const now = opts.now ?? (() => performance.now());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const until = async (t: number): Promise<void> => {
    for (let left = t - now(); left > 0; left = t - now()) await sleep(left);
  };
  /** When each of the last `limit` admitted calls was answered (pending while it is in flight). */
  const answered: Promise<number>[] = [];
  let lastStart = -Infinity;
  let queue: Promise<unknown> = Promise.resolve();
  return () => {
    const admitted = queue.then(async () => {
      if (answered.length >= opts.limit) await until((await answered[answered.length - opts.limit]!) + opts.windowMs);
      await until(lastStart + opts.minIntervalMs);
      lastStart = now();
      let done!: () => void;
      answered.push(new Promise<number>((resolve) => (done = () => resolve(now()))));
      if (answered.length > opts.limit) void answered.shift();
      return done;
    });
    queue = admitted;
    return admitted;
  };
}
