// The Store on node:sqlite: one file <dataDir>/irsa-sentinel.db in WAL mode (readers never wait for the writer),
// or an in-memory database for tests. Results are rows with indexed scalar columns and JSON columns for findings and
// observations; the schema comes from migrations.ts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import type { ProbeName, ProbeResult, Status } from '../core/model.ts';
import { diagnose } from '../diagnosis/diagnose.ts';
import type { Diagnosis } from '../diagnosis/diagnose.ts';
import type { AlertStore } from './alert-store.ts';
import { migrate } from './migrations.ts';
import { SqliteAlertStore } from './sqlite-alert-store.ts';
import { SqliteTrailStore } from './sqlite-trail-store.ts';
import type { TrailStore } from './trail-store.ts';
import { resolveHistoryQuery, storableResult, StoreError } from './store.ts';
import type { HistoryQuery, SavedResult, Store } from './store.ts';

export const DB_FILE_NAME = 'irsa-sentinel.db';

export interface SqliteStoreOptions {
  /** Directory of irsa-sentinel.db and its -wal/-shm files, created if missing. Not used in memory. */
  dataDir: string;
  /** Keep the database in memory: nothing survives close() (tests). Default false. */
  inMemory?: boolean;
  /** How long a statement waits for another connection's lock before it fails with STORE_IO_FAILED. Default 5000 ms. */
  busyTimeoutMs?: number;
}

const DAY_MS = 86_400_000;

interface ResultRow {
  cluster: string;
  probe: string;
  status: string;
  started_at: string;
  duration_ms: number;
  trace_id: string | null;
  findings: string;
  observations: string | null;
}

const RESULT_COLUMNS =
  'h.cluster, h.probe, h.status, h.started_at, h.duration_ms, h.trace_id, h.findings, h.observations';

const SQL = {
  insertHistory: `
    INSERT INTO result_history (cluster, probe, status, started_at, started_ms, duration_ms, trace_id, findings, observations)
    VALUES (:cluster, :probe, :status, :started_at, :started_ms, :duration_ms, :trace_id, :findings, :observations)`,
  // A result that started before the current latest (a late save) goes to history only.
  upsertLatest: `
    INSERT INTO latest_result (cluster, probe, history_id) VALUES (:cluster, :probe, :history_id)
    ON CONFLICT (cluster, probe) DO UPDATE SET history_id = excluded.history_id
    WHERE (SELECT started_ms FROM result_history WHERE id = latest_result.history_id)
       <= (SELECT started_ms FROM result_history WHERE id = excluded.history_id)`,
  latestAll: `
    SELECT ${RESULT_COLUMNS} FROM latest_result l JOIN result_history h ON h.id = l.history_id
    ORDER BY l.cluster, l.probe`,
  latestOf: `
    SELECT ${RESULT_COLUMNS} FROM latest_result l JOIN result_history h ON h.id = l.history_id
    WHERE l.cluster = :cluster ORDER BY l.probe`,
  historyOf: `
    SELECT ${RESULT_COLUMNS} FROM result_history h
    WHERE h.cluster = :cluster AND h.started_ms < :before_ms
    ORDER BY h.started_ms DESC, h.id DESC LIMIT :limit`,
  historyOfProbe: `
    SELECT ${RESULT_COLUMNS} FROM result_history h
    WHERE h.cluster = :cluster AND h.probe = :probe AND h.started_ms < :before_ms
    ORDER BY h.started_ms DESC, h.id DESC LIMIT :limit`,
  prune: `
    DELETE FROM result_history
    WHERE started_ms < :cutoff_ms AND id NOT IN (SELECT history_id FROM latest_result)`,
  clusters: 'SELECT DISTINCT cluster FROM latest_result ORDER BY cluster',
  diagnosisOf: 'SELECT diagnosis FROM cluster_diagnosis WHERE cluster = :cluster',
  diagnosesAll: 'SELECT cluster, diagnosis FROM cluster_diagnosis ORDER BY cluster',
  upsertDiagnosis: `
    INSERT INTO cluster_diagnosis (cluster, code, status, diagnosis, updated_ms)
    VALUES (:cluster, :code, :status, :diagnosis, :updated_ms)
    ON CONFLICT (cluster) DO UPDATE SET
      code = excluded.code, status = excluded.status, diagnosis = excluded.diagnosis, updated_ms = excluded.updated_ms`,
} as const;

