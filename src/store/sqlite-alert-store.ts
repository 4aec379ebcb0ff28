// The AlertStore on the results' SQLite database (tables of migration 3). Made by SqliteStore.alertStore(), it shares
// its connection, its closed state and its error mapping (STORE_CLOSED, STORE_IO_FAILED).
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type {
  Alert,
  AlertContent,
  DeliveryCount,
  DeliveryOutcomeLabel,
  LastOutcome,
  Notification,
  NotificationStatus,
  Silence,
} from '../alerts/types.ts';
import type { AlertQuery, AlertStore, AlertWrite, AttemptRecord } from './alert-store.ts';

/** Runs a database operation under the owning store's guard (closed check, error mapping). */
export type Guard = <T>(what: string, operation: () => T) => T;

interface AlertRow {
  id: number;
  cluster: string;
  code: string;
  state: Alert['state'];
  severity: Alert['severity'];
  probe: string;
  fail_count: number;
  pass_count: number;
  last_evaluated_at: string | null;
  first_seen_ms: number;
  last_seen_ms: number;
  fired_ms: number | null;
  resolved_ms: number | null;
  last_notified_ms: number | null;
  escalated_ms: number | null;
  reminders: number;
  content: string;
}

interface NotificationRow {
  id: number;
  alert_id: number;
  sink: string;
  kind: Notification['kind'];
  dedup_key: string;
  status: NotificationStatus;
  created_ms: number;
  next_attempt_ms: number;
  attempts: number;
  delivered_ms: number | null;
  last_outcome: string | null;
}

interface SilenceRow {
  id: string;
  matchers: string;
  starts_ms: number;
  ends_ms: number;
  comment: string;
  created_by: string;
  created_ms: number;
  expired_ms: number | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const msOf = (s: string | undefined): number | null => (s === undefined ? null : Date.parse(s));

function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    cluster: r.cluster,
    code: r.code,
    severity: r.severity,
    state: r.state,
    probe: r.probe,
    failCount: r.fail_count,
    passCount: r.pass_count,
    ...(r.last_evaluated_at !== null && { lastEvaluatedAt: r.last_evaluated_at }),
    firstSeenAt: iso(r.first_seen_ms),
    lastSeenAt: iso(r.last_seen_ms),
    ...(r.fired_ms !== null && { firedAt: iso(r.fired_ms) }),
    ...(r.resolved_ms !== null && { resolvedAt: iso(r.resolved_ms) }),
    ...(r.last_notified_ms !== null && { lastNotifiedAt: iso(r.last_notified_ms) }),
    ...(r.escalated_ms !== null && { escalatedAt: iso(r.escalated_ms) }),
    reminders: r.reminders,
    content: JSON.parse(r.content) as AlertContent,
  };
}

function toNotification(r: NotificationRow): Notification {
  return {
    id: r.id,
    alertId: r.alert_id,
    sink: r.sink,
    kind: r.kind,
    dedupKey: r.dedup_key,
    status: r.status,
    createdAt: iso(r.created_ms),
    nextAttemptAt: iso(r.next_attempt_ms),
    attempts: r.attempts,
    ...(r.delivered_ms !== null && { deliveredAt: iso(r.delivered_ms) }),
    ...(r.last_outcome !== null && { lastOutcome: JSON.parse(r.last_outcome) as LastOutcome }),
  };
}

function toSilence(r: SilenceRow): Silence {
  return {
    id: r.id,
    matchers: JSON.parse(r.matchers) as Silence['matchers'],
    startsAt: iso(r.starts_ms),
    endsAt: iso(r.ends_ms),
    comment: r.comment,
    createdBy: r.created_by,
    createdAt: iso(r.created_ms),
    ...(r.expired_ms !== null && { expiredAt: iso(r.expired_ms) }),
  };
}

const ALERT_COLUMNS = `cluster, code, state, severity, probe, fail_count, pass_count, last_evaluated_at, first_seen_ms,
  last_seen_ms, fired_ms, resolved_ms, last_notified_ms, escalated_ms, reminders, content`;

