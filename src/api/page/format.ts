// Small formatters the page's modules share: ages, times, durations, status marks. Times are shown in UTC and say
// so: the server cannot know the reader's zone, and the API's times are UTC too.
import type { Status } from '../../core/model.ts';
import { markup } from './markup.ts';
import type { Html } from './markup.ts';

/** What the page shows for a probe or a cluster: a status, or stale (no report for 3 periods). */
export type Mark = Status | 'stale';

/** Worst first, as the fleet is sorted: fail, warn, unknown, ok. */
export const STATUS_ORDER: readonly Status[] = ['fail', 'warn', 'unknown', 'ok'];

const WORD: Record<Mark, string> = { fail: 'FAIL', warn: 'WARN', unknown: 'UNKNOWN', ok: 'OK', stale: 'STALE' };
const MEANING: Record<Mark, string> = {
  fail: 'failing: a link of the chain is broken',
  warn: 'warning: works now, but something needs attention',
  unknown: 'unknown: could not be decided (no permission, throttled, dependency down) or not checked yet',
  ok: 'ok: every checked link works',
  stale: 'stale: a probe has not reported for 3 of its periods',
};

export const markWord = (m: Mark): string => WORD[m];
export const markMeaning = (m: Mark): string => MEANING[m];

/**
 * The status mark: the word, coloured by its class, with a symbol before it from the stylesheet (a shape besides the
 * colour: ✗ fail, ▲ warn, ? unknown, ✓ ok, ◷ stale). With `explain`, the meaning in its title.
 */
export const statusMark = (m: Mark, opts: { small?: boolean; explain?: boolean } = {}): Html =>
  markup`<span class="mark m-${m}${opts.small ? ' small' : ''}"${opts.explain ? markup` title="${MEANING[m]}"` : ''}>${WORD[m]}</span>`;

/** "12 s", "4 min", "3 h 5 min", "2 d 4 h": how long `ms` is, coarse. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** "12 min ago" for an age in ms ("just now" under a second; "in 3 s" for a time ahead of the clock). */
export function agoMs(ms: number): string {
  if (Number.isNaN(ms)) return 'at an unknown time';
  if (ms < -1000) return `in ${duration(-ms)}`;
  if (ms < 1000) return 'just now';
  return `${duration(ms)} ago`;
}

/** "12 min ago" for an ISO time. */
export const ago = (iso: string, now: Date): string => agoMs(now.getTime() - Date.parse(iso));

/** A run's duration: "420 ms", "3.1 s". */
export function runDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** "14:02:11 UTC". */
export function clock(d: Date): string {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** "2026-12-02 14:02:11 UTC"; the ISO text itself when it does not parse. */
export function timestamp(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${clock(d)}`;
}

/** A <time> element: the UTC timestamp and, after it, how long ago. */
export const timeAgo = (iso: string, now: Date): Html =>
  markup`<time datetime="${iso}" title="${timestamp(iso)}">${ago(iso, now)}</time>`;

/** "env=prod" per label, sorted by key. */
export const labelPairs = (labels: Readonly<Record<string, string>>): string[] =>
  Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);

/** "1 cluster", "3 clusters". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
