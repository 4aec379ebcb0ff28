// What the read surfaces (summary.json, the status page) show of alerting: alerts firing with their summary, silences
// and maintenance windows with the clusters they cover. Read from the alerting view (src/alerts/view.ts), so those
// surfaces do not depend on how alerts are kept.
import type { AlertsApi } from '../alerts/service.ts';
import type { ActiveMaintenance } from '../alerts/quiet.ts';
import type { ClusterConfig } from '../core/cluster.ts';

export interface AlertsSummary {
  /** Alerts firing now, oldest first. */
  firing(): FiringAlert[];
  /** Silences in force. */
  silences(): SilenceView[];
  /** Maintenance windows in force at `now`. */
  activeMaintenance(now: Date): MaintenanceWindow[];
  /** Maintenance windows in force at `now` or starting within a day (summary.json's scheduled maintenances). */
  upcomingMaintenance(now: Date): MaintenanceWindow[];
}

export interface SilenceView {
  id: string;
  matchers: { name: string; value: string; isRegex?: boolean }[];
  /** ISO 8601 */
  endsAt: string;
  comment: string;
  createdBy?: string;
}

export interface FiringAlert {
  cluster: string;
  /** The diagnosis cause code (or STALE). */
  code: string;
  severity: 'critical' | 'warning';
  summary: string;
  /** ISO 8601: when it started firing. */
  since: string;
  /** ISO 8601: when it became critical while firing as a warning (notified again then). */
  escalatedAt?: string;
  /** ISO 8601: when it last changed. */
  updatedAt: string;
  /** A silence or maintenance window holds its notifications. */
  silenced: boolean;
}

export interface MaintenanceWindow {
  name: string;
  /** ISO 8601 */
  startsAt: string;
  endsAt: string;
  /** The clusters it covers now. */
  clusters: string[];
  /** Its cluster label selector; absent: the whole fleet. */
  selector?: Record<string, string>;
}

export function alertsSummaryOf(alerts: AlertsApi, clusters: () => readonly ClusterConfig[]): AlertsSummary {
  const windowOf = (m: ActiveMaintenance): MaintenanceWindow => ({
    name: m.name,
    startsAt: m.startedAt,
    endsAt: m.endsAt,
    clusters: clusters()
      .filter((c) => Object.entries(m.labels ?? {}).every(([k, v]) => c.labels[k] === v))
      .map((c) => c.name),
    ...(m.labels && { selector: m.labels }),
  });
  return {
    firing: () =>
      alerts.firing().map((a) => ({
        cluster: a.cluster,
        code: a.code,
        severity: a.severity,
        summary: a.content.summary,
        since: a.firedAt ?? a.firstSeenAt,
        ...(a.escalatedAt !== undefined && { escalatedAt: a.escalatedAt }),
        updatedAt: a.lastSeenAt,
        silenced: a.quiet !== undefined,
      })),
    silences: () =>
      alerts.silences().map((s) => ({
        id: s.id,
        matchers: s.matchers,
        endsAt: s.endsAt,
        comment: s.comment,
        createdBy: s.createdBy,
      })),
    activeMaintenance: (now) => alerts.activeMaintenance(now).map(windowOf),
    upcomingMaintenance: (now) => alerts.upcomingMaintenance(now).map(windowOf),
  };
}
