// Delivery of the outbox. Notifications are written to the store with the state change that makes them (service.ts);
// here each sink has its own queue and worker, so a sink that fails or hangs delays only itself. A failed attempt
// that may succeed later (429, 5xx, timeout, network) is retried with exponential backoff and jitter (a receiver's
// Retry-After is honoured), up to `maxAttempts`; a refusal (400) is not retried. Every attempt and decision is
// recorded with its outcome. A new dispatcher over the same store delivers what is pending and never what was
// delivered (a delivery cut off by a crash may be sent again: receivers dedupe on the event id / dedup_key).
// Logs name the sink, never its URL.
import type { Logger } from 'pino';
import type { AlertStore } from '../store/alert-store.ts';
import type { QuietReason } from './quiet.ts';
import type { Alert, AlertEvent, DeliveryOutcome, DeliveryOutcomeLabel, Notification, Sink } from './types.ts';

export interface RetryPolicy {
  /** Attempts per notification, the first included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface DispatcherOptions {
  store: AlertStore;
  sinks: readonly Sink[];
  /** Why an alert's notifications are held now (a silence, a maintenance window); undefined: deliver. */
  quiet: (alert: Alert, now: Date) => QuietReason | undefined;
  retry: RetryPolicy;
  log: Logger;
  now?: () => Date;
  /** Jitter source, uniform in [0, 1). */
  random?: () => number;
  /** Every attempt's (and decision's) outcome, per sink: counters for /metrics. Must not throw. */
  onDelivery?: (sink: string, outcome: DeliveryOutcomeLabel) => void;
}

export interface Dispatcher {
  /** Starts one worker per sink; each delivers what is due, then waits for more. */
  start(): void;
  /** Something was queued or released: the workers look again now. */
  kick(): void;
  /** Held notifications whose alerts are no longer quiet go back to the queue (or are dropped when moot). */
  releaseHeld(): number;
  /** Resolves once no sink has anything due or in flight (tests, shutdown). */
  idle(timeoutMs?: number): Promise<boolean>;
  /** Stops taking work; in-flight deliveries get `graceMs` to finish, then are aborted. */
  stop(graceMs?: number): Promise<void>;
}

/** Longest a worker sleeps before looking again on its own. */
const MAX_SLEEP_MS = 30_000;
const BATCH = 20;

