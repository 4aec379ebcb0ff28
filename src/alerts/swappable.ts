// The alert service behind a stable reference, so a reloaded configuration (new sinks, routes, thresholds) can put a
// new service in place while the API and the agent keep the one they were given. Alert state lives in the store, so
// nothing is lost in the swap: the new service reads the alerts, the outbox and the silences the old one wrote.
import type { AlertService } from './service.ts';

export interface SwappableAlerts extends AlertService {
  /**
   * Puts `next` in place at once (evaluations and API calls go to it from now on), stops the old service (its
   * in-flight deliveries get `graceMs`), then starts `next` if the old one had been started: never two dispatchers
   * delivering the outbox at once.
   */
  swap(next: AlertService, graceMs: number): Promise<void>;
}

export function swappableAlerts(first: AlertService): SwappableAlerts {
  let current = first;
  let started = false;
  let stopped = false;
  return {
    get dispatcher() {
      return current.dispatcher;
    },
    start() {
      started = true;
      current.start();
    },
    evaluate: (cluster) => current.evaluate(cluster),
    settle: (cluster, work) => current.settle(cluster, work),
    tick: () => current.tick(),
    createSilence: (input) => current.createSilence(input),
    expireSilence: (id) => current.expireSilence(id),
    sinkNames: () => current.sinkNames(),
    testSink: (name) => current.testSink(name),
    firing: () => current.firing(),
    pending: () => current.pending(),
    recent: () => current.recent(),
    silences: (opts) => current.silences(opts),
    activeMaintenance: (now) => current.activeMaintenance(now),
    upcomingMaintenance: (now) => current.upcomingMaintenance(now),
    deliveryCounts: () => current.deliveryCounts(),
    byCluster: () => current.byCluster(),
    quietReason: (alert, now) => current.quietReason(alert, now),
    async stop(graceMs) {
      stopped = true;
      await current.stop(graceMs);
    },
    async swap(next, graceMs) {
      const old = current;
      current = next;
      await old.stop(graceMs);
      if (started && !stopped) next.start();
    },
  };
}
