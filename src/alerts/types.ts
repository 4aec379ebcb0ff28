// What an alert is, what a sink is given and what it answers. Imports nothing of the agent: the engine, the router,
// the dispatcher, the sinks, the store and the API all speak these types.

/** An alert's severity: a failing cause is critical, a warning is a warning (each sink maps it to its own scale). */
export const ALERT_SEVERITIES = ['critical', 'warning'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** pending: seen, not yet past its threshold; firing: notified; resolved: over (kept as history). */
export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** The alert a cluster gets when its probes have stopped reporting. */
export const STALE_CODE = 'STALE';

/** One finding of the evidence chain, as an alert carries it (never the raw facts). */
export interface AlertEvidence {
  probe: string;
  code: string;
  message: string;
  subject?: string;
}

/** Who changed what, when: from the CloudTrail record (or the bucket probe's source) in the cause's chain. */
export interface AlertChange {
  actor: string;
  at?: string;
  /** The CloudTrail event, e.g. PutBucketPolicy. */
  event?: string;
  /** The policy statement that denies, when the evidence names one. */
  statement?: string;
}

/** What an alert says: the cause in the operator's words, its fix and the evidence behind it. */
export interface AlertContent {
  /** The rule's title, e.g. "The OIDC bucket policy denies STS". */
  title: string;
  summary: string;
  remediation?: string;
  evidence: AlertEvidence[];
  change?: AlertChange;
  /** The cluster's labels. */
  labels: Record<string, string>;
  /** The cluster's page. */
  link: string;
}

export interface Alert {
  /** 0 until the store has kept it. */
  id: number;
  cluster: string;
  /** A diagnosis cause code (rules.ts), DEGRADED, or STALE. */
  code: string;
  severity: AlertSeverity;
  state: AlertState;
  /** The probe whose stored results are this alert's evaluations (that of the cause's primary finding). */
  probe: string;
  /** Consecutive evaluations that found the cause. */
  failCount: number;
  /** Consecutive decided evaluations that did not. */
  passCount: number;
  /** startedAt of the last result counted (each stored result is counted once). */
  lastEvaluatedAt?: string;
  firstSeenAt: string;
  lastSeenAt: string;
  firedAt?: string;
  resolvedAt?: string;
  /** When the last trigger or reminder was queued (reminders are counted from it). */
  lastNotifiedAt?: string;
  /** When this firing warning became critical and was notified again (at most once per episode). */
  escalatedAt?: string;
  /** Reminders queued in this episode. */
  reminders: number;
  content: AlertContent;
}

export const NOTIFICATION_KINDS = ['trigger', 'reminder', 'resolve', 'refresh'] as const;
/** trigger: it fired; reminder: still firing; resolve: it cleared; refresh: Alertmanager's periodic re-send. */
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** What a sink delivers: one notification about one alert. `test` is `irsa-sentinel test-alert`'s sample. */
export interface AlertEvent {
  kind: NotificationKind | 'test';
  /** The notification's dedup key, unique: receivers may drop a repeat. */
  id: string;
  alert: Alert;
  /** ISO 8601, when this delivery attempt started. */
  sentAt: string;
}

export const SINK_TYPES = ['webhook', 'slack', 'pagerduty', 'alertmanager'] as const;
export type SinkType = (typeof SINK_TYPES)[number];

/** What one delivery attempt came to. Never holds the sink's URL, key or secret. */
export interface DeliveryOutcome {
  ok: boolean;
  /** Whether trying again may succeed (429, 5xx, timeouts, network errors). */
  retryable: boolean;
  httpStatus?: number;
  /** HTTP_<status>, TIMEOUT, or the network error's code (ECONNREFUSED, ...). */
  errorCode?: string;
  /** A short sentence of our own (never the receiver's body or the URL). */
  message: string;
  /** The receiver's Retry-After, in ms. */
  retryAfterMs?: number;
}

export interface Sink {
  readonly name: string;
  readonly type: SinkType;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Send resolutions to this sink. */
  readonly sendResolved: boolean;
  /** Alertmanager: firing alerts are sent again this often (its alerts expire otherwise). */
  readonly refreshMs?: number;
  deliver(event: AlertEvent, signal: AbortSignal): Promise<DeliveryOutcome>;
  close?(): Promise<void>;
}

/** A silence's matcher: an alert label (cluster, code, severity or a cluster label) equal to, or matching, a value. */
export interface Matcher {
  name: string;
  value: string;
  /** The value is a regular expression matched against the whole label value. */
  isRegex?: boolean;
}

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
  createdAt: string;
  /** Set when it was ended early (DELETE). */
  expiredAt?: string;
}

/** How a notification's delivery stands. held: a silence or maintenance window holds it. */
export const NOTIFICATION_STATUSES = ['pending', 'held', 'delivered', 'failed', 'dropped'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export interface LastOutcome {
  outcome: DeliveryOutcomeLabel;
  httpStatus?: number;
  errorCode?: string;
  message: string;
  at: string;
}

export interface Notification {
  id: number;
  alertId: number;
  sink: string;
  kind: NotificationKind;
  dedupKey: string;
  status: NotificationStatus;
  createdAt: string;
  nextAttemptAt: string;
  attempts: number;
  deliveredAt?: string;
  lastOutcome?: LastOutcome;
}

/** What each attempt (or decision) is counted as, per sink: what /metrics reads. */
export const DELIVERY_OUTCOMES = ['delivered', 'retry', 'failed', 'held', 'dropped'] as const;
export type DeliveryOutcomeLabel = (typeof DELIVERY_OUTCOMES)[number];

export interface DeliveryCount {
  sink: string;
  outcome: DeliveryOutcomeLabel;
  count: number;
}
