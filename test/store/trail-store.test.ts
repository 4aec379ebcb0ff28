// The CloudTrail positions in the store (migration 4): a stream's position and kept items round-trip, old items leave
// with the window, a reset replaces them all, secret-looking text is redacted, idle streams are pruned.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrailItem, TrailPosition } from '../../src/clients/trail.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';

const T0 = Date.parse('2026-06-01T12:00:00Z');
const MIN = 60_000;
const at = (minutes: number): Date => new Date(T0 + minutes * MIN);
const item = (id: string, minutes: number, value: unknown = { id }): TrailItem<unknown> => ({
  eventId: id,
  time: at(minutes),
  value,
});
const position = (cursorMin: number, fromMin: number, more: Partial<TrailPosition> = {}): TrailPosition => ({
  format: 1,
  windowMs: 60 * MIN,
  cursor: at(cursorMin),
  from: at(fromMin),
  truncated: false,
  scannedAt: at(cursorMin),
  ...more,
});
const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2V4YW1wbGUuY29tIiwic3ViIjoic3lzdGVtOnNhIn0.c2lnbmF0dXJlLWJ5dGVz';

let store: SqliteStore;
beforeEach(() => {
  store = openSqliteStore({ dataDir: '', inMemory: true });
});
afterEach(() => store.close());

describe('trail store', () => {
  it('knows no stream it was never told of', () => {
    expect(store.trail().load('111122223333/us-east-1/PutBucketPolicy')).toBeUndefined();
  });

  it('keeps a position and the items added, and drops items that left the window', () => {
    const t = store.trail();
    t.save('s', position(0, -60), [item('a', -50), item('b', -10)]);
    t.save('s', position(30, -30), [item('c', 20)]);
    const saved = t.load('s')!;
    expect(saved.position).toEqual(position(30, -30));
    expect(saved.items.map((i) => i.eventId).sort()).toEqual(['b', 'c']);
    expect(saved.items.find((i) => i.eventId === 'c')).toEqual(item('c', 20));
  });

  it('adds an item seen again once (scans overlap)', () => {
    const t = store.trail();
    t.save('s', position(0, -60), [item('a', -5, { v: 1 })]);
    t.save('s', position(5, -55), [item('a', -5, { v: 1 })]);
    expect(t.load('s')!.items).toHaveLength(1);
  });

  it('replaces every kept item on a reset (items of another format)', () => {
    const t = store.trail();
    t.save('s', position(0, -60, { format: 1 }), [item('old', -5)]);
    t.save('s', position(1, -59, { format: 2 }), [item('new', -1)], true);
    const saved = t.load('s')!;
    expect(saved.position.format).toBe(2);
    expect(saved.items.map((i) => i.eventId)).toEqual(['new']);
  });

  it('redacts secret-looking text in an item before it is written', () => {
    store.trail().save('s', position(0, -60), [item('a', -1, { errorMessage: `bad token ${JWT}` })]);
    const [kept] = store.trail().load('s')!.items;
    expect(JSON.stringify(kept!.value)).not.toContain(JWT);
    expect(JSON.stringify(kept!.value)).toContain('[REDACTED:jwt]');
  });

  it('prunes the streams whose items have all left their window, and only those', () => {
    const t = store.trail();
    t.save('idle', position(0, -60), [item('a', -1)]);
    t.save('busy', position(100, 40), [item('b', 99)]);
    expect(t.prune(at(120))).toBe(1);
    expect(t.load('idle')).toBeUndefined();
    expect(t.load('busy')?.items).toHaveLength(1);
  });

  it('is closed with the store', () => {
    const t = store.trail();
    store.close();
    expect(() => t.load('s')).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
  });
});
