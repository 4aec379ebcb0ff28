// CloudTrail scanning as probes see it. LookupEvents allows two calls a second per account and region (AWS-FACTS 3.2),
// so one scanner per account-region serves every cluster there: scans are shared (single flight, reused while fresh),
// incremental (from the last scan's end minus the delivery delay), deduplicated by eventID and kept for a window.
// (Interface only here; the implementation is in trail-scanner.ts.)
import type { Event, LookupAttribute } from '@aws-sdk/client-cloudtrail';

export interface TrailQuery<T> {
  /** Stable identity of the query: what its cursor and kept items are cached under. */
  id: string;
  /** The one lookup attribute LookupEvents allows (AWS-FACTS 3.2), e.g. EventName = AssumeRoleWithWebIdentity. */
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
  /** True when the page cap stopped the scan before CloudTrail ran out of events: older events are missing. */
  truncated: boolean;
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
