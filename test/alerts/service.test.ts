// Alerting wired together over a real store: a result stored -> diagnosis -> alert -> outbox -> webhook, settling a
// cluster while its probes re-run, STALE from the tick, reminders and Alertmanager refreshes, silences that hold and
// release, a cluster that leaves the fleet.
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertService } from '../../src/alerts/service.ts';
import type { AlertService } from '../../src/alerts/service.ts';
import { createAlertmanagerSink } from '../../src/alerts/sinks/alertmanager/index.ts';
import { createWebhookSink } from '../../src/alerts/sinks/webhook/index.ts';
import type { ExpectedRun } from '../../src/alerts/stale.ts';
import type { Sink } from '../../src/alerts/types.ts';
import type { AlertsConfig } from '../../src/config/types.ts';
import type { Finding, ProbeName } from '../../src/core/model.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';
import { bucketDenied, CLUSTER, everyRoleFails, httpError, result, slow } from '../diagnosis/results.ts';
import { startReceiver } from '../helpers/receiver.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { openStore, silent, tempStoreDir } from './fixtures.ts';

const CONFIG: AlertsConfig = {
  failAfter: 2,
  resolveAfter: 2,
  reminderMinutes: 240,
  sendResolved: true,
  staleAfterPeriods: 3,
  rerunCooldownSeconds: 60,
  recentHours: 24,
  retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 50 },
  sinks: [],
  routes: [],
  maintenance: [],
};

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Setup {
  service: AlertService;
  store: SqliteStore;
  hook: Receiver;
  clock: { now: Date };
  report(probe: ProbeName, findings?: Finding[]): void;
  fleet: { name: string; labels: Record<string, string> }[];
}

async function setup(
  opts: { config?: Partial<AlertsConfig>; expected?: ExpectedRun[]; extraSinks?: (url: string) => Sink[] } = {},
): Promise<Setup> {
  const hook = await startReceiver();
  const store = openStore(tempStoreDir());
  const clock = { now: new Date('2026-12-06T10:00:00.000Z') };
  const fleet = [{ name: CLUSTER, labels: { env: 'prod' } }];
  const sinks = [
    createWebhookSink({ name: 'hook', url: hook.url, timeoutMs: 5000, sendResolved: true }),
    ...(opts.extraSinks?.(hook.url) ?? []),
  ];
  const service = createAlertService({
    config: { ...CONFIG, ...opts.config },
    clusters: () => fleet,
    results: store,
    store: store.alertStore(),
    sinks,
    expected: () => opts.expected ?? [],
    baseUrl: () => 'http://sentinel.example:8080',
    log: silent,
    now: () => clock.now,
    tickMs: 3_600_000, // ticks are driven by the tests
  });
  service.start();
  cleanup.push(() => hook.close());
  cleanup.push(() => store.close());
  cleanup.push(() => service.stop(500));
  let t = clock.now.getTime();
  return {
    service,
    store,
    hook,
    clock,
    fleet,
    report(probe, findings = []) {
      t += 5_000;
      clock.now = new Date(t + 1_000);
      store.saveResult({ ...result(probe, findings), startedAt: new Date(t).toISOString() });
      service.evaluate(CLUSTER);
    },
  };
}

/** An Alertmanager sink posting to the receiver under /am, refreshed every minute. */
const alertmanagerAt = (url: string): Sink =>
  createAlertmanagerSink({ name: 'am', url: `${url}/am`, timeoutMs: 5000, sendResolved: true, refreshMs: 60_000 });

const kinds = (hook: Receiver) =>
  hook.received
    .map((_, i) => hook.json<{ kind: string; alert: { code: string } }>(i))
    .map((b) => `${b.kind} ${b.alert.code}`);

async function settled(s: Setup): Promise<void> {
  expect(await s.service.dispatcher.idle()).toBe(true);
}

