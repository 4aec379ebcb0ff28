// Quiet when asked: silences (through the API: matchers, an expiry, a comment) and maintenance windows (from the
// config: a cron start and a duration, fleet-wide or for the clusters a label selector picks). While one applies to an
// alert its notifications are held, not dropped: probes run and results are kept, and what is still firing when the
// quiet ends is delivered then (dispatcher.ts releases them).
import { randomUUID } from 'node:crypto';
import cron from 'node-cron';
import { SilenceInvalidError } from './errors.ts';
import type { Alert, Matcher, Silence } from './types.ts';

export interface MaintenanceWindow {
  name: string;
  /** node-cron expression (UTC) of each window's start, minute resolution. */
  cron: string;
  durationMinutes: number;
  /** Only clusters with all these labels; absent: the whole fleet. */
  selector?: { labels: Record<string, string> };
}

export interface ActiveMaintenance {
  name: string;
  startedAt: string;
  endsAt: string;
  /** The labels it applies to; absent: the whole fleet. */
  labels?: Record<string, string>;
}

export type QuietReason = { kind: 'silence'; id: string } | { kind: 'maintenance'; name: string };

/** What silences and windows look at: an alert's identity and its cluster's labels. */
export type Labelled = Pick<Alert, 'cluster' | 'code' | 'severity'> & { content: Pick<Alert['content'], 'labels'> };

/** The labels silences match: the cluster's labels, then cluster, code and severity (which win). */
export const alertLabels = (alert: Labelled): Record<string, string> => ({
  ...alert.content.labels,
  cluster: alert.cluster,
  code: alert.code,
  severity: alert.severity,
});

/** A regex matcher matches the whole value, as Alertmanager's do. */
export function matcherMatches(m: Matcher, labels: Record<string, string>): boolean {
  const value = labels[m.name] ?? '';
  return m.isRegex ? new RegExp(`^(?:${m.value})$`).test(value) : value === m.value;
}

export const silenceActive = (s: Silence, now: Date): boolean =>
  s.expiredAt === undefined && Date.parse(s.startsAt) <= now.getTime() && now.getTime() < Date.parse(s.endsAt);

export const silenceMatches = (s: Silence, labels: Record<string, string>): boolean =>
  s.matchers.every((m) => matcherMatches(m, labels));

type Fields = ReturnType<typeof cron.parse>;
const fieldsCache = new Map<string, Fields>();

function fieldsOf(expression: string): Fields {
  let f = fieldsCache.get(expression);
  if (!f) fieldsCache.set(expression, (f = cron.parse(expression)));
  return f;
}

const lastDayOfMonth = (d: Date): number => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();

function dayMatches(list: (number | string)[], value: number, d: Date): boolean {
  return list.some((x) => x === value || (x === 'L' && value === lastDayOfMonth(d)));
}

/** Whether a cron expression fires in the UTC minute of `d` (standard cron: day of month OR day of week when both set). */
export function cronMatchesMinute(expression: string, d: Date): boolean {
  const f = fieldsOf(expression);
  if (!f.minute.includes(d.getUTCMinutes()) || !f.hour.includes(d.getUTCHours())) return false;
  if (!f.month.includes(d.getUTCMonth() + 1)) return false;
  const domRestricted = f.dayOfMonth.length < 31 || f.dayOfMonth.some((x) => typeof x === 'string');
  const dowRestricted = f.dayOfWeek.length < 7 || f.dayOfWeek.some((x) => typeof x === 'string');
  const dom = dayMatches(f.dayOfMonth, d.getUTCDate(), d);
  const dow = dayMatches(f.dayOfWeek, d.getUTCDay(), d) || (d.getUTCDay() === 0 && f.dayOfWeek.includes(7));
  return domRestricted && dowRestricted ? dom || dow : dom && dow;
}

const MINUTE_MS = 60_000;

/** The start of the window of `w` that covers `now`, if one does: the latest cron minute within its duration. */
export function windowStart(w: MaintenanceWindow, now: Date): Date | undefined {
  const minute = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  for (let m = 0; m * MINUTE_MS < w.durationMinutes * MINUTE_MS; m++) {
    const t = new Date(minute - m * MINUTE_MS);
    if (cronMatchesMinute(w.cron, t))
      return now.getTime() < t.getTime() + w.durationMinutes * MINUTE_MS ? t : undefined;
  }
  return undefined;
}

