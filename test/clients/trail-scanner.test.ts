// The CloudTrail scanner against the lab's LookupEvents, whose throttle (two calls a second per account-region,
// docs/aws-facts.md 3.2) proves the gate: shared scans, paging, incremental windows without duplicates, error codes. The gate
// spaces calls by the answers to earlier ones (src/clients/lookup-gate.ts, test/clients/lookup-gate.test.ts), so no
// test here hinges on how fast the machine is; the one that must be throttled stops the lab's throttle clock.
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { Event } from '@aws-sdk/client-cloudtrail';
import { PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TrailError } from '../../src/clients/trail.ts';
import type { TrailQuery } from '../../src/clients/trail.ts';
import { createTrailScanner } from '../../src/clients/trail-scanner.ts';
import type { Lab } from '../../src/lab/index.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { sdkConfig, startTestLab } from '../helpers/lab.ts';

const CLUSTER = 'ts';
const BUCKET = `${CLUSTER}-oidc`;
let lab: Lab;
const clients: { destroy(): void }[] = [];
/** The lab's throttle clock: real time (plus `throttleAhead`) unless a test stops it. */
let throttleClock: (() => number) | undefined;
/** How far the throttle clock runs ahead of real time: moved on a second to let the lab's window pass. */
let throttleAhead = 0;
/** Every call made so far falls out of the lab's one-second window, as if 1.1 s had passed (none of it is waited). */
const passThrottleWindow = () => void (throttleAhead += 1100);

beforeAll(async () => {
  lab = await startTestLab({
    fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 },
    cloudTrailClock: () => throttleClock?.() ?? Date.now() + throttleAhead,
  });
  const s3 = new S3Client({ ...sdkConfig(lab, 'alice'), forcePathStyle: true });
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }],
  });
  // 120 PutBucketPolicy events: three pages of LookupEvents.
  for (let i = 0; i < 120; i++) await s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: policy }));
  s3.destroy();
});
// Each test's scanner has a gate of its own: let the lab's one-second window of the previous test pass first. Every
// call of a test is answered before it ends, and answered after the lab counted it: 1.1 s later on the lab's throttle
// clock, none counts.
beforeEach(passThrottleWindow);
afterAll(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await lab.close();
});

/** A CloudTrail client as sentinel with no SDK retries, so a call over the limit surfaces as an error. */
function trailClient(user = 'sentinel', maxAttempts = 1): CloudTrailClient {
  const client = new CloudTrailClient({ ...sdkConfig(lab, user), maxAttempts });
  clients.push(client);
  return client;
}

const putPolicies = (windowMs = 3_600_000): TrailQuery<string> => ({
  id: 'put-bucket-policy',
  lookup: { AttributeKey: 'EventName', AttributeValue: 'PutBucketPolicy' },
  windowMs,
  map: (e: Event) => e.EventName,
});

const signal = () => new AbortController().signal;

