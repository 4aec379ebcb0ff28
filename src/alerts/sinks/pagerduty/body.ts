// PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/): POST
// https://events.pagerduty.com/v2/enqueue with `routing_key`, `event_action` trigger | acknowledge | resolve, a
// `dedup_key` (at most 255 characters) that ties a resolve to its trigger, and for a trigger a `payload` with
// `summary` (at most 1024 characters), `source`, `severity` (critical | error | warning | info), optional `timestamp`,
// `component`, `group`, `class` and `custom_details`, plus `links` [{href, text}], `client` and `client_url`. It
// answers 202 when accepted, 400 for an invalid event (not worth retrying) and 429 when rate limited.
import type { AlertEvent, AlertSeverity } from '../../types.ts';

export const PD_SUMMARY_MAX = 1024;
export const PD_DEDUP_MAX = 255;
export const PD_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type PagerDutySeverity = (typeof PD_SEVERITIES)[number];

const SEVERITY: Record<AlertSeverity, PagerDutySeverity> = { critical: 'critical', warning: 'warning' };

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp?: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: Record<string, unknown>;
  };
  links?: { href: string; text: string }[];
  client?: string;
  client_url?: string;
}

const cut = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** One PagerDuty alert per cluster and cause, across restarts: irsa-sentinel/<cluster>/<code>. */
export const dedupKey = (cluster: string, code: string): string =>
  cut(`irsa-sentinel/${cluster}/${code}`, PD_DEDUP_MAX);

export function pagerDutyEvent(event: AlertEvent, routingKey: string): PagerDutyEvent {
  const a = event.alert;
  const c = a.content;
  const key = event.kind === 'test' ? cut(`irsa-sentinel/test/${event.id}`, PD_DEDUP_MAX) : dedupKey(a.cluster, a.code);
  if (event.kind === 'resolve') return { routing_key: routingKey, event_action: 'resolve', dedup_key: key };
  const test = event.kind === 'test' ? '[TEST] ' : '';
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: key,
    payload: {
      summary: cut(`${test}${a.cluster}: ${c.summary}`, PD_SUMMARY_MAX),
      source: a.cluster,
      severity: event.kind === 'test' ? 'info' : SEVERITY[a.severity],
      timestamp: a.firedAt ?? a.firstSeenAt,
      component: a.probe,
      group: a.cluster,
      class: a.code,
      custom_details: {
        title: c.title,
        remediation: c.remediation,
        ...(c.change && { changed_by: c.change.actor, changed_at: c.change.at, statement: c.change.statement }),
        evidence: c.evidence.map((e) => `${e.probe}/${e.code}: ${e.message}`),
        labels: c.labels,
      },
    },
    links: [{ href: c.link, text: `${a.cluster} in irsa-sentinel` }],
    client: 'irsa-sentinel',
    client_url: c.link,
  };
}