export function activeMaintenance(windows: readonly MaintenanceWindow[], now: Date): ActiveMaintenance[] {
  return windows.flatMap((w) => {
    const start = windowStart(w, now);
    if (!start) return [];
    return [
      {
        name: w.name,
        startedAt: start.toISOString(),
        endsAt: new Date(start.getTime() + w.durationMinutes * MINUTE_MS).toISOString(),
        ...(w.selector && { labels: w.selector.labels }),
      },
    ];
  });
}

/**
 * The windows in force at `now` or starting within `horizonMs` after it (summary.json's scheduled maintenances), each
 * with its current or next start; minute resolution.
 */
export function upcomingMaintenance(
  windows: readonly MaintenanceWindow[],
  now: Date,
  horizonMs = 24 * 3_600_000,
): ActiveMaintenance[] {
  const active = activeMaintenance(windows, now);
  const first = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const next = windows
    .filter((w) => !active.some((a) => a.name === w.name))
    .flatMap((w) => {
      for (let t = first; t <= now.getTime() + horizonMs; t += MINUTE_MS) {
        if (!cronMatchesMinute(w.cron, new Date(t))) continue;
        return [
          {
            name: w.name,
            startedAt: new Date(t).toISOString(),
            endsAt: new Date(t + w.durationMinutes * MINUTE_MS).toISOString(),
            ...(w.selector && { labels: w.selector.labels }),
          },
        ];
      }
      return [];
    });
  return [...active, ...next].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

const selects = (labels: Record<string, string> | undefined, clusterLabels: Record<string, string>): boolean =>
  Object.entries(labels ?? {}).every(([k, v]) => clusterLabels[k] === v);

/** Why an alert's notifications are held now, or undefined. */
export function quietReason(
  alert: Labelled,
  silences: readonly Silence[],
  maintenance: readonly ActiveMaintenance[],
  now: Date,
): QuietReason | undefined {
  const labels = alertLabels(alert);
  const silence = silences.find((s) => silenceActive(s, now) && silenceMatches(s, labels));
  if (silence) return { kind: 'silence', id: silence.id };
  const window = maintenance.find((m) => selects(m.labels, alert.content.labels));
  return window && { kind: 'maintenance', name: window.name };
}

/** What POST /api/v1/silences takes. */
export interface SilenceInput {
  matchers: Matcher[];
  endsAt?: string;
  durationMinutes?: number;
  comment: string;
  createdBy?: string;
}

export const SILENCE_MAX_DAYS = 30;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A checked silence, starting now; SilenceInvalidError names the field and the problem. */
export function newSilence(input: SilenceInput, now: Date): Silence {
  if (!Array.isArray(input.matchers) || input.matchers.length === 0)
    throw new SilenceInvalidError(
      'matchers',
      'at least one matcher is required (e.g. {"name":"cluster","value":"prod-east"})',
    );
  input.matchers.forEach((m, i) => {
    if (!LABEL_NAME.test(m.name)) throw new SilenceInvalidError(`matchers[${i}].name`, 'must be a label name');
    if (m.isRegex) {
      try {
        new RegExp(m.value);
      } catch (err) {
        throw new SilenceInvalidError(
          `matchers[${i}].value`,
          `is not a valid regular expression (${(err as Error).message})`,
        );
      }
    }
  });
  if (typeof input.comment !== 'string' || input.comment.trim() === '')
    throw new SilenceInvalidError('comment', 'is required: say why notifications are held');
  if ((input.endsAt === undefined) === (input.durationMinutes === undefined))
    throw new SilenceInvalidError('endsAt', 'give exactly one of endsAt and durationMinutes');
  const ends =
    input.endsAt !== undefined ? Date.parse(input.endsAt) : now.getTime() + (input.durationMinutes ?? 0) * MINUTE_MS;
  const where = input.endsAt !== undefined ? 'endsAt' : 'durationMinutes';
  if (Number.isNaN(ends)) throw new SilenceInvalidError('endsAt', 'is not an ISO 8601 time');
  if (ends <= now.getTime()) throw new SilenceInvalidError(where, 'must be in the future');
  if (ends - now.getTime() > SILENCE_MAX_DAYS * 24 * 60 * MINUTE_MS)
    throw new SilenceInvalidError(where, `must end within ${SILENCE_MAX_DAYS} days`);
  return {
    id: randomUUID(),
    matchers: input.matchers.map((m) => ({ name: m.name, value: m.value, ...(m.isRegex && { isRegex: true }) })),
    startsAt: now.toISOString(),
    endsAt: new Date(ends).toISOString(),
    comment: input.comment.trim(),
    createdBy: input.createdBy?.trim() || 'api',
    createdAt: now.toISOString(),
  };
}