describe('trail scanner', () => {
  it('pages through every event of the window within the lab throttle, newest first', async () => {
    const scanner = createTrailScanner({ client: trailClient() });
    const w = await scanner.window(putPolicies(), signal());
    expect(w.items).toHaveLength(120);
    expect(new Set(w.items.map((i) => i.eventId)).size).toBe(120);
    expect(w.calls).toBe(3);
    expect(w.truncated).toBe(false);
    const times = w.items.map((i) => i.time.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(w.items.every((i) => i.value === 'PutBucketPolicy')).toBe(true);
  });

  it('shares one scan among concurrent callers and serves a fresh window without calls', async () => {
    const scanner = createTrailScanner({ client: trailClient() });
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => scanner.window(putPolicies(), signal())));
    expect([a?.calls, b?.calls, c?.calls]).toEqual([3, 3, 3]);
    const again = await scanner.window(putPolicies(), signal());
    expect(again.calls).toBe(0);
    expect(again.items).toHaveLength(120);
  });

  it('scans again after expire(), however fresh the last scan (a status change asks for news)', async () => {
    const scanner = createTrailScanner({ client: trailClient(), freshMs: 600_000, overlapMs: 1_000 });
    await scanner.window(putPolicies(), signal());
    expect((await scanner.window(putPolicies(), signal())).calls).toBe(0);
    scanner.expire?.();
    const again = await scanner.window(putPolicies(), signal());
    expect(again.calls).toBeGreaterThan(0);
    expect(again.items).toHaveLength(120);
  });

  it('rescans incrementally from the last end less the overlap, keeping each event once', async () => {
    const scanner = createTrailScanner({ client: trailClient(), freshMs: 0, overlapMs: 60_000 });
    const first = await scanner.window(putPolicies(), signal());
    const second = await scanner.window(putPolicies(), signal());
    expect(second.items.map((i) => i.eventId)).toEqual(first.items.map((i) => i.eventId));
    expect(second.from.getTime()).toBeLessThanOrEqual(second.to.getTime());
  });

  it('drops events older than the window', async () => {
    let clock = new Date();
    const scanner = createTrailScanner({ client: trailClient(), freshMs: 0, now: () => clock });
    expect((await scanner.window(putPolicies(60_000), signal())).items).toHaveLength(120);
    clock = new Date(clock.getTime() + 10 * 60_000);
    expect((await scanner.window(putPolicies(60_000), signal())).items).toHaveLength(0);
  });

  it('keeps the widest window two callers of one query ask for, and serves each its own', async () => {
    let clock = new Date();
    const scanner = createTrailScanner({ client: trailClient(), freshMs: 60_000, now: () => clock });
    clock = new Date(clock.getTime() + 5 * 60_000);
    // The events are about five minutes old: a one-minute window holds none, an hour's window all of them.
    expect((await scanner.window(putPolicies(60_000), signal())).items).toHaveLength(0);
    const wide = await scanner.window(putPolicies(), signal());
    expect(wide.items).toHaveLength(120);
    expect(wide.calls).toBeGreaterThan(0); // widened: scanned from its own start, not served from the narrow one
    const narrowAgain = await scanner.window(putPolicies(60_000), signal());
    expect(narrowAgain.calls).toBe(0);
    expect(narrowAgain.items).toHaveLength(0);
    expect((await scanner.window(putPolicies(), signal())).items).toHaveLength(120);
  });

  it('stops at the page cap and says the window is truncated', async () => {
    const scanner = createTrailScanner({ client: trailClient(), maxPages: 1 });
    const w = await scanner.window(putPolicies(), signal());
    expect(w.items).toHaveLength(50);
    expect(w.truncated).toBe(true);
  });

  it('keeps what a capped scan read and fills the rest of the window on the next scan', async () => {
    const scanner = createTrailScanner({ client: trailClient(), maxPages: 2, freshMs: 0, overlapMs: 1 });
    const first = await scanner.window(putPolicies(), signal());
    expect(first.items).toHaveLength(100);
    expect(first.calls).toBe(2);
    expect(first.truncated).toBe(true);
    // The part not read: from the window's start to the oldest event read (the newest 100 are read first).
    expect(first.unread!.from.getTime()).toBeLessThanOrEqual(first.from.getTime());
    expect(first.unread!.from.getTime()).toBeGreaterThan(first.from.getTime() - 60_000);
    expect(first.unread?.to.getTime()).toBe(first.items.at(-1)?.time.getTime());
    // What is new since (nothing: one call), then the older part with the page left: the window is whole.
    const second = await scanner.window(putPolicies(), signal());
    expect(second.calls).toBe(2);
    expect(second.items).toHaveLength(120);
    expect(new Set(second.items.map((i) => i.eventId)).size).toBe(120);
    expect(second.truncated).toBe(false);
    expect(second.unread).toBeUndefined();
  });

  it("says a narrower caller's window is whole when the unread part lies before it", async () => {
    const scanner = createTrailScanner({ client: trailClient(), maxPages: 2 });
    const wide = await scanner.window(putPolicies(), signal());
    expect(wide.truncated).toBe(true);
    const reachesTo = (ms: number) => ({ ...putPolicies(), windowMs: ms });
    const sinceUnread = wide.scannedAt.getTime() - wide.unread!.to.getTime();
    const narrow = await scanner.window(reachesTo(sinceUnread - 1), signal());
    expect(narrow.calls).toBe(0);
    expect(narrow.truncated).toBe(false);
    expect(narrow.unread).toBeUndefined();
    const overlapping = await scanner.window(reachesTo(sinceUnread + 1_000), signal());
    expect(overlapping.truncated).toBe(true);
    expect(overlapping.unread!.to).toEqual(wide.unread!.to);
  });

  it('ends a scan at its time budget, keeping what it read, rather than failing it', async () => {
    // Every answered call takes 30 s of the scanner's clock: after two, less than a call's time is left of 50 s.
    let clock = Date.now();
    const client = trailClient();
    client.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        clock += 30_000;
        return out;
      },
      { step: 'initialize', name: 'slowTrail' },
    );
    const scanner = createTrailScanner({
      client,
      freshMs: 0,
      overlapMs: 1,
      scanTimeoutMs: 50_000,
      now: () => new Date(clock),
    });
    const first = await scanner.window(putPolicies(), signal());
    expect(first.calls).toBe(2);
    expect(first.items).toHaveLength(100);
    expect(first.truncated).toBe(true);
    const second = await scanner.window(putPolicies(), signal());
    expect(second.items).toHaveLength(120);
    expect(second.truncated).toBe(false);
  });

  it('ends a scan whose call outlives the time budget with the pages already read', async () => {
    const client = trailClient();
    let calls = 0;
    // The second call is held past the scan's time: the budget's signal aborts it.
    client.middlewareStack.add(
      (next) => async (args) => {
        if (++calls === 2) await new Promise((resolve) => setTimeout(resolve, 1_500));
        return next(args);
      },
      { step: 'initialize', name: 'stuckTrail' },
    );
    const scanner = createTrailScanner({ client, scanTimeoutMs: 1_000, minCallIntervalMs: 1 });
    const w = await scanner.window(putPolicies(), signal());
    expect(w.items).toHaveLength(50);
    expect(w.truncated).toBe(true);
  });

  it('gives TRAIL_THROTTLED when another caller spends the account-region budget', async () => {
    const rival = createTrailScanner({ client: trailClient(), minCallIntervalMs: 1 });
    const ours = createTrailScanner({ client: trailClient(), minCallIntervalMs: 1, maxPages: 1 });
    // The throttle's clock stands still: every call falls in one second, so a third is refused whatever the timing
    // (the counted calls are then at time 0, long gone when the clock runs again).
    throttleClock = () => 0;
    const results = await Promise.allSettled([
      rival.window(putPolicies(), signal()),
      ours.window({ ...putPolicies(), id: 'other' }, signal()),
    ]).finally(() => (throttleClock = undefined));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(TrailError);
    expect((errors[0] as TrailError).code).toBe('TRAIL_THROTTLED');
  });

  it('gives TRAIL_ACCESS_DENIED naming the action for a user without cloudtrail:LookupEvents', async () => {
    const scanner = createTrailScanner({ client: trailClient('nobody') });
    const err = await scanner.window(putPolicies(), signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrailError);
    expect((err as TrailError).code).toBe('TRAIL_ACCESS_DENIED');
    expect((err as TrailError).message).toContain('cloudtrail:LookupEvents');
  });

  it('rejects at once for an aborted caller and leaves the shared scan to the others', async () => {
    const scanner = createTrailScanner({ client: trailClient() });
    const controller = new AbortController();
    const aborted = scanner.window(putPolicies(), controller.signal);
    const other = scanner.window(putPolicies(), signal());
    controller.abort(new Error('run timed out'));
    await expect(aborted).rejects.toThrow('run timed out');
    expect((await other).items).toHaveLength(120);
  });
});

