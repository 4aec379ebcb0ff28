// Migration 3 on top of versions 1 and 2, and the AlertStore's guarantees: one open alert per (cluster, code), a
// notification queued once per dedup key in the same transaction as its alert, resolutions never overtaking their
// trigger, pruning, silences, and STORE_CLOSED after close.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, schemaVersion } from '../../src/store/migrations.ts';
import { DB_FILE_NAME, openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';
import { firingAlert, tempStoreDir } from '../alerts/fixtures.ts';

let store: SqliteStore | undefined;
afterEach(() => store?.close());

const ALERT_TABLES = ['alert', 'alert_delivery', 'alert_notification', 'alert_silence'];

describe('migration 3 (alert state)', () => {
  it.each([1, 2])('applies on top of a version %i database, keeping its results', (from) => {
    const dir = tempStoreDir();
    const db = new DatabaseSync(join(dir, DB_FILE_NAME));
    migrate(db, MIGRATIONS.slice(0, from));
    db.prepare(
      `INSERT INTO result_history (cluster, probe, status, started_at, started_ms, duration_ms, findings)
       VALUES ('a', 'issuer', 'ok', '2026-12-01T00:00:00.000Z', ${Date.parse('2026-12-01T00:00:00.000Z')}, 1, '[]')`,
    ).run();
    db.exec("INSERT INTO latest_result (cluster, probe, history_id) VALUES ('a', 'issuer', 1)");
    db.close();
    store = openSqliteStore({ dataDir: dir });
    expect(store.schema).toEqual({ from, to: schemaVersion() });
    expect(store.latest('a')).toHaveLength(1);
    expect(store.alertStore().openAlerts()).toEqual([]);
    const tables = new DatabaseSync(join(dir, DB_FILE_NAME), { readOnly: true });
    const names = (
      tables.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]
    ).map((r) => r.name);
    tables.close();
    expect(names).toEqual(expect.arrayContaining(ALERT_TABLES));
  });
});

describe('the alert store', () => {
  const now = new Date('2026-12-06T10:00:00.000Z');

  it('keeps an alert and queues its notifications in one write; a dedup key is queued once', () => {
    store = openSqliteStore({ dataDir: '', inMemory: true });
    const alerts = store.alertStore();
    const [a] = alerts.write(
      [{ alert: firingAlert(), notifications: [{ sink: 's', kind: 'trigger', dedupKey: 'k1' }] }],
      now,
    );
    expect(a!.id).toBeGreaterThan(0);
    alerts.write([{ alert: a!, notifications: [{ sink: 's', kind: 'trigger', dedupKey: 'k1' }] }], now);
    expect(alerts.notificationsOf([a!.id])).toMatchObject([
      { sink: 's', kind: 'trigger', dedupKey: 'k1', status: 'pending', attempts: 0 },
    ]);
    expect(alerts.alert(a!.id)).toEqual(a);
  });

  it('allows one open alert per (cluster, code); a resolved one is history', () => {
    store = openSqliteStore({ dataDir: '', inMemory: true });
    const alerts = store.alertStore();
    const [a] = alerts.write([{ alert: firingAlert(), notifications: [] }], now);
    expect(() => alerts.write([{ alert: firingAlert(), notifications: [] }], now)).toThrow(
      expect.objectContaining({ code: 'STORE_IO_FAILED' }),
    );
    alerts.write([{ alert: { ...a!, state: 'resolved', resolvedAt: now.toISOString() }, notifications: [] }], now);
    const [b] = alerts.write([{ alert: firingAlert(), notifications: [] }], now);
    expect(b!.id).not.toBe(a!.id);
    expect(alerts.openAlerts().map((x) => x.id)).toEqual([b!.id]);
    expect(alerts.alerts({ states: ['resolved'] }).map((x) => x.id)).toEqual([a!.id]);
  });

  it('a write that fails keeps nothing of it (the state change and its notifications go together)', () => {
    store = openSqliteStore({ dataDir: '', inMemory: true });
    const alerts = store.alertStore();
    alerts.write([{ alert: firingAlert('x'), notifications: [] }], now);
    expect(() =>
      alerts.write(
        [
          { alert: firingAlert('y'), notifications: [{ sink: 's', kind: 'trigger', dedupKey: 'y' }] },
          { alert: firingAlert('x'), notifications: [] }, // a second open x: refused
        ],
        now,
      ),
    ).toThrow();
    expect(alerts.openAlerts().map((a) => a.cluster)).toEqual(['x']);
  });

  it('never gives a resolution before its trigger is settled', () => {
    store = openSqliteStore({ dataDir: '', inMemory: true });
    const alerts = store.alertStore();
    const [a] = alerts.write(
      [
        {
          alert: firingAlert(),
          notifications: [
            { sink: 's', kind: 'trigger', dedupKey: 't' },
            { sink: 's', kind: 'resolve', dedupKey: 'r' },
          ],
        },
      ],
      now,
    );
    const [trigger, resolve] = alerts.notificationsOf([a!.id]);
    expect(alerts.due('s', now, 10).map((n) => n.kind)).toEqual(['trigger']);
    alerts.recordAttempt(trigger!.id, {
      outcome: { ok: false, retryable: true, httpStatus: 500, errorCode: 'HTTP_500', message: 'x' },
      label: 'retry',
      status: 'pending',
      nextAttemptAt: new Date(now.getTime() + 60_000),
      at: now,
      durationMs: 3,
    });
    expect(alerts.due('s', now, 10)).toEqual([]);
    expect(alerts.nextDue('s')).toEqual(new Date(now.getTime() + 60_000));
    alerts.setStatus(trigger!.id, 'delivered');
    expect(alerts.due('s', now, 10).map((n) => n.id)).toEqual([resolve!.id]);
  });

  it('prunes resolved alerts and ended silences past the cut-off, with their notifications and attempts', () => {
    store = openSqliteStore({ dataDir: '', inMemory: true });
    const alerts = store.alertStore();
    const old = new Date('2026-11-01T00:00:00.000Z');
    const [a] = alerts.write(
      [
        {
          alert: { ...firingAlert(), state: 'resolved', resolvedAt: old.toISOString() },
          notifications: [{ sink: 's', kind: 'resolve', dedupKey: 'r' }],
        },
      ],
      old,
    );
    const [n] = alerts.notificationsOf([a!.id]);
    alerts.setStatus(n!.id, 'dropped', 'dropped', old);
    alerts.write([{ alert: firingAlert('kept'), notifications: [] }], now);
    alerts.addSilence({
      id: 's1',
      matchers: [{ name: 'cluster', value: 'x' }],
      startsAt: old.toISOString(),
      endsAt: old.toISOString(),
      comment: 'c',
      createdBy: 'me',
      createdAt: old.toISOString(),
    });
    expect(alerts.prune(new Date('2026-11-20T00:00:00.000Z'))).toBe(2);
    expect(alerts.alerts().map((x) => x.cluster)).toEqual(['kept']);
    expect(alerts.notificationsOf([a!.id])).toEqual([]);
    expect(alerts.deliveryCounts()).toEqual([]);
    expect(alerts.silences()).toEqual([]);
  });

  it('is closed with its store', () => {
    store = openSqliteStore({ dataDir: '', inMemory: true });
    const alerts = store.alertStore();
    store.close();
    expect(() => alerts.openAlerts()).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
    store = undefined;
  });
});