const SQL = {
  insertAlert: `INSERT INTO alert (${ALERT_COLUMNS}) VALUES (:cluster, :code, :state, :severity, :probe, :fail_count,
    :pass_count, :last_evaluated_at, :first_seen_ms, :last_seen_ms, :fired_ms, :resolved_ms, :last_notified_ms,
    :escalated_ms, :reminders, :content)`,
  updateAlert: `UPDATE alert SET state = :state, severity = :severity, probe = :probe, fail_count = :fail_count,
    pass_count = :pass_count, last_evaluated_at = :last_evaluated_at, last_seen_ms = :last_seen_ms,
    fired_ms = :fired_ms, resolved_ms = :resolved_ms, last_notified_ms = :last_notified_ms,
    escalated_ms = :escalated_ms, reminders = :reminders, content = :content WHERE id = :id`,
  deleteAlert: 'DELETE FROM alert WHERE id = :id',
  alertById: 'SELECT * FROM alert WHERE id = :id',
  openAll: "SELECT * FROM alert WHERE state <> 'resolved' ORDER BY cluster, code",
  openOf: "SELECT * FROM alert WHERE state <> 'resolved' AND cluster = :cluster ORDER BY code",
  insertNotification: `INSERT INTO alert_notification (alert_id, sink, kind, dedup_key, status, created_ms, next_attempt_ms)
    VALUES (:alert_id, :sink, :kind, :dedup_key, 'pending', :now, :now) ON CONFLICT (dedup_key) DO NOTHING`,
  due: `SELECT n.* FROM alert_notification n
    WHERE n.sink = :sink AND n.status = 'pending' AND n.next_attempt_ms <= :now
      AND NOT EXISTS (SELECT 1 FROM alert_notification p WHERE p.alert_id = n.alert_id AND p.sink = n.sink
                      AND p.id < n.id AND p.status IN ('pending', 'held'))
    ORDER BY n.next_attempt_ms, n.id LIMIT :limit`,
  nextDue: `SELECT min(n.next_attempt_ms) AS next FROM alert_notification n WHERE n.sink = :sink AND n.status = 'pending'
      AND NOT EXISTS (SELECT 1 FROM alert_notification p WHERE p.alert_id = n.alert_id AND p.sink = n.sink
                      AND p.id < n.id AND p.status IN ('pending', 'held'))`,
  updateNotification: `UPDATE alert_notification SET status = :status, attempts = attempts + :tried,
    next_attempt_ms = coalesce(:next_attempt_ms, next_attempt_ms),
    delivered_ms = CASE WHEN :status = 'delivered' THEN :at_ms ELSE delivered_ms END,
    last_outcome = coalesce(:last_outcome, last_outcome) WHERE id = :id`,
  insertDelivery: `INSERT INTO alert_delivery (notification_id, sink, outcome, http_status, error_code, message, at_ms,
    duration_ms) SELECT id, sink, :outcome, :http_status, :error_code, :message, :at_ms, :duration_ms
    FROM alert_notification WHERE id = :id`,
  held: "SELECT * FROM alert_notification WHERE status = 'held' ORDER BY id",
  laterRefresh: `SELECT 1 AS yes FROM alert_notification WHERE alert_id = :alert_id AND sink = :sink
    AND kind = 'refresh' AND id > :id LIMIT 1`,
  triggerDelivered: `SELECT 1 AS yes FROM alert_notification WHERE alert_id = :alert_id AND sink = :sink
    AND kind = 'trigger' AND status = 'delivered' LIMIT 1`,
  sinksOf: 'SELECT DISTINCT sink FROM alert_notification WHERE alert_id = :alert_id ORDER BY sink',
  deliveryCounts:
    'SELECT sink, outcome, count(*) AS count FROM alert_delivery GROUP BY sink, outcome ORDER BY sink, outcome',
  insertSilence: `INSERT INTO alert_silence (id, matchers, starts_ms, ends_ms, comment, created_by, created_ms)
    VALUES (:id, :matchers, :starts_ms, :ends_ms, :comment, :created_by, :created_ms)`,
  silences: 'SELECT * FROM alert_silence ORDER BY created_ms, id',
  silenceById: 'SELECT * FROM alert_silence WHERE id = :id',
  expireSilence: 'UPDATE alert_silence SET expired_ms = :at_ms WHERE id = :id AND expired_ms IS NULL',
  pruneAlerts: "DELETE FROM alert WHERE state = 'resolved' AND resolved_ms < :before_ms",
  pruneSilences: 'DELETE FROM alert_silence WHERE coalesce(expired_ms, ends_ms) < :before_ms',
} as const;

type Statements = Record<keyof typeof SQL, StatementSync>;

