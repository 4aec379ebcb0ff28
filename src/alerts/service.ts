// Alerting, wired: store -> state machine -> router -> outbox -> sinks. The agent calls `evaluate(cluster)` after each
// stored result (or `settle` while a re-run of the cluster is under way, so the alert reflects the whole fresh
// diagnosis); the state change and the notifications it makes are written in one transaction, then the dispatcher
// delivers them. A periodic tick raises and clears STALE, queues reminders and Alertmanager refreshes, releases what a
// silence or maintenance window held once it is over, resolves the alerts of clusters that left the fleet, and prunes.
import type { Logger } from 'pino';
import type { AlertsConfig } from '../config/types.ts';
import type { ProbeResult } from '../core/model.ts';
import { notChecked } from '../diagnosis/diagnose.ts';
import type { Diagnosis } from '../diagnosis/diagnose.ts';
import type { AlertStore, AlertWrite, NewNotification } from '../store/alert-store.ts';
import type { ClusterRef } from './content.ts';
import { createDispatcher } from './dispatcher.ts';
import type { Dispatcher } from './dispatcher.ts';
import { evaluate } from './engine.ts';
import type { Transition } from './engine.ts';
import { SilenceNotFoundError, SinkNotFoundError } from './errors.ts';
import { newSilence } from './quiet.ts';
import type { SilenceInput } from './quiet.ts';
import { route } from './router.ts';
import { sampleEvent } from './sample.ts';
import { staleProbes } from './stale.ts';
import type { ExpectedRun } from './stale.ts';
import type { Alert, DeliveryOutcome, DeliveryOutcomeLabel, NotificationKind, Silence, Sink } from './types.ts';
import { STALE_CODE } from './types.ts';
import { createAlertsView } from './view.ts';
import type { AlertsView } from './view.ts';

export interface AlertServiceOptions {
  config: AlertsConfig;
  /** The fleet now (discovery may change it). */
  clusters: () => readonly ClusterRef[];
  /** The cluster's kept diagnosis and latest results (the result store). */
  results: { diagnosis(cluster: string): Diagnosis | undefined; latest(cluster: string): ProbeResult[] };
  store: AlertStore;
  sinks: readonly Sink[];
  /** The (cluster, probe) pairs the scheduler runs, with their periods: for STALE. */
  expected: () => readonly ExpectedRun[];
  /** Base of the cluster links (server.publicUrl, else where the API listens). */
  baseUrl: () => string;
  log: Logger;
  now?: () => Date;
  random?: () => number;
  /** How often the tick runs. Default 5 s. */
  tickMs?: number;
  onDelivery?: (sink: string, outcome: DeliveryOutcomeLabel) => void;
}

export interface AlertService extends AlertsView {
  readonly dispatcher: Dispatcher;
  /** Starts the dispatcher and the tick. */
  start(): void;
  /** Evaluate a cluster's alerts now (after a result was stored); deferred while the cluster settles. */
  evaluate(cluster: string): void;
  /** Hold the cluster's evaluation until `work` (a re-run of its probes) settles, then evaluate once. */
  settle(cluster: string, work: Promise<unknown>): void;
  /** Stale checks, reminders, refreshes, releases, departed clusters. Run by the timer; callable by tests. */
  tick(): void;
  createSilence(input: SilenceInput): Silence;
  /** Ends a silence now; what it held is released. */
  expireSilence(id: string): Silence;
  /** The names and types of the sinks (never their URLs). */
  sinkNames(): { name: string; type: string }[];
  /** Sends the sample alert through one sink; the outcome is not stored in the outbox. */
  testSink(name: string): Promise<DeliveryOutcome>;
  stop(graceMs?: number): Promise<void>;
}

/** What the API reads and does: the view, silences and test alerts. */
export type AlertsApi = AlertsView & Pick<AlertService, 'createSilence' | 'expireSilence' | 'sinkNames' | 'testSink'>;

const HOUR_MS = 3_600_000;
const PRUNE_EVERY_MS = HOUR_MS;

/** The episode's key prefix: irsa-sentinel/<cluster>/<code>/<fired ms>. */
const episode = (a: Alert): string => `irsa-sentinel/${a.cluster}/${a.code}/${Date.parse(a.firedAt ?? a.firstSeenAt)}`;

