// The SQLite schema, as an ordered list of migrations. The database's `PRAGMA user_version` is the number of
// migrations applied; opening runs the missing ones in one transaction. Never edit a released migration: add one.
// One table per concern: results, the diagnosis kept with each cluster, alert state, CloudTrail scan positions.
import type { DatabaseSync } from 'node:sqlite';
import { StoreError } from './store.ts';

export interface Migration {
  /** 1, 2, 3… in order, no gaps. */
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'probe results: history and the latest per (cluster, probe)',
    sql: `
      CREATE TABLE result_history (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        cluster      TEXT    NOT NULL,
        probe        TEXT    NOT NULL,
        status       TEXT    NOT NULL,
        started_at   TEXT    NOT NULL,             -- as the probe reported it (ISO 8601)
        started_ms   INTEGER NOT NULL,             -- the same instant in epoch ms: ordering, paging, retention
        duration_ms  REAL    NOT NULL,
        trace_id     TEXT,
        findings     TEXT    NOT NULL CHECK (json_valid(findings)),
        observations TEXT             CHECK (observations IS NULL OR json_valid(observations))
      ) STRICT;
      CREATE INDEX result_history_by_key ON result_history (cluster, probe, started_ms DESC, id DESC);
      CREATE INDEX result_history_by_cluster ON result_history (cluster, started_ms DESC, id DESC);
      CREATE INDEX result_history_by_start ON result_history (started_ms);
      CREATE INDEX result_history_by_trace ON result_history (trace_id) WHERE trace_id IS NOT NULL;

      -- The latest result of each (cluster, probe) points at its history row, so there is one copy of each result
      -- and pruning history can tell which rows to keep.
      CREATE TABLE latest_result (
        cluster    TEXT    NOT NULL,
        probe      TEXT    NOT NULL,
        history_id INTEGER NOT NULL REFERENCES result_history (id),
        PRIMARY KEY (cluster, probe)
      ) STRICT, WITHOUT ROWID;
      CREATE UNIQUE INDEX latest_result_by_history ON latest_result (history_id);
    `,
  },
  {
    version: 2,
    description: 'the diagnosis of each cluster, kept with its latest results',
    sql: `
      CREATE TABLE cluster_diagnosis (
        cluster    TEXT    NOT NULL PRIMARY KEY,
        code       TEXT    NOT NULL,
        status     TEXT    NOT NULL,
        diagnosis  TEXT    NOT NULL CHECK (json_valid(diagnosis)),
        updated_ms INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      -- Databases of version 1 already hold results: their diagnoses are filled in at open (rediagnose).
    `,
  },
  {
    version: 3,
    description: 'alert state: alerts, the notifications outbox, delivery attempts, silences',
    sql: `
      -- One row per alert episode: (cluster, code) has at most one open (pending or firing) row; resolved rows are
      -- history. Times are epoch ms.
      CREATE TABLE alert (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        cluster           TEXT    NOT NULL,
        code              TEXT    NOT NULL,
        state             TEXT    NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
        severity          TEXT    NOT NULL CHECK (severity IN ('critical', 'warning')),
        probe             TEXT    NOT NULL,
        fail_count        INTEGER NOT NULL,
        pass_count        INTEGER NOT NULL,
        last_evaluated_at TEXT,                     -- startedAt of the last counted result (ISO 8601, as stored)
        first_seen_ms     INTEGER NOT NULL,
        last_seen_ms      INTEGER NOT NULL,
        fired_ms          INTEGER,
        resolved_ms       INTEGER,
        last_notified_ms  INTEGER,
        reminders         INTEGER NOT NULL DEFAULT 0,
        content           TEXT    NOT NULL CHECK (json_valid(content))
      ) STRICT;
      CREATE UNIQUE INDEX alert_open ON alert (cluster, code) WHERE state <> 'resolved';
      CREATE INDEX alert_by_resolved ON alert (resolved_ms) WHERE state = 'resolved';

      -- The outbox: written with the state change that makes it, delivered with retries, never twice once delivered.
      CREATE TABLE alert_notification (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id        INTEGER NOT NULL REFERENCES alert (id) ON DELETE CASCADE,
        sink            TEXT    NOT NULL,
        kind            TEXT    NOT NULL CHECK (kind IN ('trigger', 'reminder', 'resolve', 'refresh')),
        dedup_key       TEXT    NOT NULL UNIQUE,
        status          TEXT    NOT NULL CHECK (status IN ('pending', 'held', 'delivered', 'failed', 'dropped')),
        created_ms      INTEGER NOT NULL,
        next_attempt_ms INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        delivered_ms    INTEGER,
        last_outcome    TEXT CHECK (last_outcome IS NULL OR json_valid(last_outcome))
      ) STRICT;
      CREATE INDEX alert_notification_due ON alert_notification (sink, status, next_attempt_ms);
      CREATE INDEX alert_notification_by_alert ON alert_notification (alert_id, sink);

      -- Every attempt and decision (held, dropped), per sink: what was tried, when, and what came of it.
      CREATE TABLE alert_delivery (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        notification_id INTEGER NOT NULL REFERENCES alert_notification (id) ON DELETE CASCADE,
        sink            TEXT    NOT NULL,
        outcome         TEXT    NOT NULL,
        http_status     INTEGER,
        error_code      TEXT,
        message         TEXT,
        at_ms           INTEGER NOT NULL,
        duration_ms     INTEGER
      ) STRICT;
      CREATE INDEX alert_delivery_by_notification ON alert_delivery (notification_id);

      CREATE TABLE alert_silence (
        id          TEXT    NOT NULL PRIMARY KEY,
        matchers    TEXT    NOT NULL CHECK (json_valid(matchers)),
        starts_ms   INTEGER NOT NULL,
        ends_ms     INTEGER NOT NULL,
        comment     TEXT    NOT NULL,
        created_by  TEXT    NOT NULL,
        created_ms  INTEGER NOT NULL,
        expired_ms  INTEGER
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    description: 'CloudTrail scan positions: per lookup stream, where the last scan ended and the events it keeps',
    sql: `
      -- One row per lookup stream: an account, a region and one query (EventName = PutBucketPolicy, ...). A restart
      -- resumes the stream at cursor_ms (less the delivery overlap) instead of scanning its whole window again. Times
      -- are epoch ms.
      CREATE TABLE trail_stream (
        stream     TEXT    NOT NULL PRIMARY KEY,     -- <account id>/<region>/<query id>
        format     INTEGER NOT NULL,                 -- the query's item format: items of another are not reused
        window_ms  INTEGER NOT NULL,                 -- how far back items are kept
        cursor_ms  INTEGER NOT NULL,                 -- the end of the last complete scan
        from_ms    INTEGER NOT NULL,                 -- the start of the window the kept items cover
        truncated  INTEGER NOT NULL CHECK (truncated IN (0, 1)),
        scanned_ms INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- The events a stream keeps, as its query mapped them (never the raw record, which can carry a session token),
      -- so what probes derive from earlier events (who changed a policy) survives a restart.
      CREATE TABLE trail_item (
        stream   TEXT    NOT NULL REFERENCES trail_stream (stream) ON DELETE CASCADE,
        event_id TEXT    NOT NULL,
        time_ms  INTEGER NOT NULL,
        value    TEXT    NOT NULL CHECK (json_valid(value)),
        PRIMARY KEY (stream, event_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX trail_item_by_time ON trail_item (stream, time_ms);
    `,
  },
  {
    version: 5,
    description: 'CloudTrail scan positions: the part of the window no scan has read yet',
    sql: `
      -- A scan whose budget (page cap, time) ends before CloudTrail runs out of events keeps what it read; the part
      -- of the window it did not read is filled by later scans. Both NULL when every event of the window was read.
      ALTER TABLE trail_stream ADD COLUMN gap_from_ms INTEGER;
      ALTER TABLE trail_stream ADD COLUMN gap_to_ms INTEGER CHECK ((gap_from_ms IS NULL) = (gap_to_ms IS NULL));
    `,
  },
  {
    version: 6,
    description: 'alert escalation: when a firing warning became critical and was notified again',
    sql: `
      ALTER TABLE alert ADD COLUMN escalated_ms INTEGER;
    `,
  },
];

/** The schema version this code writes: the last migration's. */
export function schemaVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.at(-1)?.version ?? 0;
}

function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number } | undefined;
  return row?.user_version ?? 0;
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new StoreError(
        'STORE_MIGRATION_FAILED',
        `migration list out of order: entry ${i} has version ${m.version}, expected ${i + 1}`,
      );
  });
}

/**
 * Bring the database to the newest schema: run the migrations above its user_version, all in one transaction
 * (BEGIN IMMEDIATE, so two agents opening the same file at once do not both migrate). Returns the versions before
 * and after. Throws STORE_SCHEMA_TOO_NEW for a database newer than `migrations`, STORE_MIGRATION_FAILED when one fails.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  checkOrder(migrations);
  const known = schemaVersion(migrations);
  db.exec('BEGIN IMMEDIATE');
  try {
    const from = userVersion(db);
    if (from > known)
      throw new StoreError(
        'STORE_SCHEMA_TOO_NEW',
        `the database has schema version ${from} but this agent knows versions up to ${known}: it was written by a newer irsa-sentinel; run that version or point storage.dataDir elsewhere`,
      );
    for (const m of migrations.slice(from)) {
      try {
        db.exec(m.sql);
      } catch (err) {
        throw new StoreError(
          'STORE_MIGRATION_FAILED',
          `schema migration ${m.version} (${m.description}) failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    db.exec(`PRAGMA user_version = ${known}`);
    db.exec('COMMIT');
    return { from, to: known };
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
