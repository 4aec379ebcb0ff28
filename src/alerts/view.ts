// The read side of alerting, for the API (GET /api/v1/alerts, the status API), the CLI (`irsa-sentinel alerts`) and
// issue 12's status page, summary.json and /metrics: firing, pending and recently resolved alerts with their
// deliveries, silences, active maintenance windows and delivery counters by sink and outcome. Reads the store only,
// so `irsa-sentinel alerts` can use it while `serve` runs. Nothing here holds a sink's URL or key: sinks are names.
import type { AlertStore } from '../store/alert-store.ts';
import { activeMaintenance, quietReason, silenceActive, upcomingMaintenance } from './quiet.ts';
import type { ActiveMaintenance, MaintenanceWindow, QuietReason } from './quiet.ts';
import type {
  Alert,
  DeliveryCount,
  LastOutcome,
  Notification,
  NotificationKind,
  NotificationStatus,
  Silence,
} from './types.ts';

export interface DeliveryView {
  sink: string;
  kind: NotificationKind;
  status: NotificationStatus;
  attempts: number;
  createdAt: string;
  deliveredAt?: string;
  lastOutcome?: LastOutcome;
}

export type AlertView = Alert & {
  deliveries: DeliveryView[];
  /** Why its notifications are held now, if they are. */
  quiet?: QuietReason;
};

export interface ClusterAlerts {
  firing: number;
  pending: number;
  /** Codes of the firing alerts. */
  codes: string[];
  /** A silence or maintenance window holds some of its notifications now. */
  quiet: boolean;
}

export interface AlertsView {
  firing(): AlertView[];
  pending(): AlertView[];
  /** Resolved within the last `alerts.recentHours`. */
  recent(): AlertView[];
  /** Silences: active ones, or all kept (expired ones until pruned). */
  silences(opts?: { all?: boolean }): Silence[];
  activeMaintenance(now?: Date): ActiveMaintenance[];
  /** Windows in force or starting within a day, each with its current or next start (startedAt). */
  upcomingMaintenance(now?: Date): ActiveMaintenance[];
  /** Attempts and decisions per sink and outcome, since the store began. */
  deliveryCounts(): DeliveryCount[];
  /** Per cluster: what fires, what is pending, whether it is quiet now. */
  byCluster(): Map<string, ClusterAlerts>;
  /** Why an alert's notifications would be held now, if they would. */
  quietReason(alert: Alert, now?: Date): QuietReason | undefined;
}

export interface AlertsViewOptions {
  store: AlertStore;
  maintenance: readonly MaintenanceWindow[];
  recentHours: number;
  now?: () => Date;
}

const deliveryOf = (n: Notification): DeliveryView => ({
  sink: n.sink,
  kind: n.kind,
  status: n.status,
  attempts: n.attempts,
  createdAt: n.createdAt,
  ...(n.deliveredAt !== undefined && { deliveredAt: n.deliveredAt }),
  ...(n.lastOutcome !== undefined && { lastOutcome: n.lastOutcome }),
});

export function createAlertsView(opts: AlertsViewOptions): AlertsView {
  const clock = opts.now ?? (() => new Date());
  // The active windows are the same for a whole minute: computed once per minute.
  let cached: { minute: number; list: ActiveMaintenance[] } | undefined;
  let upcoming: { minute: number; list: ActiveMaintenance[] } | undefined;
  const maintenanceAt = (now: Date): ActiveMaintenance[] => {
    const minute = Math.floor(now.getTime() / 60_000);
    if (cached?.minute !== minute) cached = { minute, list: activeMaintenance(opts.maintenance, now) };
    return cached.list;
  };
  const quietOf = (alert: Alert, now = clock()): QuietReason | undefined =>
    quietReason(alert, opts.store.silences(), maintenanceAt(now), now);

  const withDeliveries = (alerts: Alert[]): AlertView[] => {
    const byAlert = Map.groupBy(opts.store.notificationsOf(alerts.map((a) => a.id)), (n) => n.alertId);
    const now = clock();
    // Refreshes are Alertmanager's keep-alives: the newest per sink says all there is to say.
    return alerts.map((a) => {
      const list = byAlert.get(a.id) ?? [];
      const lastRefresh = new Map<string, Notification>();
      for (const n of list) if (n.kind === 'refresh') lastRefresh.set(n.sink, n);
      const deliveries = list.filter((n) => n.kind !== 'refresh' || lastRefresh.get(n.sink) === n).map(deliveryOf);
      const quiet = a.state === 'resolved' ? undefined : quietOf(a, now);
      return { ...a, deliveries, ...(quiet && { quiet }) };
    });
  };

  return {
    firing: () => withDeliveries(opts.store.alerts({ states: ['firing'] })),
    pending: () => withDeliveries(opts.store.alerts({ states: ['pending'] })),
    recent: () =>
      withDeliveries(
        opts.store.alerts({
          states: ['resolved'],
          resolvedSince: new Date(clock().getTime() - opts.recentHours * 3_600_000),
        }),
      ),
    silences: (o = {}) => {
      const now = clock();
      const all = opts.store.silences();
      return o.all ? all : all.filter((s) => silenceActive(s, now));
    },
    activeMaintenance: (now = clock()) => maintenanceAt(now),
    upcomingMaintenance: (now = clock()) => {
      const minute = Math.floor(now.getTime() / 60_000);
      if (upcoming?.minute !== minute) upcoming = { minute, list: upcomingMaintenance(opts.maintenance, now) };
      return upcoming.list;
    },
    deliveryCounts: () => opts.store.deliveryCounts(),
    byCluster: () => {
      const now = clock();
      const out = new Map<string, ClusterAlerts>();
      for (const a of opts.store.openAlerts()) {
        const c = out.get(a.cluster) ?? { firing: 0, pending: 0, codes: [], quiet: false };
        out.set(a.cluster, c);
        if (a.state === 'firing') {
          c.firing++;
          c.codes.push(a.code);
        } else c.pending++;
        if (quietOf(a, now)) c.quiet = true;
      }
      return out;
    },
    quietReason: (alert, now) => quietOf(alert, now),
  };
}
