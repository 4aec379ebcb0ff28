// The sink registry: a configured sink to a Sink of its type. One folder per type; each has its body builder.
import type { SinkConfig } from '../../config/types.ts';
import { SinkUnavailableError } from '../errors.ts';
import type { Sink } from '../types.ts';
import { createAlertmanagerSink } from './alertmanager/index.ts';
import { createPagerDutySink } from './pagerduty/index.ts';
import { createSlackSink } from './slack/index.ts';
import { createWebhookSink } from './webhook/index.ts';

export function createSink(config: SinkConfig, defaults: { sendResolved: boolean }): Sink {
  if (!/^https?:\/\//.test(config.url))
    throw new SinkUnavailableError(
      config.name,
      'its URL is not an http(s) URL here (lab:receiver works only under serve with lab:)',
    );
  const common = {
    name: config.name,
    url: config.url,
    timeoutMs: config.timeoutMs,
    sendResolved: config.sendResolved ?? defaults.sendResolved,
    ...(config.caPem !== undefined && { caPem: config.caPem }),
    ...(config.headers !== undefined && { headers: config.headers }),
  };
  switch (config.type) {
    case 'webhook':
      return createWebhookSink({ ...common, ...(config.secret !== undefined && { secret: config.secret }) });
    case 'slack':
      return createSlackSink(common);
    case 'pagerduty':
      return createPagerDutySink({ ...common, routingKey: config.routingKey ?? '' });
    case 'alertmanager':
      return createAlertmanagerSink({ ...common, refreshMs: config.refreshSeconds * 1000 });
  }
}
