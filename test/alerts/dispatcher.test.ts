// The outbox and its delivery, over a real SQLite store and real sinks posting to local receivers: retries with
// backoff on 500 without delaying another sink, PagerDuty's 400 not retried while 429 and 5xx are, every outcome
// recorded, held notifications released, and a restart that never re-sends what was delivered.
import { afterEach, describe, expect, it } from 'vitest';
import { backoffMs, createDispatcher } from '../../src/alerts/dispatcher.ts';
import type { Dispatcher, RetryPolicy } from '../../src/alerts/dispatcher.ts';
import type { QuietReason } from '../../src/alerts/quiet.ts';
import { createPagerDutySink } from '../../src/alerts/sinks/pagerduty/index.ts';
import { createWebhookSink } from '../../src/alerts/sinks/webhook/index.ts';
import type { Alert, DeliveryOutcomeLabel, Sink } from '../../src/alerts/types.ts';
import type { AlertStore } from '../../src/store/alert-store.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';
import { startReceiver } from '../helpers/receiver.ts';
import type { Answer, Receiver } from '../helpers/receiver.ts';
import { firingAlert, openStore, silent, tempStoreDir } from './fixtures.ts';

const FAST: RetryPolicy = { maxAttempts: 4, initialDelayMs: 40, maxDelayMs: 200 };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function receiver(answer?: (i: number) => Answer): Promise<Receiver> {
  const r = await startReceiver(answer && ((_req, i) => answer(i)));
  cleanup.push(() => r.close());
  return r;
}

function store(dir = tempStoreDir()): { store: SqliteStore; alerts: AlertStore; dir: string } {
  const s = openStore(dir);
  cleanup.push(() => s.close());
  return { store: s, alerts: s.alertStore(), dir };
}

const webhook = (name: string, url: string): Sink =>
  createWebhookSink({ name, url, timeoutMs: 5_000, sendResolved: true });
const pagerduty = (name: string, url: string): Sink =>
  createPagerDutySink({
    name,
    url,
    timeoutMs: 5_000,
    sendResolved: true,
    routingKey: 'R0UT1NGKEY0000000000000000000000',
  });

function dispatcher(
  alerts: AlertStore,
  sinks: Sink[],
  opts: { quiet?: () => QuietReason | undefined; retry?: RetryPolicy; counts?: [string, DeliveryOutcomeLabel][] } = {},
): Dispatcher {
  const d = createDispatcher({
    store: alerts,
    sinks,
    quiet: () => opts.quiet?.(),
    retry: opts.retry ?? FAST,
    log: silent,
    random: () => 0.5,
    onDelivery: (sink, outcome) => opts.counts?.push([sink, outcome]),
  });
  cleanup.push(() => d.stop(1_000));
  d.start();
  return d;
}

/** A firing alert, its trigger queued for `sinks` in the same write. */
function fire(alerts: AlertStore, sinks: string[], alert: Alert = firingAlert()): Alert {
  const [kept] = alerts.write(
    [
      {
        alert,
        notifications: sinks.map((s) => ({
          sink: s,
          kind: 'trigger' as const,
          dedupKey: `k/${alert.cluster}/${alert.code}/trigger/${s}`,
        })),
      },
    ],
    new Date(),
  );
  return kept!;
}

const notificationsOf = (alerts: AlertStore, a: Alert) => alerts.notificationsOf([a.id]);

