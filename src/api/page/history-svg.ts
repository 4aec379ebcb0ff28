// The history strip of a probe: its runs over the last 24 h as one small inline SVG (no script, no request; allowed
// by the page's CSP). Each run is drawn from its start until the next run, or for 1.5 periods when the next is
// late, so a gap is a time when nothing ran; neighbouring runs of the same status are one rect, with a <title> that
// says when, how many runs and which findings. Colours come from the stylesheet (classes), so dark mode applies.
import { STATUSES } from '../../core/model.ts';
import type { ProbeName, ProbeResult, Status } from '../../core/model.ts';
import { markWord, plural, timestamp } from './format.ts';
import { markup } from './markup.ts';
import type { Html } from './markup.ts';

export const HISTORY_WINDOW_MS = 24 * 3_600_000;
/** Most runs a strip reads (the store's cap per query). */
export const HISTORY_MAX_RUNS = 1000;

const WIDTH = 1000;
const HEIGHT = 20;
/** The narrowest rect, in viewBox units (0.3 % of the width): one failed run among many stays visible. */
const MIN_WIDTH = 3;
/** Without a known period: how long a lone run counts for. */
const DEFAULT_COVER_MS = 60_000;

/** How many runs to read for a strip: a day's worth at the schedule's period (and some), at most the store's cap. */
export function runsFor(periodMs: number | undefined): number {
  if (periodMs === undefined || periodMs <= 0) return HISTORY_MAX_RUNS;
  return Math.min(HISTORY_MAX_RUNS, Math.ceil(HISTORY_WINDOW_MS / periodMs) + 5);
}

interface Segment {
  status: Status;
  from: number;
  to: number;
  runs: number;
  codes: Set<string>;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The strip's segments: runs (oldest first) drawn until the next, at most `cover` long, merged by status. */
export function segments(runs: readonly ProbeResult[], now: Date, periodMs?: number): Segment[] {
  const end = now.getTime();
  const start = end - HISTORY_WINDOW_MS;
  const times = runs
    .map((r) => ({ r, t: Date.parse(r.startedAt) }))
    .filter(({ t }) => !Number.isNaN(t) && t <= end)
    .sort((a, b) => a.t - b.t);
  const gaps = times.slice(1).map(({ t }, i) => t - times[i]!.t);
  const cover = 1.5 * (periodMs ?? median(gaps) ?? DEFAULT_COVER_MS / 1.5);
  const out: Segment[] = [];
  times.forEach(({ r, t }, i) => {
    const next = times[i + 1]?.t ?? end;
    const from = Math.max(t, start);
    const to = Math.min(next, t + cover, end);
    if (to < start) return;
    const codes = r.findings.filter((f) => f.severity !== 'info').map((f) => f.code);
    const last = out.at(-1);
    if (last && last.status === r.status && from - last.to <= 1) {
      last.to = Math.max(last.to, to);
      last.runs++;
      for (const c of codes) last.codes.add(c);
      return;
    }
    out.push({ status: r.status, from, to: Math.max(to, from), runs: 1, codes: new Set(codes) });
  });
  return out;
}

const hhmm = (ms: number): string => timestamp(new Date(ms).toISOString()).slice(11, 16);

function tooltip(s: Segment): string {
  const codes = [...s.codes];
  const shown = codes.slice(0, 4).join(', ') + (codes.length > 4 ? `, +${codes.length - 4}` : '');
  return `${markWord(s.status)} ${hhmm(s.from)}–${hhmm(s.to)} UTC, ${plural(s.runs, 'run')}${codes.length > 0 ? `: ${shown}` : ''}`;
}

export interface StripOptions {
  now: Date;
  periodMs?: number;
  /** The read hit its cap: runs before the oldest one read are not drawn. */
  capped: boolean;
}

/** The probe's strip with a time axis and a one-line account under it. */
export function historyStrip(probe: ProbeName, runs: readonly ProbeResult[], opts: StripOptions): Html {
  const { now } = opts;
  const start = now.getTime() - HISTORY_WINDOW_MS;
  const inWindow = runs.filter((r) => Date.parse(r.startedAt) >= start);
  const segs = segments(runs, now, opts.periodMs);
  const x = (ms: number) => ((ms - start) / HISTORY_WINDOW_MS) * WIDTH;
  const rects = segs.map((s) => {
    const left = Math.min(x(s.from), WIDTH - MIN_WIDTH);
    const w = Math.max(x(s.to) - x(s.from), MIN_WIDTH);
    return markup`<rect class="h-${s.status}" x="${left.toFixed(1)}" y="2" width="${w.toFixed(1)}" height="${HEIGHT - 4}"><title>${tooltip(s)}</title></rect>`;
  });
  const ticks = [6, 12, 18].map((h) => {
    const tx = (WIDTH * h) / 24;
    return markup`<line class="tick" x1="${tx}" x2="${tx}" y1="0" y2="${HEIGHT}" vector-effect="non-scaling-stroke"></line>`;
  });
  const byStatus = STATUSES.map((st) => [st, inWindow.filter((r) => r.status === st).length] as const).filter(
    ([, n]) => n > 0,
  );
  const account =
    inWindow.length === 0
      ? 'no runs in the last 24 h'
      : `${plural(inWindow.length, 'run')} in 24 h: ${byStatus.map(([st, n]) => `${n} ${st}`).join(', ')}`;
  const capNote = opts.capped ? ` (the newest ${runs.length} drawn; earlier runs of the window are left out)` : '';
  const oldest = opts.capped ? runs.reduce((m, r) => Math.min(m, Date.parse(r.startedAt)), Infinity) : undefined;
  const capRect =
    oldest !== undefined && oldest > start
      ? markup`<rect class="h-capped" x="0" y="2" width="${x(oldest).toFixed(1)}" height="${HEIGHT - 4}"><title>earlier runs not read</title></rect>`
      : '';
  return markup`<figure class="history">
<svg class="strip" viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${probe}, last 24 h: ${account}"><rect class="track" x="0" y="0" width="${WIDTH}" height="${HEIGHT}"></rect>${capRect}${ticks}${rects}</svg>
<div class="axis" aria-hidden="true"><span>24 h ago</span><span>18 h</span><span>12 h</span><span>6 h</span><span>now</span></div>
<figcaption>${account}${capNote}</figcaption>
</figure>`;
}
