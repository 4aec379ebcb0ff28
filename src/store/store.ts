// The result store: the latest result per (cluster, probe) and the history behind it. One interface, so that a
// PostgreSQL store (shared by the replicas of a sharded fleet, DESIGN.md "Scale") can stand in for SQLite later.
//
// The interface is synchronous because node:sqlite is: every call runs one short statement or transaction. A
// networked store will make these methods return Promises; that is a typed change tsc points out at every caller.
import { PROBE_NAMES, STATUSES } from '../core/model.ts';
import type { ProbeName, ProbeResult } from '../core/model.ts';
import type { Diagnosis } from '../diagnosis/diagnose.ts';
import type { AlertStore } from './alert-store.ts';
import type { TrailStore } from './trail-store.ts';
import { redactValue } from '../redact.ts';
import type { SecretKind } from '../redact.ts';

export interface HistoryQuery {
  /** Only this probe's results (default: every probe of the cluster). */
  probe?: ProbeName;
  /** Most results returned, newest first. Default 50; values above 1000 are capped at 1000. */
  limit?: number;
  /** ISO 8601: only results that started strictly before it (paging back through history). */
  before?: string;
}

export const HISTORY_LIMIT_DEFAULT = 50;
export const HISTORY_LIMIT_MAX = 1000;

/** What saving a result did to its cluster's diagnosis. */
export interface SavedResult {
  /** The cluster's diagnosis from its latest results, this one included. */
  diagnosis: Diagnosis;
  /** The diagnosis before, if the cluster had one. */
  previous?: Diagnosis;
  /** Secret-looking text replaced before the result was written, by kind; absent when there was none. */
  redacted?: Partial<Record<SecretKind, number>>;
}

export interface Store {
  /**
   * Record a probe run: appended to the history and, in the same transaction, made the latest result of its
   * (cluster, probe) unless that already holds a result that started later, and the cluster's diagnosis computed
   * again from its latest results and kept. Secret-looking text (a token, a private key, an AWS credential) is
   * replaced by a marker first (src/redact.ts), never a reason to drop the result. Throws STORE_INVALID_RESULT when it
   * is malformed.
   */
  saveResult(result: ProbeResult): SavedResult;
  /** The kept diagnosis of a cluster; undefined when no result of it was ever stored. */
  diagnosis(cluster: string): Diagnosis | undefined;
  /** Every kept diagnosis, by cluster. */
  diagnoses(): Map<string, Diagnosis>;
  /** Compute every cluster's diagnosis again from its latest results (at start: the rules may have changed). */
  rediagnose(): number;
  /** The latest result of every (cluster, probe), or of one cluster's probes; ordered by cluster, then probe. */
  latest(cluster?: string): ProbeResult[];
  /** A cluster's past results, newest first (the latest included). */
  history(cluster: string, query?: HistoryQuery): ProbeResult[];
  /**
   * Delete history that started more than `retentionDays` before `now`, keeping every (cluster, probe)'s latest
   * result however old. Returns the number of results deleted.
   */
  prune(now: Date, retentionDays: number): number;
  /** Names of the clusters that have at least one result, sorted. */
  clusters(): string[];
  /** The alert state (alerts, notifications outbox, deliveries, silences) kept in the same database. */
  alertStore(): AlertStore;
  /** Where each CloudTrail lookup stream stands and the events it keeps, in the same database. */
  trail(): TrailStore;
  /** Flush (WAL checkpoint) and close. Idempotent; every other method then throws STORE_CLOSED. */
  close(): void;
  /** False once closed (or if opening failed): what /readyz reports. */
  isOpen(): boolean;
  /** A number that grows whenever a result or a diagnosis is saved: readers cache views by it. */
  revision(): number;
  /**
   * The clusters whose latest results or diagnosis changed after `revision`; undefined when this store cannot tell
   * (a revision from before it opened): the reader then rebuilds its view whole.
   */
  changedSince(revision: number): string[] | undefined;
}