const alertParams = (a: Alert) => ({
  state: a.state,
  severity: a.severity,
  probe: a.probe,
  fail_count: a.failCount,
  pass_count: a.passCount,
  last_evaluated_at: a.lastEvaluatedAt ?? null,
  last_seen_ms: Date.parse(a.lastSeenAt),
  fired_ms: msOf(a.firedAt),
  resolved_ms: msOf(a.resolvedAt),
  last_notified_ms: msOf(a.lastNotifiedAt),
  escalated_ms: msOf(a.escalatedAt),
  reminders: a.reminders,
  content: JSON.stringify(a.content),
});

export class SqliteAlertStore implements AlertStore {
  readonly #db: DatabaseSync;
  readonly #sql: Statements;
  readonly #guard: Guard;

  constructor(db: DatabaseSync, guard: Guard) {
    this.#db = db;
    this.#guard = guard;
    this.#sql = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
  }

  openAlerts(cluster?: string): Alert[] {
    return this.#guard('reading alerts', () =>
      (
        (cluster === undefined ? this.#sql.openAll.all() : this.#sql.openOf.all({ cluster })) as unknown as AlertRow[]
      ).map(toAlert),
    );
  }

  alerts(query: AlertQuery = {}): Alert[] {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (query.states?.length) {
      where.push(`state IN (${query.states.map((_, i) => `:s${i}`).join(', ')})`);
      query.states.forEach((s, i) => (params[`s${i}`] = s));
    }
    if (query.cluster !== undefined) {
      where.push('cluster = :cluster');
      params.cluster = query.cluster;
    }
    if (query.resolvedSince !== undefined) {
      where.push("(state <> 'resolved' OR resolved_ms >= :since)");
      params.since = query.resolvedSince.getTime();
    }
    params.limit = query.limit ?? 500;
    const sql = `SELECT * FROM alert ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY coalesce(resolved_ms, fired_ms, first_seen_ms) DESC, id DESC LIMIT :limit`;
    return this.#guard('reading alerts', () =>
      (this.#db.prepare(sql).all(params) as unknown as AlertRow[]).map(toAlert),
    );
  }

