// One CloudTrail scanner per account-region (see trail.ts). Every LookupEvents call of the scanner, SDK retries
// included, passes one gate (lookup-gate.ts) so no second holds more than two arrivals (docs/aws-facts.md 3.2: "limited to two
// per second, per account, per Region"), whatever the latency; the SDK's standard retry backs off on
// ThrottlingException. Each query's stream (its position and kept items) is saved after every complete scan and read
// back at its first use, so a new scanner (a restart, a reload) resumes where the last one stopped.
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { CloudTrailClient, Event, LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import { createLookupGate } from './lookup-gate.ts';
import { isCredentialError } from './aws-credential-errors.ts';
import { TRAIL_SCAN_BUDGET_MS, TrailError } from './trail.ts';
import type { TrailItem, TrailMemory, TrailQuery, TrailScanner, TrailWindow } from './trail.ts';

export interface TrailScannerOptions {
  /** A client of this scanner's own: the gate is added to its middleware stack. */
  client: CloudTrailClient;
  /** Least time between two calls. Default 600 ms: the two calls a second spread evenly. */
  minCallIntervalMs?: number;
  /**
   * From the answer to a call to the start of the call two after it. Default 1050 ms: LookupEvents' second, counted
   * at arrival, which lies somewhere before the answer; 50 ms for the clocks of the two sides.
   */
  windowMs?: number;
  /** How far each scan reaches back before the last one's end: CloudTrail's delivery delay. Default 15 min. */
  overlapMs?: number;
  /** A window scanned less than this long ago is served without a call. Default 30 s. */
  freshMs?: number;
  /** Pages (50 events each) one scan may read; the rest is read by later scans. Default 200. */
  maxPages?: number;
  /**
   * Time one scan may take, whoever waits for it (Default 50 s): no call starts in its last minCallIntervalMs and a
   * call still running at its end is aborted. The part of the window not read by then is read by later scans.
   */
  scanTimeoutMs?: number;
  /** The scanner's clock: the window's end, freshness, the scan's time budget. Default: the system clock. */
  now?: () => Date;
  /**
   * Where each query's stream is saved (the store) and the scanner's name among them (`<account id>/<region>`); a
   * query's stream is `<name>/<query id>`. A failing save is reported to `onError` and never fails a scan.
   */
  memory?: { store: TrailMemory; name: string; onError?: (err: unknown, stream: string) => void };
}

// docs/aws-facts.md 3.2: "budget ≥15 min of lookback overlap" for the delivery delay.
const DEFAULTS = {
  minCallIntervalMs: 600,
  windowMs: 1050,
  overlapMs: 15 * 60_000,
  freshMs: 30_000,
  maxPages: 200,
  scanTimeoutMs: TRAIL_SCAN_BUDGET_MS,
};
const PAGE_SIZE = 50; // LookupEvents' MaxResults cap (docs/aws-facts.md 3.2)

/** A time range of the window no scan has read (yet). */
interface Gap {
  from: Date;
  to: Date;
}

/** What one scan may still spend: calls, and time (the signal aborts a call still running at the deadline). */
interface Budget {
  pages: number;
  deadline: number;
  signal: AbortSignal;
}

const min = (a: Date, b: Date): Date => (a < b ? a : b);
const max = (a: Date, b: Date): Date => (a > b ? a : b);
/** The part of a gap still inside the window (from the floor on); undefined once it has left it. */
const clip = (gap: Gap, floor: Date): Gap | undefined =>
  gap.to < floor ? undefined : { from: max(gap.from, floor), to: gap.to };

interface QueryState {
  items: Map<string, TrailItem<unknown>>;
  /** End of the last complete scan: the next one starts there, less the overlap. */
  cursor?: Date;
  scannedAt?: Date;
  /** Start of the window the kept items cover. */
  from?: Date;
  /** The widest window any caller asked of this query: items are kept that long. */
  windowMs: number;
  calls: number;
  truncated: boolean;
  /** The part of the window no scan could read within its budget (newest first, so the oldest part). */
  gap?: Gap;
  inflight?: Promise<void>;
  /** The saved items were of another format: the next save replaces them all. */
  reset?: boolean;
}

const DEFAULT_FORMAT = 1;

export function createTrailScanner(opts: TrailScannerOptions): TrailScanner {
  const o = { ...DEFAULTS, ...opts };
  const now = opts.now ?? (() => new Date());
  const states = new Map<string, QueryState>();
  /** The budget's time is spent: not enough left to start another call (on the scanner's clock). */
  const budgetSpent = (budget: Budget): boolean => budget.signal.aborted || now().getTime() >= budget.deadline;
  const gate = createLookupGate({ minIntervalMs: o.minCallIntervalMs, limit: 2, windowMs: o.windowMs });
  opts.client.middlewareStack.add(
    (next) => async (args) => {
      const answered = await gate();
      try {
        return await next(args);
      } finally {
        answered();
      }
    },
    // Inside the retry middleware (finalizeRequest, high), so every attempt is gated.
    { step: 'finalizeRequest', priority: 'low', name: 'irsaSentinelLookupGate' },
  );

  const streamOf = (query: TrailQuery<unknown>): string | undefined => opts.memory && `${opts.memory.name}/${query.id}`;

  /** A query's state: read back from the memory when it was saved (in the query's format), else empty. */
  function restore<T>(query: TrailQuery<T>): QueryState {
    const empty: QueryState = { items: new Map(), calls: 0, truncated: false, windowMs: query.windowMs };
    const stream = streamOf(query);
    if (stream === undefined || opts.memory === undefined) return empty;
    let saved: ReturnType<TrailMemory['load']>;
    try {
      saved = opts.memory.store.load(stream);
    } catch (err) {
      opts.memory.onError?.(err, stream);
      return empty;
    }
    if (saved === undefined) return empty;
    const { position, items } = saved;
    if (position.format !== (query.format ?? DEFAULT_FORMAT)) return { ...empty, reset: true };
    return {
      items: new Map(items.map((i) => [i.eventId, i])),
      cursor: position.cursor,
      from: position.from,
      windowMs: position.windowMs,
      calls: 0,
      truncated: position.truncated,
      ...(position.gap && { gap: position.gap }),
    };
  }

  function save<T>(query: TrailQuery<T>, state: QueryState, added: TrailItem<unknown>[]): void {
    const stream = streamOf(query);
    if (stream === undefined || opts.memory === undefined || !state.cursor || !state.from || !state.scannedAt) return;
    const position = {
      format: query.format ?? DEFAULT_FORMAT,
      windowMs: state.windowMs,
      cursor: state.cursor,
      from: state.from,
      truncated: state.truncated,
      scannedAt: state.scannedAt,
      ...(state.gap && { gap: state.gap }),
    };
    try {
      opts.memory.store.save(stream, position, state.reset ? [...state.items.values()] : added, state.reset);
      state.reset = false;
    } catch (err) {
      opts.memory.onError?.(err, stream);
    }
  }

  /**
   * One scan: first what happened since the last one (from its end less the overlap, newest first), then, with what is
   * left of the budget, the part of the window an earlier scan could not reach (the gap), newest first too. The budget
   * (maxPages calls, scanTimeoutMs) ends a scan early rather than failing it: what was read is kept, the part not read
   * becomes the gap and the window says it is truncated until a later scan fills the gap or the gap leaves the window.
   * A busy account (more events in the window than the budget reads) is so followed incrementally instead of scanned
   * from scratch, and failing, on every run.
   */
  async function scan<T>(query: TrailQuery<T>, state: QueryState): Promise<void> {
    const end = now();
    const floor = new Date(end.getTime() - state.windowMs);
    const resume = state.cursor && new Date(state.cursor.getTime() - o.overlapMs);
    const start = resume && resume > floor ? resume : floor;
    // No call starts when less than one gate interval is left; one still running at the end is aborted.
    const budget: Budget = {
      pages: o.maxPages,
      deadline: end.getTime() + o.scanTimeoutMs - o.minCallIntervalMs,
      signal: AbortSignal.timeout(o.scanTimeoutMs),
    };
    const added: TrailItem<unknown>[] = [];
    state.calls = 0;
    let gap = state.gap && clip(state.gap, floor);
    const since = await read(query, state, { from: start, to: end }, budget, added);
    if (since !== undefined) gap = gap ? { from: min(gap.from, since.from), to: max(gap.to, since.to) } : since;
    if (gap && budget.pages > 0 && !budgetSpent(budget)) {
      const left = await read(query, state, gap, budget, added);
      gap = left && clip(left, floor);
    }
    state.gap = gap;
    state.truncated = gap !== undefined;
    state.cursor = end;
    state.scannedAt = now();
    state.from = floor;
    for (const [id, item] of state.items) if (item.time < floor) state.items.delete(id);
    save(query, state, added);
  }

  /**
   * Reads one time range newest first, until CloudTrail has no more events or the budget ends. Returns the part not
   * read (from the range's start to the oldest event time read: events of that second may lie on the next page), or
   * undefined when the range was read to its start. A call that fails is an error, unless earlier calls of this scan
   * were answered and the budget's time ran out: then it ends the scan like the budget does.
   */
  async function read<T>(
    query: TrailQuery<T>,
    state: QueryState,
    range: Gap,
    budget: Budget,
    added: TrailItem<unknown>[],
  ): Promise<Gap | undefined> {
    let nextToken: string | undefined;
    let reached = range.to;
    do {
      if (state.calls > 0 && (budget.pages <= 0 || budgetSpent(budget))) return { from: range.from, to: reached };
      let out: LookupEventsCommandOutput;
      try {
        out = await opts.client.send(
          new LookupEventsCommand({
            LookupAttributes: [query.lookup],
            StartTime: range.from,
            EndTime: range.to,
            MaxResults: PAGE_SIZE,
            NextToken: nextToken,
          }),
          { abortSignal: budget.signal },
        );
      } catch (err) {
        if (state.calls > 0 && budget.signal.aborted) return { from: range.from, to: reached };
        throw trailError(err);
      }
      state.calls++;
      budget.pages--;
      for (const event of out.Events ?? []) {
        keep(query, state, event, added);
        if (event.EventTime instanceof Date && event.EventTime < reached) reached = event.EventTime;
      }
      nextToken = out.NextToken;
    } while (nextToken !== undefined);
    return undefined;
  }

  function keep<T>(query: TrailQuery<T>, state: QueryState, event: Event, added: TrailItem<unknown>[]): void {
    const id = event.EventId;
    const time = event.EventTime;
    if (id === undefined || !(time instanceof Date) || state.items.has(id)) return;
    let value: unknown;
    try {
      value = query.map(event);
    } catch {
      return; // the map must not throw; if it does, the event is simply not kept
    }
    if (value === undefined) return;
    const item = { eventId: id, time, value };
    state.items.set(id, item);
    added.push(item);
  }

  /** The kept items within the caller's own window (another caller may keep a wider one). */
  function windowOf<T>(state: QueryState, windowMs: number, calls: number): TrailWindow<T> {
    const scannedAt = state.scannedAt ?? now();
    const floor = scannedAt.getTime() - windowMs;
    const items = [...state.items.values()]
      .filter((i) => i.time.getTime() >= floor)
      .sort((a, b) => b.time.getTime() - a.time.getTime());
    const from = state.from && state.from.getTime() > floor ? state.from : new Date(floor);
    // Only the unread part within this caller's window counts (another caller may keep a wider one). A position
    // saved before the unread part was kept (schema 4) says only whether it was truncated.
    const unread = state.gap && clip(state.gap, from);
    return {
      items: items as TrailItem<T>[],
      from,
      to: state.cursor ?? scannedAt,
      scannedAt,
      calls,
      truncated: state.gap ? unread !== undefined : state.truncated,
      ...(unread && { unread }),
    };
  }

  return {
    expire() {
      for (const state of states.values()) state.scannedAt = undefined;
    },
    async window<T>(query: TrailQuery<T>, signal: AbortSignal): Promise<TrailWindow<T>> {
      signal.throwIfAborted();
      let state = states.get(query.id);
      if (state === undefined) states.set(query.id, (state = restore(query)));
      // A caller asking further back than the kept window gets it scanned from its own start.
      const widened = query.windowMs > state.windowMs;
      if (widened) {
        state.windowMs = query.windowMs;
        state.cursor = undefined;
        state.gap = undefined; // the whole window is read again
      }
      const fresh = !widened && state.scannedAt && now().getTime() - state.scannedAt.getTime() < o.freshMs;
      if (fresh && state.inflight === undefined) return windowOf<T>(state, query.windowMs, 0);
      const s = state;
      s.inflight ??= scan(query, s).finally(() => (s.inflight = undefined));
      await raceAbort(s.inflight, signal);
      return windowOf<T>(s, query.windowMs, s.calls);
    },
  };
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'OperationNotPermittedException',
]);

function trailError(err: unknown): TrailError {
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'ThrottlingException' || name === 'Throttling')
    return new TrailError('TRAIL_THROTTLED', `CloudTrail throttled LookupEvents: ${message}`, name, { cause: err });
  if (DENIED.has(name))
    return new TrailError('TRAIL_ACCESS_DENIED', `cloudtrail:LookupEvents was refused: ${message}`, name, {
      cause: err,
    });
  if (isCredentialError(name))
    return new TrailError(
      'TRAIL_CREDENTIALS_REJECTED',
      `CloudTrail refused the agent's own credentials (${name}): ${message}`,
      name,
      { cause: err },
    );
  return new TrailError('TRAIL_UNAVAILABLE', `LookupEvents failed (${name}): ${message}`, name, { cause: err });
}