/** Exponential backoff with jitter in [base/2, base), at least the receiver's Retry-After, at most maxDelayMs. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = base / 2 + (random() * base) / 2;
  return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
}

const errorCodeOf = (err: unknown): string => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'SINK_ERROR';
};

export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const now = opts.now ?? (() => new Date());
  const random = opts.random ?? Math.random;
  const log = opts.log.child({ component: 'alerts' });
  const abort = new AbortController();
  let stopped = false;

  const counted = (sink: string, outcome: DeliveryOutcomeLabel): void => {
    try {
      opts.onDelivery?.(sink, outcome);
    } catch (err) {
      log.error({ err, sink }, 'onDelivery hook failed');
    }
  };

  class Worker {
    readonly sink: Sink;
    busy = false;
    #wake: (() => void) | undefined;
    #timer: NodeJS.Timeout | undefined;
    done: Promise<void> = Promise.resolve();
    constructor(sink: Sink) {
      this.sink = sink;
    }
    kick(): void {
      this.#wake?.();
    }
    start(): void {
      this.done = this.#loop();
    }
    async #loop(): Promise<void> {
      while (!stopped) {
        let due: Notification[];
        try {
          this.busy = true;
          due = opts.store.due(this.sink.name, now(), BATCH);
          for (const n of due) {
            if (stopped) break;
            await this.#handle(n);
          }
        } catch (err) {
          if (stopped) break;
          log.error({ err, sink: this.sink.name }, 'alert delivery loop failed');
          due = [];
        } finally {
          this.busy = false;
        }
        if (due.length === 0 && !stopped) await this.#sleep();
      }
    }
    #sleep(): Promise<void> {
      let next: Date | undefined;
      try {
        next = opts.store.nextDue(this.sink.name);
      } catch {
        next = undefined;
      }
      const wait =
        next === undefined ? MAX_SLEEP_MS : Math.max(0, Math.min(MAX_SLEEP_MS, next.getTime() - now().getTime()));
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(this.#timer);
          this.#wake = undefined;
          resolve();
        };
        this.#wake = wake;
        this.#timer = setTimeout(wake, wait);
      });
    }
    async #handle(n: Notification): Promise<void> {
      const at = now();
      const name = this.sink.name;
      const alert = opts.store.alert(n.alertId);
      // Moot: the alert is gone or no longer firing, a newer refresh says the same, or the resolution of a trigger
      // this sink never got.
      const moot =
        !alert ||
        (n.kind !== 'resolve' && alert.state !== 'firing') ||
        (n.kind === 'refresh' && opts.store.laterRefresh(n)) ||
        (n.kind === 'resolve' && (!this.sink.sendResolved || !opts.store.triggerDelivered(alert.id, name)));
      if (moot || !alert) {
        opts.store.setStatus(n.id, 'dropped', 'dropped', at);
        counted(name, 'dropped');
        return;
      }
      const quiet = opts.quiet(alert, at);
      if (quiet) {
        opts.store.setStatus(n.id, 'held', 'held', at);
        counted(name, 'held');
        log.info({ sink: name, kind: n.kind, cluster: alert.cluster, code: alert.code, quiet }, 'notification held');
        return;
      }
      const event: AlertEvent = { kind: n.kind, id: n.dedupKey, alert, sentAt: at.toISOString() };
      const t0 = performance.now();
      let outcome: DeliveryOutcome;
      try {
        outcome = await this.sink.deliver(
          event,
          AbortSignal.any([AbortSignal.timeout(this.sink.timeoutMs), abort.signal]),
        );
      } catch (err) {
        outcome = { ok: false, retryable: true, errorCode: errorCodeOf(err), message: 'the sink threw' };
      }
      // Cut off by shutdown: not an attempt; it stays pending for the next start.
      if (!outcome.ok && abort.signal.aborted) return;
      const attempts = n.attempts + 1;
      const retry = !outcome.ok && outcome.retryable && attempts < opts.retry.maxAttempts;
      const label: DeliveryOutcomeLabel = outcome.ok ? 'delivered' : retry ? 'retry' : 'failed';
      const delay = retry ? backoffMs(attempts, opts.retry, random, outcome.retryAfterMs) : 0;
      opts.store.recordAttempt(n.id, {
        outcome,
        label,
        status: outcome.ok ? 'delivered' : retry ? 'pending' : 'failed',
        ...(retry && { nextAttemptAt: new Date(now().getTime() + delay) }),
        at,
        durationMs: performance.now() - t0,
      });
      counted(name, label);
      const fields = {
        sink: name,
        type: this.sink.type,
        kind: n.kind,
        cluster: alert.cluster,
        code: alert.code,
        attempt: attempts,
        ...(outcome.httpStatus !== undefined && { httpStatus: outcome.httpStatus }),
        ...(outcome.errorCode !== undefined && { errorCode: outcome.errorCode }),
      };
      if (outcome.ok) log.info(fields, 'alert delivered');
      else if (retry)
        log.warn({ ...fields, retryInMs: Math.round(delay) }, `alert delivery failed, retrying: ${outcome.message}`);
      else log.error(fields, `alert delivery failed for good: ${outcome.message}`);
    }
  }

  const workers = opts.sinks.map((s) => new Worker(s));

  function releaseHeld(): number {
    const at = now();
    let released = 0;
    for (const n of opts.store.held()) {
      const alert = opts.store.alert(n.alertId);
      if (alert && opts.quiet(alert, at)) continue;
      // A reminder or a refresh that waited out the quiet says nothing the released trigger or the next one will not.
      if (!alert || n.kind === 'reminder' || n.kind === 'refresh') {
        opts.store.setStatus(n.id, 'dropped', 'dropped', at);
        counted(n.sink, 'dropped');
        continue;
      }
      opts.store.setStatus(n.id, 'pending', undefined, at);
      released++;
    }
    if (released > 0) {
      log.info({ released }, 'held notifications released');
      kick();
    }
    return released;
  }

  function kick(): void {
    for (const w of workers) w.kick();
  }

  return {
    start() {
      for (const w of workers) w.start();
    },
    kick,
    releaseHeld,
    async idle(timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const t = now();
        const quiet = workers.every((w) => !w.busy && opts.store.due(w.sink.name, t, 1).length === 0);
        if (quiet) return true;
        if (Date.now() > end) return false;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop(graceMs = 5_000) {
      if (stopped) return;
      stopped = true;
      kick();
      const all = Promise.all(workers.map((w) => w.done));
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
      if ((await Promise.race([all, timer])) === 'timeout') {
        abort.abort(new Error('the agent is shutting down'));
        await all;
      }
      await Promise.all(opts.sinks.map((s) => s.close?.() ?? Promise.resolve()));
    },
  };
}
