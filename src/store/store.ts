// The result store: the latest result per (cluster, probe) and the history behind it. One interface, so that a
// PostgreSQL store (shared by the replicas of a sharded fleet, DESIGN.md "Scale") can stand in for SQLite later.
//
// The interface is synchronous because node:sqlite is: every call runs one short statement or transaction. A
// networked store will make these methods return Promises; that is a typed change tsc points out at every caller.
import { PROBE_NAMES, STATUSES } from '../core/model.ts';
import type { ProbeName, ProbeResult } from '../core/model.ts';
import type { Diagnosis } from '../diagnosis/diagnose.ts';

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
}

export interface Store {
  /**
   * Record a probe run: appended to the history and, in the same transaction, made the latest result of its
   * (cluster, probe) unless that already holds a result that started later, and the cluster's diagnosis computed
   * again from its latest results and kept. Throws STORE_SECRET_REJECTED when the result carries something that looks
   * like a token or an AWS credential, STORE_INVALID_RESULT when it is malformed.
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
  /** Flush (WAL checkpoint) and close. Idempotent; every other method then throws STORE_CLOSED. */
  close(): void;
  /** False once closed (or if opening failed): what /readyz reports. */
  isOpen(): boolean;
}

export const STORE_ERROR_CODES = [
  /** The data dir or database file cannot be created or opened, or is not a SQLite database. */
  'STORE_OPEN_FAILED',
  /** The database was written by a newer agent (its schema version is above the highest this code knows). */
  'STORE_SCHEMA_TOO_NEW',
  /** A schema migration failed; the database is left at the version it had. */
  'STORE_MIGRATION_FAILED',
  /** A result looked like it carries a secret (a JWT, an AWS secret key or session token); nothing was written. */
  'STORE_SECRET_REJECTED',
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

// What a stored result must not contain. The result model already leaves secrets out (model.ts); this is the last
// line of defence, shared by every Store implementation, against a probe putting a raw STS reply or a token into
// evidence or observations.
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;
const SECRET_FIELDS = new Set([
  'SecretAccessKey',
  'SessionToken',
  'secretAccessKey',
  'sessionToken',
  'aws_secret_access_key',
  'aws_session_token',
]);
/** The same fields inside text: an STS XML reply, a JSON document kept as a string, a credentials file. */
const SECRET_IN_TEXT = [
  /<(SecretAccessKey|SessionToken)>/,
  /"(SecretAccessKey|SessionToken|secretAccessKey|sessionToken)"\s*:/,
  /aws_(secret_access_key|session_token)\s*=/i,
];

/** Where in `value` (a JSON value) something secret-looking sits, as a path like `findings[0].evidence.body`. */
function secretPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string')
    return JWT.test(value) || SECRET_IN_TEXT.some((re) => re.test(value)) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = secretPath(item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (SECRET_FIELDS.has(key)) return at;
      const found = secretPath(item, at);
      if (found) return found;
    }
  }
  return undefined;
}

function invalid(result: ProbeResult, what: string): StoreError {
  return new StoreError(
    'STORE_INVALID_RESULT',
    `result of probe ${String(result.probe)} for cluster ${String(result.cluster)}: ${what}`,
  );
}

/**
 * Check a result before it is written and return it as it will be stored (a plain JSON copy). Throws
 * STORE_INVALID_RESULT for a malformed result and STORE_SECRET_REJECTED (naming where, never what) for one that looks
 * like it carries a JWT or an AWS secret key or session token.
 */
export function storableResult(result: ProbeResult): ProbeResult {
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
  const at = secretPath(copy, '');
  if (at)
    throw new StoreError(
      'STORE_SECRET_REJECTED',
      `result of probe ${result.probe} for cluster ${result.cluster} not stored: ${at} looks like a token or an AWS credential`,
    );
  return copy;
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
