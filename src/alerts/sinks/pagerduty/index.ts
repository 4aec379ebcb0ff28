// The PagerDuty sink (Events API v2). The routing key travels in the body and is never logged. A test event is
// triggered and resolved at once, so `test-alert` leaves no open incident.
import { createPoster } from '../http.ts';
import type { HttpTarget } from '../http.ts';
import type { Sink } from '../../types.ts';
import { pagerDutyEvent } from './body.ts';

export interface PagerDutySinkOptions extends HttpTarget {
  name: string;
  timeoutMs: number;
  sendResolved: boolean;
  routingKey: string;
}

export function createPagerDutySink(opts: PagerDutySinkOptions): Sink {
  const poster = createPoster(opts);
  return {
    name: opts.name,
    type: 'pagerduty',
    timeoutMs: opts.timeoutMs,
    sendResolved: opts.sendResolved,
    async deliver(event, signal) {
      const outcome = await poster.post(JSON.stringify(pagerDutyEvent(event, opts.routingKey)), {}, signal);
      if (event.kind !== 'test' || !outcome.ok) return outcome;
      const resolve = { ...event, kind: 'resolve' as const };
      const body = {
        ...pagerDutyEvent(resolve, opts.routingKey),
        dedup_key: pagerDutyEvent(event, opts.routingKey).dedup_key,
      };
      const closed = await poster.post(JSON.stringify(body), {}, signal);
      return closed.ok ? outcome : closed;
    },
    close: () => poster.close(),
  };
}