type Statements = Record<keyof typeof SQL, StatementSync>;

function toResult(row: ResultRow): ProbeResult {
  const result: ProbeResult = {
    cluster: row.cluster,
    probe: row.probe as ProbeName,
    status: row.status as Status,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    findings: JSON.parse(row.findings) as ProbeResult['findings'],
  };
  if (row.observations !== null) result.observations = JSON.parse(row.observations) as Record<string, unknown>;
  if (row.trace_id !== null) result.traceId = row.trace_id;
  return result;
}

/** Open one with openSqliteStore(), which prepares and migrates the database this wraps. */
export class SqliteStore implements Store {
  /** The database file, or `:memory:`. */
  readonly location: string;
  /** Schema versions before and after the migrations run at open (for the startup log). */
  readonly schema: { from: number; to: number };
  readonly #db: DatabaseSync;
  readonly #sql: Statements;
  #open = true;
  #revision = 0;
  /** Per cluster, the revision of its last change. */
  readonly #changed = new Map<string, number>();
  #alerts: SqliteAlertStore | undefined;
  #trail: SqliteTrailStore | undefined;

  constructor(db: DatabaseSync, location: string, schema: { from: number; to: number }) {
    this.#db = db;
    this.location = location;
    this.schema = schema;
    this.#sql = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
  }

