// The Alertmanager sink: firing alerts are posted at trigger and re-sent every refreshSeconds (the dispatcher queues
// `refresh` notifications for sinks that declare refreshMs), resolutions are posted with endsAt = now.
import { createPoster } from '../http.ts';
import type { HttpTarget } from '../http.ts';
import type { Sink } from '../../types.ts';
import { postableAlerts } from './body.ts';

export interface AlertmanagerSinkOptions extends HttpTarget {
  name: string;
  timeoutMs: number;
  sendResolved: boolean;
  refreshMs: number;
}

export const alertsEndpoint = (base: string): string => `${base.replace(/\/+$/, '')}/api/v2/alerts`;

export function createAlertmanagerSink(opts: AlertmanagerSinkOptions): Sink {
  const poster = createPoster({ ...opts, url: alertsEndpoint(opts.url) });
  return {
    name: opts.name,
    type: 'alertmanager',
    timeoutMs: opts.timeoutMs,
    sendResolved: opts.sendResolved,
    refreshMs: opts.refreshMs,
    deliver: (event, signal) => poster.post(JSON.stringify(postableAlerts(event, opts.refreshMs)), {}, signal),
    close: () => poster.close(),
  };
}