describe('alerting', () => {
  it('a stored failing result becomes one alert, delivered once; its resolution follows', async () => {
    const s = await setup();
    s.report('issuer', [slow(3100)]);
    await settled(s);
    expect(s.hook.received).toHaveLength(0);
    s.report('issuer', [slow(3100)]);
    await s.hook.waitFor(1);
    s.report('issuer', [slow(3100)]);
    s.report('issuer');
    s.report('issuer');
    await s.hook.waitFor(2);
    await settled(s);
    expect(kinds(s.hook)).toEqual(['trigger ISSUER_TOO_SLOW', 'resolve ISSUER_TOO_SLOW']);
    expect(s.service.firing()).toEqual([]);
    expect(s.service.recent()).toMatchObject([
      {
        code: 'ISSUER_TOO_SLOW',
        state: 'resolved',
        deliveries: [
          { sink: 'hook', kind: 'trigger', status: 'delivered' },
          { sink: 'hook', kind: 'resolve', status: 'delivered' },
        ],
      },
    ]);
  });

  it('settles a cluster while its probes re-run: one alert for the root cause, none for what it explains', async () => {
    const s = await setup();
    let finish!: () => void;
    s.service.settle(CLUSTER, new Promise<void>((r) => (finish = r)));
    // The re-run's results arrive one by one; roles and issuer first would each alert on their own.
    s.report('roles', everyRoleFails('ASSUME_KEY_RETRIEVAL_FAILED').findings);
    s.report('issuer', [httpError('ISSUER_HTTP_ERROR')]);
    await settled(s);
    expect(s.store.alertStore().openAlerts()).toEqual([]);
    s.report('bucket', [bucketDenied()]);
    finish();
    await s.hook.waitFor(1);
    await settled(s);
    expect(kinds(s.hook)).toEqual(['trigger BUCKET_POLICY_DENIES_STS']);
  });

  it('raises STALE from the tick when probes stop reporting, and clears it when they report', async () => {
    const s = await setup({ expected: [{ cluster: CLUSTER, probe: 'issuer', periodMs: 60_000 }] });
    s.report('issuer');
    s.service.tick();
    expect(s.store.alertStore().openAlerts()).toEqual([]);
    s.clock.now = new Date(s.clock.now.getTime() + 3 * 60_000 + 1_000);
    s.service.tick();
    await s.hook.waitFor(1);
    expect(s.hook.json(0)).toMatchObject({
      kind: 'trigger',
      alert: { code: 'STALE', severity: 'warning', summary: expect.stringContaining('issuer (last ') },
    });
    s.report('issuer');
    await s.hook.waitFor(2);
    expect(kinds(s.hook)).toEqual(['trigger STALE', 'resolve STALE']);
  });

  it('reminds no more often than reminderMinutes, and re-sends to Alertmanager every refresh period', async () => {
    const s = await setup({
      config: { reminderMinutes: 60 },
      extraSinks: (url) => [alertmanagerAt(url)],
    });
    s.report('issuer', [slow(3100)]);
    s.report('issuer', [slow(3100)]);
    await s.hook.waitFor(2); // the webhook's trigger and Alertmanager's
    const at = (minutes: number) => (s.clock.now = new Date(Date.parse('2026-12-06T10:00:00.000Z') + minutes * 60_000));
    at(30);
    s.service.tick();
    s.service.tick(); // twice in one refresh period: one refresh
    await settled(s);
    at(61);
    s.service.tick();
    await settled(s);
    const seen = s.hook.received.map(
      (r, i) =>
        `${r.path.startsWith('/am') ? 'am' : 'hook'} ${r.path.startsWith('/am') ? 'post' : s.hook.json<{ kind: string }>(i).kind}`,
    );
    expect(seen.filter((x) => x === 'hook trigger')).toHaveLength(1);
    expect(seen.filter((x) => x === 'hook reminder')).toHaveLength(1);
    expect(seen.filter((x) => x === 'am post')).toHaveLength(3); // trigger, refresh at 30 min, refresh at 61 min
    at(90);
    s.service.tick();
    await settled(s);
    expect(s.hook.received.filter((r) => !r.path.startsWith('/am')).length).toBe(2);
  });

  it("a silence holds a firing cluster's notifications and its expiry releases them", async () => {
    const s = await setup();
    const silence = s.service.createSilence({
      matchers: [{ name: 'cluster', value: CLUSTER }],
      durationMinutes: 30,
      comment: 'rotating keys',
      createdBy: 'ops',
    });
    s.report('issuer', [slow(3100)]);
    s.report('issuer', [slow(3100)]);
    await settled(s);
    expect(s.hook.received).toHaveLength(0);
    expect(s.service.firing()[0]).toMatchObject({
      quiet: { kind: 'silence', id: silence.id },
      deliveries: [{ status: 'held' }],
    });
    expect(s.service.byCluster().get(CLUSTER)).toEqual({
      firing: 1,
      pending: 0,
      codes: ['ISSUER_TOO_SLOW'],
      quiet: true,
    });
    s.service.expireSilence(silence.id);
    await s.hook.waitFor(1);
    expect(kinds(s.hook)).toEqual(['trigger ISSUER_TOO_SLOW']);
    expect(s.service.silences()).toEqual([]);
    expect(s.service.silences({ all: true })[0]).toMatchObject({ id: silence.id, expiredAt: expect.any(String) });
  });

  it('a silence that runs out releases at the next tick', async () => {
    const s = await setup();
    s.service.createSilence({ matchers: [{ name: 'severity', value: 'warning' }], durationMinutes: 10, comment: 'x' });
    s.report('issuer', [slow(3100)]);
    s.report('issuer', [slow(3100)]);
    await settled(s);
    s.service.tick();
    await settled(s);
    expect(s.hook.received).toHaveLength(0);
    s.clock.now = new Date(s.clock.now.getTime() + 11 * 60_000);
    s.service.tick();
    await s.hook.waitFor(1);
  });

  it('a maintenance window holds notifications until it ends', async () => {
    // A window every hour at :00 for 30 minutes; the clock starts at 10:00.
    const s = await setup({
      config: {
        maintenance: [
          { name: 'rotation', cron: '0 * * * *', durationMinutes: 30, selector: { labels: { env: 'prod' } } },
        ],
      },
    });
    s.report('issuer', [slow(3100)]);
    s.report('issuer', [slow(3100)]);
    await settled(s);
    expect(s.service.activeMaintenance(s.clock.now)).toEqual([
      {
        name: 'rotation',
        startedAt: '2026-12-06T10:00:00.000Z',
        endsAt: '2026-12-06T10:30:00.000Z',
        labels: { env: 'prod' },
      },
    ]);
    expect(s.hook.received).toHaveLength(0);
    s.clock.now = new Date('2026-12-06T10:31:00.000Z');
    s.service.tick();
    await s.hook.waitFor(1);
  });

  it('resolves the alerts of a cluster that left the fleet', async () => {
    const s = await setup();
    s.report('issuer', [slow(3100)]);
    s.report('issuer', [slow(3100)]);
    await s.hook.waitFor(1);
    s.fleet.length = 0;
    s.service.tick();
    await s.hook.waitFor(2);
    expect(kinds(s.hook)).toEqual(['trigger ISSUER_TOO_SLOW', 'resolve ISSUER_TOO_SLOW']);
  });

  it('a firing warning that becomes critical is a trigger again, routed by its new severity; its resolution goes to both', async () => {
    const s = await setup({
      config: {
        routes: [
          { match: { severity: ['critical'] }, sinks: ['pager'], continue: true },
          { match: {}, sinks: ['hook'], continue: false },
        ],
      },
      extraSinks: (url) => [
        createWebhookSink({ name: 'pager', url: `${url}/pager`, timeoutMs: 5000, sendResolved: true }),
      ],
    });
    const seen = () =>
      s.hook.received.map((r, i) => {
        const b = s.hook.json<{ id: string; kind: string; alert: { severity: string } }>(i);
        return `${r.path.startsWith('/pager') ? 'pager' : 'hook'} ${b.kind} ${b.alert.severity}`;
      });
    s.report('issuer', [slow(3100)]);
    s.report('issuer', [slow(3100)]);
    await s.hook.waitFor(1);
    expect(seen()).toEqual(['hook trigger warning']);
    s.report('issuer', [slow(6000)]);
    await s.hook.waitFor(3);
    expect(seen().slice(1).sort()).toEqual(['hook trigger critical', 'pager trigger critical']);
    const ids = s.hook.received.map((_, i) => s.hook.json<{ id: string }>(i).id);
    expect(new Set(ids).size).toBe(3);
    expect(ids.slice(1).every((id) => id.includes('/trigger/escalated/'))).toBe(true);
    // Back to a warning and up again: nothing new.
    s.report('issuer', [slow(3100)]);
    s.report('issuer', [slow(6000)]);
    await settled(s);
    expect(s.hook.received).toHaveLength(3);
    // Kept in the store: a restart does not escalate the same episode again.
    expect(s.store.alertStore().openAlerts()[0]?.escalatedAt).toBe('2026-12-06T10:00:16.000Z');
    s.report('issuer');
    s.report('issuer');
    await s.hook.waitFor(5);
    expect(seen().slice(3).sort()).toEqual(['hook resolve critical', 'pager resolve critical']);
  });

  it('Alertmanager: an escalated alert is posted as critical with its warning ended, as Prometheus ends changed labels', async () => {
    const s = await setup({
      extraSinks: (url) => [alertmanagerAt(url)],
    });
    s.report('issuer', [slow(3100)]);
    s.report('issuer', [slow(3100)]);
    await s.hook.waitFor(2);
    s.report('issuer', [slow(6000)]);
    await s.hook.waitFor(4);
    const posts = s.hook.received
      .map((r, i) => ({ path: r.path, body: s.hook.json<{ labels: { severity: string }; endsAt: string }[]>(i) }))
      .filter((r) => r.path.startsWith('/am'))
      .map((r) => r.body);
    expect(posts.map((b) => b.map((a) => a.labels.severity))).toEqual([['warning'], ['critical', 'warning']]);
    const now = s.clock.now.getTime();
    const [critical, warning] = posts[1]!;
    expect(Date.parse(critical!.endsAt)).toBeGreaterThan(now);
    expect(Date.parse(warning!.endsAt)).toBeLessThanOrEqual(now);
  });

  it('test-alert: the sample through one sink, outcome returned; an unknown sink is SINK_NOT_FOUND', async () => {
    const s = await setup();
    await expect(s.service.testSink('hook')).resolves.toMatchObject({ ok: true, httpStatus: 200 });
    expect(s.hook.json(0)).toMatchObject({
      kind: 'test',
      alert: { cluster: 'example-cluster', summary: expect.stringMatching(/^TEST ALERT/) },
    });
    await expect(s.service.testSink('nope')).rejects.toMatchObject({ code: 'SINK_NOT_FOUND' });
  });
});