// Resuming where a saved stream ended is test/agent/trail-restart.test.ts (a restart of the agent).
describe('trail scanner, saved streams', () => {
  const memoryOf = () => ({ store: openSqliteStore({ dataDir: '', inMemory: true }).trail(), name: 'acct/region' });
  const starts = (mark: number) =>
    lab.state.lookupLog
      .slice(mark)
      .filter((c) => !c.nextPage)
      .map((c) => c.startTime?.getTime());

  it('scans the whole window again when the saved items are of another format', async () => {
    const memory = memoryOf();
    await createTrailScanner({ client: trailClient(), memory }).window(putPolicies(), signal());
    passThrottleWindow();
    const mark = lab.state.lookupLog.length;
    const before = Date.now();
    const w = await createTrailScanner({ client: trailClient(), memory, overlapMs: 1_000 }).window(
      { ...putPolicies(), format: 2 },
      signal(),
    );
    const [start] = starts(mark);
    // From the window's floor (an hour back), not from the saved end.
    expect(start).toBeLessThanOrEqual(Date.now() - 3_600_000);
    expect(start).toBeGreaterThanOrEqual(before - 3_600_000 - 1_000);
    expect(w.items).toHaveLength(120);
    expect(memory.store.load('acct/region/put-bucket-policy')!.position.format).toBe(2);
  });

  it('saves the part of the window not read, and a new scanner fills it', async () => {
    const memory = memoryOf();
    const stream = 'acct/region/put-bucket-policy';
    const capped = await createTrailScanner({ client: trailClient(), memory, maxPages: 1 }).window(
      putPolicies(),
      signal(),
    );
    expect(capped.truncated).toBe(true);
    // Saved as scanned; the window clips it to its own start (a few ms later, when the scan ended).
    const gap = memory.store.load(stream)!.position.gap!;
    expect(gap.to).toEqual(capped.unread!.to);
    expect(gap.from.getTime()).toBeLessThanOrEqual(capped.unread!.from.getTime());
    expect(gap.from.getTime()).toBeGreaterThan(capped.unread!.from.getTime() - 60_000);
    expect(memory.store.load(stream)!.position.truncated).toBe(true);
    passThrottleWindow();
    const restarted = await createTrailScanner({ client: trailClient(), memory, overlapMs: 1 }).window(
      putPolicies(),
      signal(),
    );
    expect(restarted.items).toHaveLength(120);
    expect(restarted.truncated).toBe(false);
    expect(memory.store.load(stream)!.position.gap).toBeUndefined();
    expect(memory.store.load(stream)!.items).toHaveLength(120);
  });

  it('reports a save that fails and still answers the scan', async () => {
    const failures: string[] = [];
    const broken = {
      load: () => undefined,
      save: () => {
        throw new Error('disk full');
      },
    };
    const scanner = createTrailScanner({
      client: trailClient(),
      memory: {
        store: broken,
        name: 'acct/region',
        onError: (err, stream) => failures.push(`${stream}: ${(err as Error).message}`),
      },
    });
    expect((await scanner.window(putPolicies(), signal())).items).toHaveLength(120);
    expect(failures).toEqual(['acct/region/put-bucket-policy: disk full']);
  });
});
