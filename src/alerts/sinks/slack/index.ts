// The Slack sink: an incoming webhook (the URL is the credential: never logged or shown).
import { createPoster } from '../http.ts';
import type { HttpTarget } from '../http.ts';
import type { Sink } from '../../types.ts';
import { slackMessage } from './body.ts';

export interface SlackSinkOptions extends HttpTarget {
  name: string;
  timeoutMs: number;
  sendResolved: boolean;
}

export function createSlackSink(opts: SlackSinkOptions): Sink {
  const poster = createPoster(opts);
  return {
    name: opts.name,
    type: 'slack',
    timeoutMs: opts.timeoutMs,
    sendResolved: opts.sendResolved,
    deliver: (event, signal) => poster.post(JSON.stringify(slackMessage(event)), {}, signal),
    close: () => poster.close(),
  };
}