  saveResult(result: ProbeResult): SavedResult {
    const { stored, redacted } = storableResult(result);
    return this.#use('saving a result', () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const { lastInsertRowid } = this.#sql.insertHistory.run({
          cluster: stored.cluster,
          probe: stored.probe,
          status: stored.status,
          started_at: stored.startedAt,
          started_ms: Date.parse(stored.startedAt),
          duration_ms: stored.durationMs,
          trace_id: stored.traceId ?? null,
          findings: JSON.stringify(stored.findings),
          observations: stored.observations === undefined ? null : JSON.stringify(stored.observations),
        });
        this.#sql.upsertLatest.run({ cluster: stored.cluster, probe: stored.probe, history_id: lastInsertRowid });
        const previous = this.#diagnosisOf(stored.cluster);
        const diagnosis = this.#diagnose(stored.cluster);
        this.#db.exec('COMMIT');
        this.#changed.set(stored.cluster, ++this.#revision);
        return {
          diagnosis,
          ...(previous !== undefined && { previous }),
          ...(Object.keys(redacted).length > 0 && { redacted }),
        };
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** The alert state kept in the same database (migration 3); closed with this store. */
  alertStore(): AlertStore {
    this.#alerts ??= new SqliteAlertStore(this.#db, (what, operation) => this.#use(what, operation));
    return this.#alerts;
  }

  /** The CloudTrail scan positions kept in the same database (migration 4); closed with this store. */
  trail(): TrailStore {
    this.#trail ??= new SqliteTrailStore(this.#db, (what, operation) => this.#use(what, operation));
    return this.#trail;
  }

  diagnosis(cluster: string): Diagnosis | undefined {
    return this.#use('reading a diagnosis', () => this.#diagnosisOf(cluster));
  }

  diagnoses(): Map<string, Diagnosis> {
    return this.#use('reading the diagnoses', () => {
      const rows = this.#sql.diagnosesAll.all() as unknown as { cluster: string; diagnosis: string }[];
      return new Map(rows.map((r) => [r.cluster, JSON.parse(r.diagnosis) as Diagnosis]));
    });
  }

  rediagnose(): number {
    return this.#use('computing the diagnoses', () => {
      const clusters = (this.#sql.clusters.all() as unknown as { cluster: string }[]).map((r) => r.cluster);
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        for (const cluster of clusters) this.#diagnose(cluster);
        this.#db.exec('COMMIT');
        this.#revision++;
        for (const cluster of clusters) this.#changed.set(cluster, this.#revision);
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
      return clusters.length;
    });
  }

  #diagnosisOf(cluster: string): Diagnosis | undefined {
    const row = this.#sql.diagnosisOf.get({ cluster }) as { diagnosis: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.diagnosis) as Diagnosis);
  }

  /** The cluster's diagnosis from its latest results, kept; inside the caller's transaction. */
  #diagnose(cluster: string): Diagnosis {
    const rows = this.#sql.latestOf.all({ cluster }) as unknown as ResultRow[];
    const diagnosis = diagnose(rows.map(toResult));
    this.#sql.upsertDiagnosis.run({
      cluster,
      code: diagnosis.code,
      status: diagnosis.status,
      diagnosis: JSON.stringify(diagnosis),
      updated_ms: Date.now(),
    });
    return diagnosis;
  }

  revision(): number {
    return this.#revision;
  }

  changedSince(revision: number): string[] | undefined {
    if (revision < 0 || revision > this.#revision) return undefined;
    return [...this.#changed].filter(([, at]) => at > revision).map(([cluster]) => cluster);
  }

  latest(cluster?: string): ProbeResult[] {
    return this.#use('reading the latest results', () => {
      const rows = cluster === undefined ? this.#sql.latestAll.all() : this.#sql.latestOf.all({ cluster });
      return (rows as unknown as ResultRow[]).map(toResult);
    });
  }

  history(cluster: string, query?: HistoryQuery): ProbeResult[] {
    const q = resolveHistoryQuery(query);
    return this.#use('reading history', () => {
      const params = { cluster, before_ms: q.beforeMs ?? Number.MAX_SAFE_INTEGER, limit: q.limit };
      const rows =
        q.probe === undefined
          ? this.#sql.historyOf.all(params)
          : this.#sql.historyOfProbe.all({ ...params, probe: q.probe });
      return (rows as unknown as ResultRow[]).map(toResult);
    });
  }

  prune(now: Date, retentionDays: number): number {
    if (Number.isNaN(now.getTime())) throw new StoreError('STORE_INVALID_QUERY', 'prune: now is an invalid date');
    if (!Number.isFinite(retentionDays) || retentionDays < 0)
      throw new StoreError(
        'STORE_INVALID_QUERY',
        `prune: retentionDays must be a number of days, 0 or more, got ${retentionDays}`,
      );
    return this.#use('pruning history', () => {
      const { changes } = this.#sql.prune.run({ cutoff_ms: now.getTime() - retentionDays * DAY_MS });
      return Number(changes);
    });
  }

  clusters(): string[] {
    return this.#use('listing clusters', () =>
      (this.#sql.clusters.all() as { cluster: string }[]).map((row) => row.cluster),
    );
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    // Fold the WAL into the database file, so that irsa-sentinel.db alone is a complete copy.
    if (this.location !== ':memory:')
      try {
        this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      } catch {
        // Not fatal: nothing is lost, SQLite replays the WAL on the next open.
      }
    this.#db.close();
  }

  isOpen(): boolean {
    return this.#open;
  }

  /** Run a database operation: STORE_CLOSED after close(), SQLite's own errors as STORE_IO_FAILED. */
  #use<T>(what: string, operation: () => T): T {
    if (!this.#open) throw new StoreError('STORE_CLOSED', `${what}: the store is closed`);
    try {
      return operation();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError('STORE_IO_FAILED', `${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * Open (creating it and its directory if need be) and migrate the store. Throws STORE_OPEN_FAILED when the directory
 * or file cannot be used, STORE_SCHEMA_TOO_NEW or STORE_MIGRATION_FAILED from the migrations.
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const location = options.inMemory ? ':memory:' : join(options.dataDir, DB_FILE_NAME);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0)
    throw new StoreError('STORE_OPEN_FAILED', `busyTimeoutMs must be a whole number of ms, got ${busyTimeoutMs}`);
  let db: DatabaseSync | undefined;
  try {
    if (!options.inMemory) mkdirSync(options.dataDir, { recursive: true });
    // node:sqlite enforces foreign keys by default (enableForeignKeyConstraints).
    db = new DatabaseSync(location);
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    const { journal_mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (!options.inMemory && journal_mode !== 'wal')
      throw new Error(`journal_mode is ${journal_mode}: the file system does not support WAL`);
    db.exec('PRAGMA synchronous = NORMAL');
    const schema = migrate(db);
    return new SqliteStore(db, location, schema);
  } catch (err) {
    db?.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError('STORE_OPEN_FAILED', `cannot open the store at ${location}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
