// A Slack incoming-webhook message in Block Kit: a header (cluster and cause), the summary, the actor and time of the
// change, the fix, the cluster's labels and a button to its page; `text` is the fallback Slack shows in
// notifications when blocks are given. Limits from Slack's Block Kit reference
// (https://api.slack.com/reference/block-kit/blocks): header plain_text at most 150 characters, section text at most
// 3000, at most 10 section fields of at most 2000 each, button text at most 75 and its url at most 3000; mrkdwn
// treats &, < and > as markup, so they are escaped.
import type { AlertEvent } from '../../types.ts';

export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'actions'; elements: { type: 'button'; text: SlackText; url: string; action_id: string }[] };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export const LIMITS = { header: 150, section: 3000, field: 2000, fields: 10, button: 75, url: 3000 } as const;

export const cut = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
export const escapeMrkdwn = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const md = (text: string, max: number = LIMITS.section): SlackText => ({ type: 'mrkdwn', text: cut(text, max) });

const ICON: Record<string, string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  resolve: ':white_check_mark:',
  test: ':test_tube:',
};

export function slackMessage(event: AlertEvent): SlackMessage {
  const a = event.alert;
  const c = a.content;
  const resolved = event.kind === 'resolve';
  const state = resolved
    ? 'Resolved'
    : event.kind === 'test'
      ? 'Test'
      : event.kind === 'reminder'
        ? 'Still firing'
        : event.kind === 'trigger' && a.escalatedAt !== undefined
          ? 'Escalated'
          : 'Firing';
  const icon = ICON[resolved ? 'resolve' : event.kind === 'test' ? 'test' : a.severity] ?? '';
  const headline = `${a.cluster}: ${c.title}`;
  const fields: SlackText[] = [
    md(`*Status*\n${state} (${a.severity})`, LIMITS.field),
    md(`*Cause*\n\`${escapeMrkdwn(a.code)}\``, LIMITS.field),
  ];
  if (c.change) {
    fields.push(md(`*Changed by*\n${escapeMrkdwn(c.change.actor)}`, LIMITS.field));
    if (c.change.at) fields.push(md(`*When*\n${escapeMrkdwn(c.change.at)}`, LIMITS.field));
    if (c.change.statement) fields.push(md(`*Statement*\n\`${escapeMrkdwn(c.change.statement)}\``, LIMITS.field));
  }
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: cut(`${icon} ${state}: ${headline}`.trim(), LIMITS.header), emoji: true },
    },
    { type: 'section', text: md(escapeMrkdwn(c.summary)) },
    { type: 'section', fields: fields.slice(0, LIMITS.fields) },
  ];
  if (!resolved && c.remediation) blocks.push({ type: 'section', text: md(`*Fix*\n${escapeMrkdwn(c.remediation)}`) });
  const labels = Object.entries(c.labels).map(([k, v]) => `${k}=${v}`);
  const since = resolved ? `resolved ${a.resolvedAt ?? event.sentAt}` : `since ${a.firedAt ?? a.firstSeenAt}`;
  blocks.push({
    type: 'context',
    elements: [md(escapeMrkdwn([`irsa-sentinel`, since, ...labels].join(' · ')), LIMITS.field)],
  });
  if (c.link.length <= LIMITS.url)
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open the cluster' },
          url: c.link,
          action_id: 'open-cluster',
        },
      ],
    });
  const actor = c.change ? ` (changed by ${c.change.actor})` : '';
  return { text: cut(`${state}: ${headline}: ${c.summary}${resolved ? '' : actor}`, LIMITS.section), blocks };
}