export function createAlertService(opts: AlertServiceOptions): AlertService {
  const now = opts.now ?? (() => new Date());
  const log = opts.log.child({ component: 'alerts' });
  const cfg = opts.config;
  const startedAt = now();
  const routing = {
    routes: cfg.routes,
    defaultSinks: cfg.defaultSinks ?? (cfg.routes.length === 0 ? opts.sinks.map((s) => s.name) : []),
  };
  const sinksByName = new Map(opts.sinks.map((s) => [s.name, s]));
  const view = createAlertsView({ store: opts.store, maintenance: cfg.maintenance, recentHours: cfg.recentHours, now });
  const dispatcher = createDispatcher({
    store: opts.store,
    sinks: opts.sinks,
    quiet: (alert, at) => view.quietReason(alert, at),
    retry: cfg.retry,
    log: opts.log,
    now,
    ...(opts.random && { random: opts.random }),
    ...(opts.onDelivery && { onDelivery: opts.onDelivery }),
  });
  const settling = new Map<string, number>();
  const refreshed = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let lastPrune = 0;

  const routed = (a: Alert): Sink[] => route(a, routing).flatMap((n) => sinksByName.get(n) ?? []);

  const notify = (a: Alert, kind: NotificationKind, sinks: readonly Sink[], suffix = ''): NewNotification[] =>
    sinks.map((s) => ({ sink: s.name, kind, dedupKey: `${episode(a)}/${kind}${suffix}/${s.name}` }));

  function writeOf(t: Transition, at: Date): AlertWrite {
    const a = t.alert;
    switch (t.kind) {
      case 'cleared':
        return { alert: a, notifications: [], remove: true };
      case 'fired': {
        const alert = { ...a, lastNotifiedAt: at.toISOString() };
        return { alert, notifications: notify(alert, 'trigger', routed(alert)) };
      }
      case 'escalated': {
        // A trigger again, routed by the new severity (a route for critical alerts hears of it now), under a key of
        // its own: the sinks that had the warning's trigger get this one too.
        const alert = { ...a, lastNotifiedAt: at.toISOString() };
        return { alert, notifications: notify(alert, 'trigger', routed(alert), '/escalated') };
      }
      case 'resolved': {
        const told = a.id === 0 ? [] : opts.store.sinksOf(a.id);
        const sinks = told.flatMap((n) => sinksByName.get(n) ?? []).filter((s) => s.sendResolved);
        return { alert: a, notifications: notify(a, 'resolve', sinks) };
      }
      default:
        return { alert: a, notifications: [] };
    }
  }

  function apply(transitions: Transition[], at: Date): void {
    if (transitions.length === 0) return;
    const written = opts.store.write(
      transitions.map((t) => writeOf(t, at)),
      at,
    );
    for (const t of transitions) {
      const fields = { cluster: t.alert.cluster, code: t.alert.code, severity: t.alert.severity };
      if (t.kind === 'fired') log.info({ ...fields, summary: t.alert.content.summary }, 'alert fired');
      else if (t.kind === 'escalated') log.info({ ...fields, summary: t.alert.content.summary }, 'alert escalated');
      else if (t.kind === 'resolved') log.info(fields, 'alert resolved');
      else if (t.kind === 'pending' && t.alert.id === 0) log.debug(fields, 'alert pending');
    }
    if (written.length > 0) dispatcher.kick();
  }

  const clusterRef = (name: string): ClusterRef | undefined => opts.clusters().find((c) => c.name === name);

  // The expected runs by cluster, grouped again only when the scheduler hands out a new list (a changed fleet).
  let grouped: { from: readonly ExpectedRun[]; byCluster: Map<string, ExpectedRun[]> } | undefined;
  function staleOf(cluster: string, latest: readonly ProbeResult[], at: Date) {
    const all = opts.expected();
    if (grouped?.from !== all) grouped = { from: all, byCluster: Map.groupBy(all, (e) => e.cluster) };
    const expected = grouped.byCluster.get(cluster) ?? [];
    return staleProbes(expected, latest, startedAt, at, cfg.staleAfterPeriods);
  }

  function evaluateNow(cluster: string): void {
    const ref = clusterRef(cluster);
    if (!ref) return;
    const at = now();
    const latest = opts.results.latest(cluster);
    const transitions = evaluate({
      cluster: ref,
      diagnosis: opts.results.diagnosis(cluster) ?? notChecked(),
      latest,
      open: opts.store.openAlerts(cluster),
      stale: { probes: staleOf(cluster, latest, at) },
      now: at,
      baseUrl: opts.baseUrl(),
      settings: cfg,
    });
    apply(transitions, at);
  }

  const safely = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      log.error({ err }, `${what} failed`);
    }
  };

  function tick(): void {
    const at = now();
    const fleet = new Set(opts.clusters().map((c) => c.name));
    const open = opts.store.openAlerts();
    // Clusters that left the fleet: their alerts end.
    const gone = open.filter((a) => !fleet.has(a.cluster));
    if (gone.length)
      apply(
        gone.map((a) =>
          a.state === 'pending'
            ? { kind: 'cleared', alert: a }
            : { kind: 'resolved', alert: { ...a, state: 'resolved', resolvedAt: at.toISOString() } },
        ),
        at,
      );
    // STALE: evaluate the clusters whose staleness changed.
    const staleOpen = new Map(open.filter((a) => a.code === STALE_CODE).map((a) => [a.cluster, a]));
    for (const cluster of fleet) {
      if (settling.has(cluster)) continue;
      const stale = staleOf(cluster, opts.results.latest(cluster), at);
      const was = staleOpen.get(cluster);
      const changed =
        stale.length > 0 !== (was !== undefined) ||
        (was !== undefined && !stale.every((s) => was.content.summary.includes(`${s.probe} (last ${s.since})`)));
      if (changed) safely('stale check', () => evaluateNow(cluster));
    }
    // Reminders and Alertmanager refreshes of firing alerts.
    const writes: AlertWrite[] = [];
    const refreshSinks = opts.sinks.filter((s) => s.refreshMs !== undefined);
    const firing = opts.store.alerts({ states: ['firing'] });
    for (const a of firing) {
      // While quiet nothing new is queued: what still fires when the quiet ends is released then.
      if (view.quietReason(a, at)) continue;
      const sinks = routed(a);
      const notifications: NewNotification[] = [];
      let alert = a;
      const last = Date.parse(a.lastNotifiedAt ?? a.firedAt ?? a.firstSeenAt);
      if (at.getTime() - last >= cfg.reminderMinutes * 60_000) {
        alert = { ...a, reminders: a.reminders + 1, lastNotifiedAt: at.toISOString() };
        const targets = sinks.filter((s) => s.refreshMs === undefined);
        notifications.push(...notify(alert, 'reminder', targets, `/${alert.reminders}`));
      }
      for (const s of refreshSinks) {
        if (!sinks.includes(s)) continue;
        const bucket = Math.floor(at.getTime() / (s.refreshMs ?? 60_000));
        const key = `${a.id}/${s.name}`;
        if (refreshed.get(key) === bucket) continue;
        refreshed.set(key, bucket);
        notifications.push(...notify(alert, 'refresh', [s], `/${bucket}`));
      }
      if (notifications.length || alert !== a) writes.push({ alert, notifications });
    }
    if (writes.length) {
      opts.store.write(writes, at);
      dispatcher.kick();
    }
    const live = new Set(firing.map((a) => a.id));
    for (const key of refreshed.keys()) if (!live.has(Number(key.split('/')[0]))) refreshed.delete(key);
    dispatcher.releaseHeld();
    if (at.getTime() - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = at.getTime();
      const kept = Math.max(cfg.recentHours * HOUR_MS, 7 * 24 * HOUR_MS);
      const pruned = opts.store.prune(new Date(at.getTime() - kept));
      if (pruned > 0) log.info({ pruned }, 'pruned alert history');
    }
  }

  return {
    ...view,
    dispatcher,
    start() {
      dispatcher.start();
      const every = opts.tickMs ?? 5_000;
      timer = setInterval(() => safely('alert tick', tick), every);
      timer.unref();
      log.info({ sinks: opts.sinks.map((s) => s.name), routes: cfg.routes.length }, 'alerting started');
    },
    evaluate(cluster) {
      if (settling.has(cluster)) return;
      safely('alert evaluation', () => evaluateNow(cluster));
    },
    settle(cluster, work) {
      settling.set(cluster, (settling.get(cluster) ?? 0) + 1);
      void work
        .catch(() => undefined)
        .finally(() => {
          const n = (settling.get(cluster) ?? 1) - 1;
          if (n > 0) settling.set(cluster, n);
          else {
            settling.delete(cluster);
            safely('alert evaluation', () => evaluateNow(cluster));
          }
        });
    },
    tick: () => safely('alert tick', tick),
    createSilence(input) {
      const silence = newSilence(input, now());
      opts.store.addSilence(silence);
      log.info(
        { id: silence.id, matchers: silence.matchers, endsAt: silence.endsAt, createdBy: silence.createdBy },
        'silence created',
      );
      return silence;
    },
    expireSilence(id) {
      const existing = opts.store.silence(id);
      if (!existing) throw new SilenceNotFoundError(id);
      const silence = opts.store.expireSilence(id, now()) ?? existing;
      log.info({ id }, 'silence expired');
      dispatcher.releaseHeld();
      return silence;
    },
    sinkNames: () => opts.sinks.map((s) => ({ name: s.name, type: s.type })),
    async testSink(name) {
      const sink = sinksByName.get(name);
      if (!sink) throw new SinkNotFoundError(name, [...sinksByName.keys()]);
      const outcome = await sink.deliver(sampleEvent(now(), opts.baseUrl()), AbortSignal.timeout(sink.timeoutMs));
      log.info(
        { sink: name, ok: outcome.ok, httpStatus: outcome.httpStatus, errorCode: outcome.errorCode },
        'test alert sent',
      );
      return outcome;
    },
    async stop(graceMs) {
      clearInterval(timer);
      await dispatcher.stop(graceMs);
    },
  };
}
