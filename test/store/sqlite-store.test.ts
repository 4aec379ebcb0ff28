import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schemaVersion } from '../../src/store/migrations.ts';
import { DB_FILE_NAME, openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';
import { StoreError } from '../../src/store/store.ts';
import { at, fullResult, okResult } from './results.ts';

const DAY_MIN = 24 * 60;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return (err as StoreError).code;
  }
  return undefined;
}

describe('SqliteStore in memory', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = openSqliteStore({ dataDir: 'unused', inMemory: true });
  });
  afterEach(() => store.close());

  it('opens in memory without touching the data dir', () => {
    expect(store.location).toBe(':memory:');
    expect(store.isOpen()).toBe(true);
    expect(store.schema).toEqual({ from: 0, to: schemaVersion() });
    expect(existsSync('unused')).toBe(false);
    expect(store.latest()).toEqual([]);
    expect(store.clusters()).toEqual([]);
  });

  it('round-trips every field of a result', () => {
    const result = fullResult();
    store.saveResult(result);
    expect(store.latest()).toEqual([result]);
    expect(store.latest('prod-east')).toEqual([result]);
    expect(store.history('prod-east')).toEqual([result]);
  });

  it('leaves traceId and observations out when a result has none', () => {
    const result = okResult('c1', 'jwks', at(0));
    store.saveResult(result);
    const [back] = store.latest();
    expect(back).toEqual(result);
    expect(back).not.toHaveProperty('traceId');
    expect(back).not.toHaveProperty('observations');
  });

  it('keeps startedAt as the probe wrote it and orders by the instant it names', () => {
    store.saveResult(okResult('c1', 'issuer', '2026-11-23T12:00:00+02:00')); // 10:00Z
    store.saveResult(okResult('c1', 'issuer', '2026-11-23T10:30:00.000Z'));
    expect(store.history('c1').map((r) => r.startedAt)).toEqual([
      '2026-11-23T10:30:00.000Z',
      '2026-11-23T12:00:00+02:00',
    ]);
  });

  it('makes each save the latest of its (cluster, probe), one per key', () => {
    store.saveResult(okResult('c1', 'issuer', at(0)));
    store.saveResult(okResult('c1', 'jwks', at(0)));
    store.saveResult(okResult('c2', 'issuer', at(0)));
    store.saveResult(fullResult({ cluster: 'c1', probe: 'issuer', startedAt: at(5) }));

    const latest = store.latest();
    expect(latest.map((r) => [r.cluster, r.probe, r.startedAt])).toEqual([
      ['c1', 'issuer', at(5)],
      ['c1', 'jwks', at(0)],
      ['c2', 'issuer', at(0)],
    ]);
    expect(latest[0]?.status).toBe('fail');
    expect(store.latest('c2').map((r) => r.probe)).toEqual(['issuer']);
    expect(store.latest('nope')).toEqual([]);
    expect(store.clusters()).toEqual(['c1', 'c2']);
  });

  it('does not let a result that started earlier replace the latest, but keeps it in history', () => {
    store.saveResult(okResult('c1', 'issuer', at(10)));
    store.saveResult(fullResult({ cluster: 'c1', startedAt: at(5) }));
    expect(store.latest('c1').map((r) => r.startedAt)).toEqual([at(10)]);
    expect(store.history('c1').map((r) => r.startedAt)).toEqual([at(10), at(5)]);
  });

  it('lists history newest first, limited, filtered by probe and paged by before', () => {
    for (let m = 0; m < 10; m++) {
      store.saveResult(okResult('c1', 'issuer', at(m)));
      store.saveResult(okResult('c1', 'jwks', at(m)));
    }
    store.saveResult(okResult('c2', 'issuer', at(100)));

    const all = store.history('c1');
    expect(all).toHaveLength(20);
    expect(all.map((r) => r.startedAt)).toEqual([...all.map((r) => r.startedAt)].sort().reverse());
    expect(all.every((r) => r.cluster === 'c1')).toBe(true);

    const issuer = store.history('c1', { probe: 'issuer', limit: 3 });
    expect(issuer.map((r) => [r.probe, r.startedAt])).toEqual([
      ['issuer', at(9)],
      ['issuer', at(8)],
      ['issuer', at(7)],
    ]);

    const page2 = store.history('c1', { probe: 'jwks', limit: 3, before: at(7) });
    expect(page2.map((r) => r.startedAt)).toEqual([at(6), at(5), at(4)]);

    expect(store.history('c1', { probe: 'bucket' })).toEqual([]);
    expect(store.history('nope')).toEqual([]);
  });

  it('returns 50 results by default and at most 1000', () => {
    for (let m = 0; m < 1005; m++) store.saveResult(okResult('c1', 'issuer', at(m)));
    expect(store.history('c1')).toHaveLength(50);
    expect(store.history('c1', { limit: 5000 })).toHaveLength(1000);
    expect(store.history('c1', { limit: 1 })[0]?.startedAt).toBe(at(1004));
  });

  it('rejects bad history queries with STORE_INVALID_QUERY', () => {
    expect(codeOf(() => store.history('c1', { limit: 0 }))).toBe('STORE_INVALID_QUERY');
    expect(codeOf(() => store.history('c1', { limit: 2.5 }))).toBe('STORE_INVALID_QUERY');
    expect(codeOf(() => store.history('c1', { before: 'yesterday' }))).toBe('STORE_INVALID_QUERY');
  });

  it('prunes history past retention but never a latest result', () => {
    const now = new Date(at(10 * DAY_MIN));
    // c1/issuer: one result a day for 10 days; c1/jwks: a single result 9 days old (so also its latest).
    for (let d = 0; d <= 10; d++) store.saveResult(okResult('c1', 'issuer', at(d * DAY_MIN)));
    store.saveResult(okResult('c1', 'jwks', at(DAY_MIN)));

    expect(store.prune(now, 7)).toBe(3); // issuer days 0, 1, 2 (day 3 is exactly 7 days old: kept)
    expect(store.history('c1', { probe: 'issuer' }).map((r) => r.startedAt)).toEqual(
      [10, 9, 8, 7, 6, 5, 4, 3].map((d) => at(d * DAY_MIN)),
    );
    expect(store.history('c1', { probe: 'jwks' })).toHaveLength(1);
    expect(store.latest('c1')).toHaveLength(2);
    expect(store.prune(now, 7)).toBe(0);

    expect(store.prune(now, 0)).toBe(7); // only the latest of each key is left
    expect(store.history('c1').map((r) => [r.probe, r.startedAt])).toEqual([
      ['issuer', at(10 * DAY_MIN)],
      ['jwks', at(DAY_MIN)],
    ]);
  });

  it('rejects a negative retention or an invalid date', () => {
    expect(codeOf(() => store.prune(new Date(), -1))).toBe('STORE_INVALID_QUERY');
    expect(codeOf(() => store.prune(new Date('nope'), 7))).toBe('STORE_INVALID_QUERY');
  });

  it('stores a result carrying a secret with the secret redacted and its status kept', () => {
    const jwt =
      'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL29pZGMuZXhhbXBsZS5jb20iLCJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bnM6c2EifQ.c2lnbmF0dXJl';
    const saved = store.saveResult(fullResult({ observations: { token: jwt } }));
    expect(saved.redacted).toEqual({ jwt: 1 });
    const [latest] = store.latest();
    expect(latest?.status).toBe('fail');
    expect(latest?.observations).toEqual({ token: '[REDACTED:jwt]' });
    expect(JSON.stringify(store.history('prod-east'))).not.toContain(jwt);
    expect(store.saveResult(okResult('prod-east', 'jwks', at(1))).redacted).toBeUndefined();
  });

  it('rejects a malformed result with STORE_INVALID_RESULT', () => {
    expect(codeOf(() => store.saveResult(fullResult({ startedAt: 'not a time' })))).toBe('STORE_INVALID_RESULT');
    expect(store.latest()).toEqual([]);
  });

  it('is closed after close(): idempotent, and every call says STORE_CLOSED', () => {
    store.close();
    store.close();
    expect(store.isOpen()).toBe(false);
    expect(codeOf(() => store.latest())).toBe('STORE_CLOSED');
    expect(codeOf(() => store.saveResult(fullResult()))).toBe('STORE_CLOSED');
    expect(codeOf(() => store.prune(new Date(), 7))).toBe('STORE_CLOSED');
  });
});

