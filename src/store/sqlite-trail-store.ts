// The CloudTrail scan positions on the results' SQLite database (tables of migrations 4 and 5). Made by SqliteStore.trail(),
// it shares its connection, its closed state and its error mapping (STORE_CLOSED, STORE_IO_FAILED). Each save is one
// transaction, so a crash leaves a stream at its previous scan or its new one, never between.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { TrailItem, TrailPosition } from '../clients/trail.ts';
import { redactValue } from '../redact.ts';
import type { Guard } from './sqlite-alert-store.ts';
import type { TrailStore } from './trail-store.ts';

interface StreamRow {
  format: number;
  window_ms: number;
  cursor_ms: number;
  from_ms: number;
  truncated: number;
  scanned_ms: number;
  gap_from_ms: number | null;
  gap_to_ms: number | null;
}

const SQL = {
  stream:
    'SELECT format, window_ms, cursor_ms, from_ms, truncated, scanned_ms, gap_from_ms, gap_to_ms FROM trail_stream WHERE stream = :stream',
  items: 'SELECT event_id, time_ms, value FROM trail_item WHERE stream = :stream AND time_ms >= :from_ms',
  upsert: `
    INSERT INTO trail_stream (stream, format, window_ms, cursor_ms, from_ms, truncated, scanned_ms, gap_from_ms, gap_to_ms)
    VALUES (:stream, :format, :window_ms, :cursor_ms, :from_ms, :truncated, :scanned_ms, :gap_from_ms, :gap_to_ms)
    ON CONFLICT (stream) DO UPDATE SET
      format = excluded.format, window_ms = excluded.window_ms, cursor_ms = excluded.cursor_ms,
      from_ms = excluded.from_ms, truncated = excluded.truncated, scanned_ms = excluded.scanned_ms,
      gap_from_ms = excluded.gap_from_ms, gap_to_ms = excluded.gap_to_ms`,
  insertItem: `
    INSERT INTO trail_item (stream, event_id, time_ms, value) VALUES (:stream, :event_id, :time_ms, :value)
    ON CONFLICT (stream, event_id) DO NOTHING`,
  dropOld: 'DELETE FROM trail_item WHERE stream = :stream AND time_ms < :from_ms',
  dropAll: 'DELETE FROM trail_item WHERE stream = :stream',
  prune: 'DELETE FROM trail_stream WHERE scanned_ms + window_ms < :now_ms',
} as const;

export class SqliteTrailStore implements TrailStore {
  readonly #db: DatabaseSync;
  readonly #use: Guard;
  readonly #sql: Record<keyof typeof SQL, StatementSync>;

  constructor(db: DatabaseSync, use: Guard) {
    this.#db = db;
    this.#use = use;
    this.#sql = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as Record<
      keyof typeof SQL,
      StatementSync
    >;
  }

  load(stream: string): { position: TrailPosition; items: TrailItem<unknown>[] } | undefined {
    return this.#use('reading a CloudTrail position', () => {
      const row = this.#sql.stream.get({ stream }) as StreamRow | undefined;
      if (row === undefined) return undefined;
      const rows = this.#sql.items.all({ stream, from_ms: row.from_ms }) as {
        event_id: string;
        time_ms: number;
        value: string;
      }[];
      return {
        position: {
          format: row.format,
          windowMs: row.window_ms,
          cursor: new Date(row.cursor_ms),
          from: new Date(row.from_ms),
          truncated: row.truncated === 1,
          scannedAt: new Date(row.scanned_ms),
          ...(row.gap_from_ms !== null &&
            row.gap_to_ms !== null && { gap: { from: new Date(row.gap_from_ms), to: new Date(row.gap_to_ms) } }),
        },
        items: rows.map((r) => ({
          eventId: r.event_id,
          time: new Date(r.time_ms),
          value: JSON.parse(r.value) as unknown,
        })),
      };
    });
  }

  save(stream: string, position: TrailPosition, added: readonly TrailItem<unknown>[], reset = false): void {
    // Redacted like a result, as the last line of defence: the mapped values hold no credential by construction.
    const values = added
      .filter((i) => i.time >= position.from)
      .map((i) => ({ i, value: JSON.stringify(redactValue(i.value).value) }));
    this.#use('saving a CloudTrail position', () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        this.#sql.upsert.run({
          stream,
          format: position.format,
          window_ms: position.windowMs,
          cursor_ms: position.cursor.getTime(),
          from_ms: position.from.getTime(),
          truncated: position.truncated ? 1 : 0,
          scanned_ms: position.scannedAt.getTime(),
          gap_from_ms: position.gap?.from.getTime() ?? null,
          gap_to_ms: position.gap?.to.getTime() ?? null,
        });
        if (reset) this.#sql.dropAll.run({ stream });
        else this.#sql.dropOld.run({ stream, from_ms: position.from.getTime() });
        for (const { i, value } of values)
          this.#sql.insertItem.run({ stream, event_id: i.eventId, time_ms: i.time.getTime(), value });
        this.#db.exec('COMMIT');
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  prune(now: Date): number {
    return this.#use('pruning CloudTrail positions', () =>
      Number(this.#sql.prune.run({ now_ms: now.getTime() }).changes),
    );
  }
}
