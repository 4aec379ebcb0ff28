// CloudTrail scanning as probes see it. LookupEvents allows two calls a second per account and region (docs/aws-facts.md 3.2),
// so one scanner per account-region serves every cluster there: scans are shared (single flight, reused while fresh),
// incremental (from the last scan's end minus the delivery delay), deduplicated by eventID and kept for a window. The
// position and the kept items of each stream are saved (TrailMemory: the store), so a restart resumes where the last
// scan ended. (Interfaces only here; the implementation is in trail-scanner.ts.)
import type { Event, LookupAttribute } from '@aws-sdk/client-cloudtrail';

/** Time one scan of one query may take by default (trail-scanner.ts `scanTimeoutMs`); what it leaves unread waits. */
export const TRAIL_SCAN_BUDGET_MS = 50_000;

export interface TrailQuery<T> {
  /** Stable identity of the query: what its cursor and kept items are cached (and saved) under. */
  id: string;
  /**
   * The version of what `map` returns. Kept items are saved (TrailMemory) and read back after a restart: bump it when
   * that shape changes, so items saved by an older agent are not reused (the window is then scanned again). Default 1.
   */
  format?: number;
  /** The one lookup attribute LookupEvents allows (docs/aws-facts.md 3.2), e.g. EventName = AssumeRoleWithWebIdentity. */
  lookup: LookupAttribute;
  /** How far back the kept items reach. */
  windowMs: number;
  /** Turns an event into what is kept (parsed once, shared by every cluster); undefined drops it. Must not throw. */
  map: (event: Event) => T | undefined;
}

export interface TrailItem<T> {
  eventId: string;
  time: Date;
  value: T;
}

export interface TrailWindow<T> {
  /** Items of the window, newest first, one per eventID. */
  items: TrailItem<T>[];
  /** The window the items cover. */
  from: Date;
  to: Date;
  /** When the scan behind this window ended. */
  scannedAt: Date;
  /** LookupEvents calls the scan that refreshed the window made (0 when a fresh window was reused). */
  calls: number;
  /**
   * True when part of the window has not been read: a scan's budget (the page cap, the scan's time) ended before
   * CloudTrail ran out of events. Later scans read what is new first, then fill this part, oldest last.
   */
  truncated: boolean;
  /** The part of the window not read yet, when truncated. */
  unread?: { from: Date; to: Date };
}

export interface TrailScanner {
  /** The window of a query, scanning CloudTrail only when the last scan is older than the freshness bound. */
  window<T>(query: TrailQuery<T>, signal: AbortSignal): Promise<TrailWindow<T>>;
  /**
   * Something just changed (a probe's status did): the next window() of every query scans again, from where the last
   * scan ended, however fresh that scan is.
   */
  expire?(): void;
}

export const TRAIL_ERROR_CODES = [
  /** CloudTrail kept answering ThrottlingException after the SDK's retries. */
  'TRAIL_THROTTLED',
  /** The agent may not call cloudtrail:LookupEvents. */
  'TRAIL_ACCESS_DENIED',
  /** CloudTrail refused the agent's own credentials (expired, unknown, or signed with a clock too far off). */
  'TRAIL_CREDENTIALS_REJECTED',
  /** Any other failure of the scan (network, service error). */
  'TRAIL_UNAVAILABLE',
] as const;
export type TrailErrorCode = (typeof TRAIL_ERROR_CODES)[number];

export class TrailError extends Error {
  readonly code: TrailErrorCode;
  /** The AWS error name behind it, when there is one. */
  readonly awsError: string | undefined;
  constructor(code: TrailErrorCode, message: string, awsError?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrailError';
    this.code = code;
    this.awsError = awsError;
  }
}

/** Where one lookup stream (an account, a region, a query) stood after its last complete scan. */
export interface TrailPosition {
  /** The query's item format (TrailQuery.format). */
  format: number;
  /** How far back items are kept. */
  windowMs: number;
  /** The end of the last complete scan: the next one starts there, less the overlap. */
  cursor: Date;
  /** The start of the window the kept items cover. */
  from: Date;
  truncated: boolean;
  scannedAt: Date;
  /** The part of the window the scans have not read yet (their budget ran out first). */
  gap?: { from: Date; to: Date };
}

/**
 * What the scanner saves its streams in (the store: src/store/sqlite-trail-store.ts). Items are the query's mapped
 * values, JSON, never the raw record (which can hold a session token).
 */
export interface TrailMemory {
  /** A stream's saved position and kept items; undefined when none was saved. */
  load(stream: string): { position: TrailPosition; items: TrailItem<unknown>[] } | undefined;
  /**
   * After a complete scan, in one transaction: the new position, the items the scan added, and the items older than
   * position.from dropped; `reset` drops every kept item first (the saved ones were of another format).
   */
  save(stream: string, position: TrailPosition, added: readonly TrailItem<unknown>[], reset?: boolean): void;
}