describe('SqliteStore on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'irsa-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the data dir and the database file in WAL mode', () => {
    const dataDir = join(dir, 'nested', 'data');
    const store = openSqliteStore({ dataDir, busyTimeoutMs: 1234 });
    try {
      expect(store.location).toBe(join(dataDir, DB_FILE_NAME));
      expect(existsSync(store.location)).toBe(true);
    } finally {
      store.close();
    }
    const db = new DatabaseSync(join(dataDir, DB_FILE_NAME));
    try {
      // journal_mode=WAL is stored in the file; synchronous and busy_timeout are per connection (checked below).
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: schemaVersion() });
    } finally {
      db.close();
    }
  });

  it('keeps results and history across close and reopen', () => {
    const first = openSqliteStore({ dataDir: dir });
    first.saveResult(fullResult({ startedAt: at(0) }));
    first.saveResult(fullResult({ startedAt: at(1), status: 'ok', findings: [] }));
    first.saveResult(okResult('c2', 'bucket', at(2)));
    first.close();

    const second = openSqliteStore({ dataDir: dir });
    try {
      expect(second.schema).toEqual({ from: schemaVersion(), to: schemaVersion() });
      expect(second.clusters()).toEqual(['c2', 'prod-east']);
      expect(second.latest('prod-east')).toEqual([fullResult({ startedAt: at(1), status: 'ok', findings: [] })]);
      expect(second.history('prod-east')).toEqual([
        fullResult({ startedAt: at(1), status: 'ok', findings: [] }),
        fullResult({ startedAt: at(0) }),
      ]);
      second.saveResult(okResult('c2', 'bucket', at(3)));
      expect(second.history('c2').map((r) => r.startedAt)).toEqual([at(3), at(2)]);
    } finally {
      second.close();
    }
  });

  it('folds the WAL into the database file on close, even while another connection keeps it open', () => {
    const store = openSqliteStore({ dataDir: dir });
    const other = new DatabaseSync(join(dir, DB_FILE_NAME));
    try {
      other.prepare('SELECT count(*) FROM result_history').get(); // now it shares the WAL
      store.saveResult(fullResult());
      const wal = join(dir, `${DB_FILE_NAME}-wal`);
      expect(statSync(wal).size).toBeGreaterThan(0);
      store.close();
      expect(statSync(wal).size).toBe(0);
    } finally {
      other.close();
    }
  });

  it('lets a second connection read what the first wrote while both are open (WAL)', () => {
    const writer = openSqliteStore({ dataDir: dir });
    const reader = openSqliteStore({ dataDir: dir });
    try {
      writer.saveResult(fullResult());
      expect(reader.latest()).toEqual([fullResult()]);
    } finally {
      writer.close();
      reader.close();
    }
  });

  it('waits for a write lock held elsewhere up to busyTimeoutMs, then fails with STORE_IO_FAILED', () => {
    const store = openSqliteStore({ dataDir: dir, busyTimeoutMs: 250 });
    const blocker = new DatabaseSync(join(dir, DB_FILE_NAME));
    try {
      blocker.exec('BEGIN IMMEDIATE');
      // The store waits about busyTimeoutMs for the write lock, then reports STORE_IO_FAILED; nothing is written.
      expect(codeOf(() => store.saveResult(fullResult()))).toBe('STORE_IO_FAILED');
      blocker.exec('ROLLBACK');
      store.saveResult(fullResult());
      expect(store.latest()).toHaveLength(1);
    } finally {
      blocker.close();
      store.close();
    }
  });

  it('fails with STORE_OPEN_FAILED when the data dir is a file', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(codeOf(() => openSqliteStore({ dataDir: file }))).toBe('STORE_OPEN_FAILED');
  });

  it('fails with STORE_OPEN_FAILED, naming the file, when it is not a SQLite database', () => {
    writeFileSync(join(dir, DB_FILE_NAME), 'this is not a database, just some text that is long enough'.repeat(20));
    let err: StoreError | undefined;
    try {
      openSqliteStore({ dataDir: dir });
    } catch (e) {
      err = e as StoreError;
    }
    expect(err?.code).toBe('STORE_OPEN_FAILED');
    expect(err?.message).toContain(join(dir, DB_FILE_NAME));
  });

  it('refuses a database written by a newer agent, naming both versions', () => {
    const db = new DatabaseSync(join(dir, DB_FILE_NAME));
    db.exec('PRAGMA user_version = 7');
    db.close();
    let err: StoreError | undefined;
    try {
      openSqliteStore({ dataDir: dir });
    } catch (e) {
      err = e as StoreError;
    }
    expect(err?.code).toBe('STORE_SCHEMA_TOO_NEW');
    expect(err?.message).toMatch(new RegExp(`schema version 7 .* up to ${schemaVersion()}`));
  });
});
