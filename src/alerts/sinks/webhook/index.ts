// The generic webhook sink: POST of the versioned JSON body (body.ts), optionally signed with HMAC-SHA256.
import { createPoster } from '../http.ts';
import type { HttpTarget } from '../http.ts';
import type { Sink } from '../../types.ts';
import { SIGNATURE_HEADER, signature, webhookBody } from './body.ts';

export interface WebhookSinkOptions extends HttpTarget {
  name: string;
  timeoutMs: number;
  sendResolved: boolean;
  /** HMAC key of the signature header; none: unsigned. */
  secret?: string;
}

export function createWebhookSink(opts: WebhookSinkOptions): Sink {
  const poster = createPoster(opts);
  return {
    name: opts.name,
    type: 'webhook',
    timeoutMs: opts.timeoutMs,
    sendResolved: opts.sendResolved,
    deliver(event, signal) {
      const raw = JSON.stringify(webhookBody(event));
      const headers: Record<string, string> = { 'x-irsa-sentinel-event': event.kind, 'idempotency-key': event.id };
      if (opts.secret !== undefined)
        headers[SIGNATURE_HEADER] = signature(opts.secret, raw, Math.floor(Date.parse(event.sentAt) / 1000));
      return poster.post(raw, headers, signal);
    },
    close: () => poster.close(),
  };
}
