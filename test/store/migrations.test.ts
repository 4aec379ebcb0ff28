import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, schemaVersion } from '../../src/store/migrations.ts';
import type { Migration } from '../../src/store/migrations.ts';
import { StoreError } from '../../src/store/store.ts';

const userVersion = (db: DatabaseSync) =>
  (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
const tables = (db: DatabaseSync) =>
  (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
    (r) => r.name,
  );

function errorOf(fn: () => unknown): StoreError | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  return undefined;
}

// Written against whatever version the code is at, so that adding a migration leaves these tests as they are.
const CURRENT = schemaVersion();
const NEXT: Migration = {
  version: CURRENT + 1,
  description: 'next',
  sql: 'CREATE TABLE next_table (k TEXT) STRICT;',
};

describe('migrate', () => {
  let db: DatabaseSync;
  beforeEach(() => {
    db = new DatabaseSync(':memory:');
  });
  afterEach(() => db.close());

  it('builds the schema from an empty database and records the version', () => {
    expect(migrate(db)).toEqual({ from: 0, to: schemaVersion() });
    expect(userVersion(db)).toBe(MIGRATIONS.length);
    expect(tables(db)).toEqual(expect.arrayContaining(['latest_result', 'result_history']));
  });

  it('does nothing on an up-to-date database', () => {
    migrate(db);
    expect(migrate(db)).toEqual({ from: CURRENT, to: CURRENT });
  });

  it('runs only the missing migrations', () => {
    migrate(db);
    expect(migrate(db, [...MIGRATIONS, NEXT])).toEqual({ from: CURRENT, to: CURRENT + 1 });
    expect(userVersion(db)).toBe(CURRENT + 1);
    expect(tables(db)).toContain('next_table');
  });

  it('rolls every step back when one fails, leaving the version where it was', () => {
    const broken: Migration = { version: CURRENT + 2, description: 'broken', sql: 'CREATE TABLE nope (' };
    const err = errorOf(() => migrate(db, [...MIGRATIONS, NEXT, broken]));
    expect(err?.code).toBe('STORE_MIGRATION_FAILED');
    expect(err?.message).toContain(`migration ${CURRENT + 2} (broken)`);
    expect(userVersion(db)).toBe(0);
    expect(tables(db)).toEqual([]);
    expect(db.isTransaction).toBe(false);
  });

  it('refuses a database newer than the code, naming both versions', () => {
    db.exec(`PRAGMA user_version = ${CURRENT + 1}`);
    const err = errorOf(() => migrate(db));
    expect(err?.code).toBe('STORE_SCHEMA_TOO_NEW');
    expect(err?.message).toContain(`schema version ${CURRENT + 1}`);
    expect(err?.message).toContain(`up to ${schemaVersion()}`);
    expect(userVersion(db)).toBe(CURRENT + 1);
    expect(tables(db)).toEqual([]);
  });

  it('insists on versions 1, 2, 3… in order', () => {
    expect(errorOf(() => migrate(db, [{ ...NEXT, version: 2 }]))?.code).toBe('STORE_MIGRATION_FAILED');
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });
});