  alert(id: number): Alert | undefined {
    return this.#guard('reading an alert', () => {
      const row = this.#sql.alertById.get({ id }) as AlertRow | undefined;
      return row && toAlert(row);
    });
  }

  write(changes: readonly AlertWrite[], now: Date): Alert[] {
    return this.#guard('saving alerts', () =>
      this.#transaction(() =>
        changes.flatMap((change) => {
          const a = change.alert;
          if (change.remove) {
            if (a.id !== 0) this.#sql.deleteAlert.run({ id: a.id });
            return [];
          }
          let id = a.id;
          if (id === 0) {
            const { lastInsertRowid } = this.#sql.insertAlert.run({
              ...alertParams(a),
              cluster: a.cluster,
              code: a.code,
              first_seen_ms: Date.parse(a.firstSeenAt),
            });
            id = Number(lastInsertRowid);
          } else this.#sql.updateAlert.run({ ...alertParams(a), id });
          for (const n of change.notifications)
            this.#sql.insertNotification.run({
              alert_id: id,
              sink: n.sink,
              kind: n.kind,
              dedup_key: n.dedupKey,
              now: now.getTime(),
            });
          return [{ ...a, id }];
        }),
      ),
    );
  }

  due(sink: string, now: Date, limit: number): Notification[] {
    return this.#guard('reading the outbox', () =>
      (this.#sql.due.all({ sink, now: now.getTime(), limit }) as unknown as NotificationRow[]).map(toNotification),
    );
  }

  nextDue(sink: string): Date | undefined {
    return this.#guard('reading the outbox', () => {
      const row = this.#sql.nextDue.get({ sink }) as { next: number | null } | undefined;
      return row?.next == null ? undefined : new Date(row.next);
    });
  }

  recordAttempt(notificationId: number, r: AttemptRecord): void {
    const lastOutcome: LastOutcome = {
      outcome: r.label,
      ...(r.outcome.httpStatus !== undefined && { httpStatus: r.outcome.httpStatus }),
      ...(r.outcome.errorCode !== undefined && { errorCode: r.outcome.errorCode }),
      message: r.outcome.message,
      at: r.at.toISOString(),
    };
    this.#guard('recording a delivery', () =>
      this.#transaction(() => {
        this.#sql.insertDelivery.run({
          id: notificationId,
          outcome: r.label,
          http_status: r.outcome.httpStatus ?? null,
          error_code: r.outcome.errorCode ?? null,
          message: r.outcome.message,
          at_ms: r.at.getTime(),
          duration_ms: Math.round(r.durationMs),
        });
        this.#sql.updateNotification.run({
          id: notificationId,
          status: r.status,
          tried: 1,
          next_attempt_ms: r.nextAttemptAt?.getTime() ?? null,
          at_ms: r.at.getTime(),
          last_outcome: JSON.stringify(lastOutcome),
        });
      }),
    );
  }

  setStatus(notificationId: number, status: NotificationStatus, label?: DeliveryOutcomeLabel, at = new Date()): void {
    this.#guard('updating the outbox', () =>
      this.#transaction(() => {
        if (label)
          this.#sql.insertDelivery.run({
            id: notificationId,
            outcome: label,
            http_status: null,
            error_code: null,
            message: label === 'held' ? 'held by a silence or maintenance window' : `${label}`,
            at_ms: at.getTime(),
            duration_ms: 0,
          });
        this.#sql.updateNotification.run({
          id: notificationId,
          status,
          tried: 0,
          next_attempt_ms: status === 'pending' ? at.getTime() : null,
          at_ms: at.getTime(),
          last_outcome: null,
        });
      }),
    );
  }

  held(): Notification[] {
    return this.#guard('reading the outbox', () =>
      (this.#sql.held.all() as unknown as NotificationRow[]).map(toNotification),
    );
  }

  laterRefresh(n: Notification): boolean {
    return this.#guard(
      'reading the outbox',
      () => this.#sql.laterRefresh.get({ alert_id: n.alertId, sink: n.sink, id: n.id }) !== undefined,
    );
  }

  triggerDelivered(alertId: number, sink: string): boolean {
    return this.#guard(
      'reading the outbox',
      () => this.#sql.triggerDelivered.get({ alert_id: alertId, sink }) !== undefined,
    );
  }

  sinksOf(alertId: number): string[] {
    return this.#guard('reading the outbox', () =>
      (this.#sql.sinksOf.all({ alert_id: alertId }) as { sink: string }[]).map((r) => r.sink),
    );
  }

  notificationsOf(alertIds: readonly number[]): Notification[] {
    if (alertIds.length === 0) return [];
    const ids = [...new Set(alertIds)].map((id) => Math.trunc(id)).join(', ');
    return this.#guard('reading the outbox', () =>
      (
        this.#db
          .prepare(`SELECT * FROM alert_notification WHERE alert_id IN (${ids}) ORDER BY id`)
          .all() as unknown as NotificationRow[]
      ).map(toNotification),
    );
  }

  deliveryCounts(): DeliveryCount[] {
    return this.#guard('reading delivery counts', () => this.#sql.deliveryCounts.all() as unknown as DeliveryCount[]);
  }

  addSilence(s: Silence): void {
    this.#guard('saving a silence', () =>
      this.#sql.insertSilence.run({
        id: s.id,
        matchers: JSON.stringify(s.matchers),
        starts_ms: Date.parse(s.startsAt),
        ends_ms: Date.parse(s.endsAt),
        comment: s.comment,
        created_by: s.createdBy,
        created_ms: Date.parse(s.createdAt),
      }),
    );
  }

  silences(): Silence[] {
    return this.#guard('reading silences', () => (this.#sql.silences.all() as unknown as SilenceRow[]).map(toSilence));
  }

  silence(id: string): Silence | undefined {
    return this.#guard('reading a silence', () => {
      const row = this.#sql.silenceById.get({ id }) as SilenceRow | undefined;
      return row && toSilence(row);
    });
  }

  expireSilence(id: string, at: Date): Silence | undefined {
    return this.#guard('ending a silence', () => {
      this.#sql.expireSilence.run({ id, at_ms: at.getTime() });
      const row = this.#sql.silenceById.get({ id }) as SilenceRow | undefined;
      return row && toSilence(row);
    });
  }

  prune(before: Date): number {
    return this.#guard('pruning alerts', () =>
      this.#transaction(() => {
        const a = Number(this.#sql.pruneAlerts.run({ before_ms: before.getTime() }).changes);
        const s = Number(this.#sql.pruneSilences.run({ before_ms: before.getTime() }).changes);
        return a + s;
      }),
    );
  }

  #transaction<T>(work: () => T): T {
    if (this.#db.isTransaction) return work();
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const out = work();
      this.#db.exec('COMMIT');
      return out;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }
}
