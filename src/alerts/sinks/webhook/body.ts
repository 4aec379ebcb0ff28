// The generic webhook's body, version 1 (docs/alerts.md documents it field by field), and its signature: with a
// secret, X-Irsa-Sentinel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">, the scheme Stripe and
// Slack use for their own webhooks, so a receiver can check both origin and freshness.
import { createHmac } from 'node:crypto';
import type { AlertEvent } from '../../types.ts';

export const WEBHOOK_BODY_VERSION = 1;
export const SIGNATURE_HEADER = 'x-irsa-sentinel-signature';

export interface WebhookBodyV1 {
  version: 1;
  /** The notification's dedup key: a receiver may drop a repeat. */
  id: string;
  kind: AlertEvent['kind'];
  sentAt: string;
  source: 'irsa-sentinel';
  alert: {
    id: number;
    cluster: string;
    code: string;
    severity: string;
    state: string;
    title: string;
    summary: string;
    remediation?: string;
    evidence: { probe: string; code: string; message: string; subject?: string }[];
    change?: { actor: string; at?: string; event?: string; statement?: string };
    labels: Record<string, string>;
    link: string;
    firstSeenAt: string;
    firedAt?: string;
    /** When this firing warning became critical (its trigger was sent again then). */
    escalatedAt?: string;
    resolvedAt?: string;
  };
}

export function webhookBody(event: AlertEvent): WebhookBodyV1 {
  const a = event.alert;
  const c = a.content;
  return {
    version: WEBHOOK_BODY_VERSION,
    id: event.id,
    kind: event.kind,
    sentAt: event.sentAt,
    source: 'irsa-sentinel',
    alert: {
      id: a.id,
      cluster: a.cluster,
      code: a.code,
      severity: a.severity,
      state: a.state,
      title: c.title,
      summary: c.summary,
      ...(c.remediation !== undefined && { remediation: c.remediation }),
      evidence: c.evidence,
      ...(c.change && { change: c.change }),
      labels: c.labels,
      link: c.link,
      firstSeenAt: a.firstSeenAt,
      ...(a.firedAt !== undefined && { firedAt: a.firedAt }),
      ...(a.escalatedAt !== undefined && { escalatedAt: a.escalatedAt }),
      ...(a.resolvedAt !== undefined && { resolvedAt: a.resolvedAt }),
    },
  };
}

/** The signature header's value for a raw body sent at `unixSeconds`. */
export function signature(secret: string, rawBody: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