describe('the dispatcher', () => {
  it(
    'retries a 500 with backoff while another sink is delivered at once; every attempt is recorded',
    { timeout: 30_000 },
    async () => {
      const good = await receiver();
      // The failing receiver also answers slowly: it must not hold up the good one.
      const bad = await receiver((i) => ({ status: i < 2 ? 500 : 200, delayMs: 2_000 }));
      const { alerts } = store();
      const counts: [string, DeliveryOutcomeLabel][] = [];
      const t0 = Date.now();
      const a = fire(alerts, ['bad', 'good']);
      dispatcher(alerts, [webhook('bad', bad.url), webhook('good', good.url)], { counts });
      await good.waitFor(1);
      // Had it waited for the failing one, it would have taken 2 s.
      expect(Date.now() - t0).toBeLessThan(1_500);
      await bad.waitFor(3, 20_000);
      const d = dispatcherIdle(alerts, a, 'bad');
      await d;
      const byS = Object.fromEntries(notificationsOf(alerts, a).map((n) => [n.sink, n]));
      expect(byS.good).toMatchObject({
        status: 'delivered',
        attempts: 1,
        lastOutcome: { outcome: 'delivered', httpStatus: 200 },
      });
      expect(byS.bad).toMatchObject({ status: 'delivered', attempts: 3, lastOutcome: { outcome: 'delivered' } });
      // Backoff: the retries came at least the (jittered) delays apart.
      const [r0, r1, r2] = bad.received;
      expect(r1!.at - r0!.at).toBeGreaterThanOrEqual(2_000 + 20);
      expect(r2!.at - r1!.at).toBeGreaterThanOrEqual(2_000 + 40);
      expect(counts.filter(([s]) => s === 'bad').map(([, o]) => o)).toEqual(['retry', 'retry', 'delivered']);
      expect(alerts.deliveryCounts()).toEqual([
        { sink: 'bad', outcome: 'delivered', count: 1 },
        { sink: 'bad', outcome: 'retry', count: 2 },
        { sink: 'good', outcome: 'delivered', count: 1 },
      ]);
    },
  );

  it('gives up after maxAttempts, recording the failure', async () => {
    const down = await receiver(() => ({ status: 503 }));
    const { alerts } = store();
    const a = fire(alerts, ['down']);
    dispatcher(alerts, [webhook('down', down.url)], { retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 50 } });
    await down.waitFor(3);
    await dispatcherIdle(alerts, a, 'down');
    expect(notificationsOf(alerts, a)[0]).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastOutcome: { outcome: 'failed', httpStatus: 503, errorCode: 'HTTP_503' },
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(down.received).toHaveLength(3);
  });

  it('PagerDuty: a 400 is not retried; 429 (with Retry-After) and 5xx are', async () => {
    const refuses = await receiver(() => ({
      status: 400,
      body: '{"status":"invalid event","message":"Event object is invalid"}',
    }));
    const throttles = await receiver((i) =>
      i === 0 ? { status: 429, headers: { 'retry-after': '0' } } : i === 1 ? { status: 502 } : { status: 202 },
    );
    const { alerts } = store();
    const a = fire(alerts, ['pd-refuses', 'pd-throttles']);
    dispatcher(alerts, [pagerduty('pd-refuses', refuses.url), pagerduty('pd-throttles', throttles.url)]);
    await throttles.waitFor(3);
    await dispatcherIdle(alerts, a, 'pd-throttles');
    await dispatcherIdle(alerts, a, 'pd-refuses');
    await new Promise((r) => setTimeout(r, 300));
    expect(refuses.received).toHaveLength(1);
    const byS = Object.fromEntries(notificationsOf(alerts, a).map((n) => [n.sink, n]));
    expect(byS['pd-refuses']).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastOutcome: { outcome: 'failed', httpStatus: 400, errorCode: 'HTTP_400' },
    });
    expect(byS['pd-throttles']).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('a network failure is retried and recorded by its code, never the URL', async () => {
    const gone = await receiver();
    const url = `${gone.url}/secret-token-path-0123456789`;
    await gone.close();
    const { alerts } = store();
    const a = fire(alerts, ['gone']);
    dispatcher(alerts, [webhook('gone', url)], { retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 20 } });
    await dispatcherIdle(alerts, a, 'gone');
    const n = notificationsOf(alerts, a)[0];
    expect(n).toMatchObject({ status: 'failed', attempts: 2, lastOutcome: { errorCode: 'ECONNREFUSED' } });
    expect(JSON.stringify(n)).not.toContain('secret-token-path');
  });

  it('holds notifications while quiet, and delivers what still fires when released; a resolution follows its trigger', async () => {
    const hook = await receiver();
    const { alerts } = store();
    let quiet: QuietReason | undefined = { kind: 'silence', id: 's1' };
    const a = fire(alerts, ['hook']);
    const d = dispatcher(alerts, [webhook('hook', hook.url)], { quiet: () => quiet });
    await until(() => alerts.held().length === 1);
    expect(hook.received).toHaveLength(0);
    expect(d.releaseHeld()).toBe(0);
    quiet = undefined;
    expect(d.releaseHeld()).toBe(1);
    await hook.waitFor(1);
    expect(hook.json<{ kind: string }>(0).kind).toBe('trigger');
    // Resolved: the resolution goes to the sink that heard the trigger.
    const resolved = { ...a, state: 'resolved' as const, resolvedAt: new Date().toISOString() };
    alerts.write(
      [{ alert: resolved, notifications: [{ sink: 'hook', kind: 'resolve', dedupKey: 'k/resolve/hook' }] }],
      new Date(),
    );
    d.kick();
    await hook.waitFor(2);
    expect(hook.json<{ kind: string; alert: { state: string } }>(1)).toMatchObject({
      kind: 'resolve',
      alert: { state: 'resolved' },
    });
  });

  it('drops a held trigger whose alert resolved during the quiet, and its resolution: nothing is sent', async () => {
    const hook = await receiver();
    const { alerts } = store();
    let quiet: QuietReason | undefined = { kind: 'maintenance', name: 'rotation' };
    const a = fire(alerts, ['hook']);
    const d = dispatcher(alerts, [webhook('hook', hook.url)], { quiet: () => quiet });
    await until(() => alerts.held().length === 1);
    const resolved = { ...a, state: 'resolved' as const, resolvedAt: new Date().toISOString() };
    alerts.write(
      [{ alert: resolved, notifications: [{ sink: 'hook', kind: 'resolve', dedupKey: 'k/resolve/hook' }] }],
      new Date(),
    );
    quiet = undefined;
    d.releaseHeld();
    await until(() => notificationsOf(alerts, a).every((n) => n.status === 'dropped'));
    expect(hook.received).toHaveLength(0);
  });

  it('a new dispatcher over the same store sends what was pending and never what was delivered', async () => {
    const sent = await receiver();
    const { alerts, store: first, dir } = store();
    const a = fire(alerts, ['sent', 'later']);
    // "later" is down during the first run: its notification stays pending, retried far in the future.
    const d1 = dispatcher(alerts, [webhook('sent', sent.url), webhook('later', 'http://127.0.0.1:9/')], {
      retry: { maxAttempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    await sent.waitFor(1);
    await until(() => notificationsOf(alerts, a).find((n) => n.sink === 'later')?.attempts === 1);
    await d1.stop(500);
    first.close();

    // The agent restarts: "later" is up now and its retry is due.
    const later = await receiver();
    const { alerts: again } = store(dir);
    const row = again.notificationsOf([a.id]).find((n) => n.sink === 'later')!;
    again.setStatus(row.id, 'pending', undefined, new Date()); // due now instead of in a minute
    dispatcher(again, [webhook('sent', sent.url), webhook('later', later.url)]);
    await later.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(sent.received).toHaveLength(1);
    expect(later.received).toHaveLength(1);
    expect(later.json<{ id: string }>(0).id).toBe(`k/${a.cluster}/${a.code}/trigger/later`);
    // Queuing the same notification again (same dedup key) does nothing.
    again.write(
      [
        {
          alert: again.alert(a.id)!,
          notifications: [{ sink: 'sent', kind: 'trigger', dedupKey: `k/${a.cluster}/${a.code}/trigger/sent` }],
        },
      ],
      new Date(),
    );
    expect(again.notificationsOf([a.id])).toHaveLength(2);
  });

  it('a refresh that a newer one supersedes is dropped, not sent (no burst after an outage)', async () => {
    const am = await receiver();
    const { alerts } = store();
    const [a] = alerts.write(
      [
        {
          alert: firingAlert(),
          notifications: [
            { sink: 'am', kind: 'trigger', dedupKey: 'k/t' },
            { sink: 'am', kind: 'refresh', dedupKey: 'k/r1' },
            { sink: 'am', kind: 'refresh', dedupKey: 'k/r2' },
          ],
        },
      ],
      new Date(),
    );
    dispatcher(alerts, [webhook('am', am.url)]);
    await until(() => alerts.notificationsOf([a!.id]).every((n) => n.status !== 'pending'));
    expect(alerts.notificationsOf([a!.id]).map((n) => [n.dedupKey, n.status])).toEqual([
      ['k/t', 'delivered'],
      ['k/r1', 'dropped'],
      ['k/r2', 'delivered'],
    ]);
    expect(am.received).toHaveLength(2);
  });

  it('backoff doubles with jitter, honours Retry-After and stays under the cap', () => {
    const policy = { maxAttempts: 10, initialDelayMs: 1000, maxDelayMs: 8000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, policy, () => 0))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, policy, () => 0.999999))).toEqual([
      expect.closeTo(1000, 0),
      expect.closeTo(2000, 0),
      expect.closeTo(4000, 0),
      expect.closeTo(8000, 0),
      expect.closeTo(8000, 0),
    ]);
    expect(backoffMs(1, policy, () => 0, 5000)).toBe(5000);
    expect(backoffMs(1, policy, () => 0, 60_000)).toBe(8000);
  });
});

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Until the sink's notification of `a` is settled (delivered, failed or dropped). */
const dispatcherIdle = (alerts: AlertStore, a: Alert, sink: string) =>
  until(
    () =>
      ['delivered', 'failed', 'dropped'].includes(
        alerts.notificationsOf([a.id]).find((n) => n.sink === sink)?.status ?? '',
      ),
    15_000,
  );
