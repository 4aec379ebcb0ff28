// Prometheus Alertmanager API v2 (https://prometheus.io/docs/alerting/clients/, api/v2/openapi.yaml): POST
// <base>/api/v2/alerts with a JSON array of {labels, annotations, startsAt, endsAt, generatorURL}. Labels identify an
// alert (alertname is required); annotations are informational and the latest received wins. Clients re-send firing
// alerts regularly (every 30 s to 3 min) with endsAt ahead, and resolve one by sending it with endsAt in the past or
// now, as Prometheus itself does (endsAt = 4 x its resend interval ahead while firing). Label names in Alertmanager
// 0.25 follow Prometheus' [a-zA-Z_][a-zA-Z0-9_]*; cluster labels are mapped to that. `severity` is a label, so an
// escalated alert (warning, then critical) is another Alertmanager alert: the other severity's is sent ended with it,
// as Prometheus ends an alert whose labels changed, instead of being left to expire at its endsAt.
import type { AlertEvent } from '../../types.ts';

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/** A cluster label's name as a Prometheus label name: invalid characters become _, a leading digit gets _. */
export const labelName = (name: string): string => {
  const clean = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(clean) ? `_${clean}` : clean || '_';
};

/** How far ahead endsAt is put while firing: 4 resend periods, as Prometheus does. */
export const ENDS_AFTER_PERIODS = 4;

export function postableAlerts(event: AlertEvent, refreshMs: number): PostableAlert[] {
  const a = event.alert;
  const c = a.content;
  const sent = Date.parse(event.sentAt);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.labels)) labels[labelName(k)] = v;
  const test = event.kind === 'test';
  Object.assign(labels, {
    alertname: test ? 'IrsaSentinelTest' : a.code,
    cluster: a.cluster,
    code: a.code,
    severity: a.severity,
  });
  const annotations: Record<string, string> = { summary: c.summary, title: c.title };
  if (c.remediation) annotations.remediation = c.remediation;
  if (c.change) {
    annotations.changed_by = c.change.actor;
    if (c.change.at) annotations.changed_at = c.change.at;
    if (c.change.statement) annotations.statement = c.change.statement;
  }
  const endsAt =
    event.kind === 'resolve'
      ? (a.resolvedAt ?? event.sentAt)
      : new Date(sent + ENDS_AFTER_PERIODS * refreshMs).toISOString();
  const startsAt = test ? event.sentAt : (a.firedAt ?? a.firstSeenAt);
  const current: PostableAlert = {
    labels,
    annotations,
    startsAt,
    endsAt: event.kind === 'resolve' ? new Date(Math.min(Date.parse(endsAt), sent)).toISOString() : endsAt,
    generatorURL: c.link,
  };
  if (test || a.escalatedAt === undefined) return [current];
  // Escalated in this episode: the alert under its other severity ends (the warning when it became critical; the
  // critical one if it has gone back to a warning since).
  const other = a.severity === 'critical' ? 'warning' : 'critical';
  const ended = other === 'warning' ? Math.min(Date.parse(a.escalatedAt), sent) : sent;
  return [
    current,
    {
      ...current,
      labels: { ...labels, severity: other },
      endsAt: new Date(Math.max(ended, Date.parse(startsAt))).toISOString(),
    },
  ];
}