export const STORE_ERROR_CODES = [
  /** The data dir or database file cannot be created or opened, or is not a SQLite database. */
  'STORE_OPEN_FAILED',
  /** The database was written by a newer agent (its schema version is above the highest this code knows). */
  'STORE_SCHEMA_TOO_NEW',
  /** A schema migration failed; the database is left at the version it had. */
  'STORE_MIGRATION_FAILED',
  /** A result is malformed (unknown probe or status, unparseable startedAt, negative duration, empty cluster). */
  'STORE_INVALID_RESULT',
  /** A history query or prune argument is out of range. */
  'STORE_INVALID_QUERY',
  /** The database refused a read or a write (disk full, locked past the busy timeout, I/O error). */
  'STORE_IO_FAILED',
  /** The store was used after close(). */
  'STORE_CLOSED',
] as const;
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

function invalid(result: ProbeResult, what: string): StoreError {
  return new StoreError(
    'STORE_INVALID_RESULT',
    `result of probe ${String(result.probe)} for cluster ${String(result.cluster)}: ${what}`,
  );
}

/** A result as it will be stored, and the secrets replaced in it by kind (empty when none). */
export interface StorableResult {
  stored: ProbeResult;
  redacted: Partial<Record<SecretKind, number>>;
}

/**
 * Check a result before it is written and return it as it will be stored: a plain JSON copy with secret-looking text
 * redacted. This is the last line of defence, shared by every Store implementation, against a probe putting a token
 * into a message, evidence or observations, or a hostile document doing so through them: the result is kept, with its
 * true status, and the secret is not. Throws STORE_INVALID_RESULT for a malformed result.
 */
export function storableResult(result: ProbeResult): StorableResult {
  if (typeof result.cluster !== 'string' || result.cluster === '') throw invalid(result, 'cluster must be a name');
  if (!(PROBE_NAMES as readonly string[]).includes(result.probe)) throw invalid(result, 'unknown probe');
  if (!(STATUSES as readonly string[]).includes(result.status))
    throw invalid(result, `unknown status ${String(result.status)}`);
  if (typeof result.startedAt !== 'string' || Number.isNaN(Date.parse(result.startedAt)))
    throw invalid(result, `startedAt ${String(result.startedAt)} is not an ISO 8601 time`);
  if (typeof result.durationMs !== 'number' || !Number.isFinite(result.durationMs) || result.durationMs < 0)
    throw invalid(result, `durationMs ${String(result.durationMs)} is not a non-negative number`);
  if (result.traceId !== undefined && typeof result.traceId !== 'string')
    throw invalid(result, 'traceId must be a string');
  if (!Array.isArray(result.findings)) throw invalid(result, 'findings must be a list');
  if (
    result.observations !== undefined &&
    (typeof result.observations !== 'object' || result.observations === null || Array.isArray(result.observations))
  )
    throw invalid(result, 'observations must be an object');
  let copy: ProbeResult;
  try {
    copy = JSON.parse(JSON.stringify(result)) as ProbeResult;
  } catch (err) {
    throw new StoreError(
      'STORE_INVALID_RESULT',
      `result of probe ${result.probe} for cluster ${result.cluster} is not JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const { value: stored, kinds: redacted } = redactValue(copy);
  return { stored, redacted };
}

/** A history query with its defaults applied and checked: what a Store implementation runs. */
export interface ResolvedHistoryQuery {
  probe?: ProbeName;
  limit: number;
  /** `before` in epoch ms. */
  beforeMs?: number;
}

/** Apply the defaults of a history query; STORE_INVALID_QUERY names the bad field. */
export function resolveHistoryQuery(query: HistoryQuery = {}): ResolvedHistoryQuery {
  const limit = query.limit ?? HISTORY_LIMIT_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1)
    throw new StoreError('STORE_INVALID_QUERY', `history limit must be a whole number of at least 1, got ${limit}`);
  const resolved: ResolvedHistoryQuery = { limit: Math.min(limit, HISTORY_LIMIT_MAX) };
  if (query.probe !== undefined) resolved.probe = query.probe;
  if (query.before !== undefined) {
    const beforeMs = Date.parse(query.before);
    if (Number.isNaN(beforeMs))
      throw new StoreError('STORE_INVALID_QUERY', `history before must be an ISO 8601 time, got ${query.before}`);
    resolved.beforeMs = beforeMs;
  }
  return resolved;
}
