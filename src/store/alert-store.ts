// Alert state as the store keeps it (migration 3): the alerts (pending, firing, and resolved ones as history), the
// notifications outbox (each one keyed by a unique dedup key, written in the same transaction as the state change
// that makes it, delivered once), every delivery attempt, and the silences. One interface on the results' database,
// so that a restart never sends twice what was delivered and delivers what was not.
import type {
  Alert,
  DeliveryCount,
  DeliveryOutcome,
  DeliveryOutcomeLabel,
  Notification,
  NotificationKind,
  NotificationStatus,
  Silence,
} from '../alerts/types.ts';

export interface NewNotification {
  sink: string;
  kind: NotificationKind;
  /** Unique: a notification whose key exists already is not queued again (restart-safe). */
  dedupKey: string;
}

/** An alert to keep (id 0: a new one) and the notifications its change makes, queued in the same transaction. */
export interface AlertWrite {
  alert: Alert;
  notifications: NewNotification[];
  /** Delete it instead (a pending alert whose cause went away). */
  remove?: boolean;
}

export interface AttemptRecord {
  outcome: DeliveryOutcome;
  label: DeliveryOutcomeLabel;
  /** The notification's status after the attempt. */
  status: NotificationStatus;
  nextAttemptAt?: Date;
  at: Date;
  durationMs: number;
}

export interface AlertQuery {
  states?: Alert['state'][];
  cluster?: string;
  /** Only alerts resolved at or after this time (resolved ones), or still open. */
  resolvedSince?: Date;
  limit?: number;
}

export interface AlertStore {
  /** The pending and firing alerts, of one cluster or all. */
  openAlerts(cluster?: string): Alert[];
  alerts(query?: AlertQuery): Alert[];
  alert(id: number): Alert | undefined;
  /**
   * Keep the alerts and queue their notifications (created and due at `now`), all in one transaction; returns the
   * alerts with their ids.
   */
  write(changes: readonly AlertWrite[], now: Date): Alert[];
  /**
   * Notifications of `sink` due at `now`, oldest first, skipping any with an earlier undelivered notification of the
   * same alert and sink (so a resolution never overtakes its trigger).
   */
  due(sink: string, now: Date, limit: number): Notification[];
  /** When the next pending notification of `sink` that `due` would give is due; undefined when none. */
  nextDue(sink: string): Date | undefined;
  /** Record an attempt (or a decision: held, dropped) and the notification's new status, in one transaction. */
  recordAttempt(notificationId: number, record: AttemptRecord): void;
  /** Set a notification's status without an attempt (held ones released, superseded ones dropped). */
  setStatus(notificationId: number, status: NotificationStatus, label?: DeliveryOutcomeLabel, at?: Date): void;
  held(): Notification[];
  /** Whether a newer refresh of the same alert and sink is queued (this one is then moot). */
  laterRefresh(notification: Notification): boolean;
  /** Whether a trigger of this alert reached this sink. */
  triggerDelivered(alertId: number, sink: string): boolean;
  /** The sinks any notification of this alert went (or is going) to. */
  sinksOf(alertId: number): string[];
  notificationsOf(alertIds: readonly number[]): Notification[];
  deliveryCounts(): DeliveryCount[];
  addSilence(silence: Silence): void;
  silences(): Silence[];
  silence(id: string): Silence | undefined;
  expireSilence(id: string, at: Date): Silence | undefined;
  /** Delete resolved alerts (their notifications and attempts) and expired silences older than `before`. */
  prune(before: Date): number;
}
