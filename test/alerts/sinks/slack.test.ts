// Slack: an incoming-webhook message in Block Kit (header, summary, actor, fix, link button; `text` as fallback),
// within Block Kit's documented limits, posted to a local receiver standing in for hooks.slack.com.
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../src/alerts/sinks/slack/body.ts';
import type { SlackBlock, SlackMessage } from '../../../src/alerts/sinks/slack/body.ts';
import { createSlackSink } from '../../../src/alerts/sinks/slack/index.ts';
import type { AlertEvent } from '../../../src/alerts/types.ts';
import { startReceiver } from '../../helpers/receiver.ts';
import type { Receiver } from '../../helpers/receiver.ts';
import { firingAlert } from '../fixtures.ts';

let slack: Receiver;
afterEach(() => slack.close());

const event = (kind: AlertEvent['kind'] = 'trigger', summary?: string): AlertEvent => {
  const alert = firingAlert();
  return {
    kind,
    id: 'x',
    alert: summary ? { ...alert, content: { ...alert.content, summary } } : alert,
    sentAt: new Date().toISOString(),
  };
};

async function post(e: AlertEvent): Promise<SlackMessage> {
  slack = await startReceiver(() => ({ status: 200, body: 'ok' }));
  const sink = createSlackSink({
    name: 'slack',
    url: `${slack.url}/services/T000/B000/XXXX`,
    timeoutMs: 5000,
    sendResolved: true,
  });
  expect((await sink.deliver(e, AbortSignal.timeout(5000))).ok).toBe(true);
  await sink.close?.();
  expect(slack.received[0]!.path).toBe('/services/T000/B000/XXXX');
  return slack.json<SlackMessage>(0);
}

/** Every text of the message, with the limit of its place. */
function texts(blocks: SlackBlock[]): [string, number][] {
  return blocks.flatMap((b): [string, number][] => {
    if (b.type === 'header') return [[b.text.text, LIMITS.header]];
    if (b.type === 'section')
      return [
        ...(b.text ? [[b.text.text, LIMITS.section] as [string, number]] : []),
        ...(b.fields ?? []).map((f): [string, number] => [f.text, LIMITS.field]),
      ];
    if (b.type === 'context') return b.elements.map((e): [string, number] => [e.text, LIMITS.field]);
    return b.elements.map((e): [string, number] => [e.text.text, LIMITS.button]);
  });
}

describe('the Slack sink', () => {
  it('a header with cluster and cause, the summary, the actor, the fix and a button to the cluster page; text as fallback', async () => {
    const msg = await post(event());
    expect(msg.text).toMatch(/^Firing: prod-east: The OIDC bucket policy denies STS: Every role \(7\)/);
    expect(msg.text).toContain('(changed by arn:aws:iam::111122223333:user/alice)');
    const [header, summary, fields, fix, context, actions] = msg.blocks;
    expect(header).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: ':red_circle: Firing: prod-east: The OIDC bucket policy denies STS',
        emoji: true,
      },
    });
    expect(summary).toMatchObject({
      type: 'section',
      text: { type: 'mrkdwn', text: expect.stringContaining('Access-to-specific-VPCE-only') },
    });
    expect(fields).toMatchObject({
      type: 'section',
      fields: expect.arrayContaining([{ type: 'mrkdwn', text: '*Changed by*\narn:aws:iam::111122223333:user/alice' }]),
    });
    expect(fix).toMatchObject({
      type: 'section',
      text: { type: 'mrkdwn', text: expect.stringMatching(/^\*Fix\*\nSTS reads/) },
    });
    expect(context).toMatchObject({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: expect.stringContaining('env=prod') }],
    });
    expect(actions).toEqual({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open the cluster' },
          url: 'http://127.0.0.1:8080/clusters/prod-east',
          action_id: 'open-cluster',
        },
      ],
    });
    for (const [text, max] of texts(msg.blocks)) expect(text.length).toBeLessThanOrEqual(max);
  });

  it('keeps every text within Block Kit limits and escapes mrkdwn markup', async () => {
    const msg = await post(event('trigger', `<!channel> & ${'x'.repeat(5000)}`));
    for (const [text, max] of texts(msg.blocks)) expect(text.length).toBeLessThanOrEqual(max);
    const summary = msg.blocks[1] as { text: { text: string } };
    expect(summary.text.text.startsWith('&lt;!channel&gt; &amp; xxx')).toBe(true);
    expect(summary.text.text.endsWith('…')).toBe(true);
    expect(msg.text.length).toBeLessThanOrEqual(LIMITS.section);
  });

  it('a resolution says so, without the fix', async () => {
    const e = event('resolve');
    e.alert = { ...e.alert, state: 'resolved', resolvedAt: '2026-12-06T10:05:00.000Z' };
    const msg = await post(e);
    expect(msg.blocks[0]).toMatchObject({
      text: { text: ':white_check_mark: Resolved: prod-east: The OIDC bucket policy denies STS' },
    });
    expect(JSON.stringify(msg.blocks)).not.toContain('*Fix*');
    expect(msg.text).toMatch(/^Resolved: prod-east/);
  });

  it('an escalation (a firing warning become critical) says so', async () => {
    const e = event('trigger');
    e.alert = { ...e.alert, severity: 'critical', escalatedAt: '2026-12-06T10:03:00.000Z' };
    const msg = await post(e);
    expect(msg.blocks[0]).toMatchObject({
      text: { text: ':red_circle: Escalated: prod-east: The OIDC bucket policy denies STS' },
    });
    expect(msg.text).toMatch(/^Escalated: prod-east/);
  });
});
