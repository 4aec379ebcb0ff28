// summary.json's scheduled maintenances: the windows in force at `now` (with the start of the one in force) and those
// starting within the horizon (a day by default), each from its cron start (UTC, minute resolution) plus its duration,
// soonest first.
import { describe, expect, it } from 'vitest';
import { upcomingMaintenance } from '../../src/alerts/quiet.ts';
import type { MaintenanceWindow } from '../../src/alerts/quiet.ts';

const NOW = new Date('2026-12-06T02:30:00.000Z'); // a Sunday
const MIN = 60_000;
const HOUR = 60 * MIN;

const window = (name: string, cron: string, durationMinutes: number, labels?: Record<string, string>) =>
  ({ name, cron, durationMinutes, ...(labels && { selector: { labels } }) }) satisfies MaintenanceWindow;

const names = (list: { name: string }[]) => list.map((w) => w.name);

describe('upcomingMaintenance', () => {
  it('a window in force: its current start and end, not its next one', () => {
    expect(upcomingMaintenance([window('key-rotation', '0 2 * * 0', 60)], NOW)).toEqual([
      { name: 'key-rotation', startedAt: '2026-12-06T02:00:00.000Z', endsAt: '2026-12-06T03:00:00.000Z' },
    ]);
  });

  it('a window starting later within the day: its next start plus its duration', () => {
    expect(upcomingMaintenance([window('nightly', '0 4 * * *', 30)], NOW)).toEqual([
      { name: 'nightly', startedAt: '2026-12-06T04:00:00.000Z', endsAt: '2026-12-06T04:30:00.000Z' },
    ]);
  });

  it('a window that just ended: its next start (tomorrow), within the day', () => {
    expect(upcomingMaintenance([window('early', '0 1 * * *', 60)], NOW)).toEqual([
      { name: 'early', startedAt: '2026-12-07T01:00:00.000Z', endsAt: '2026-12-07T02:00:00.000Z' },
    ]);
  });

  it('beyond the horizon: left out; a longer horizon finds it', () => {
    const wednesday = window('wednesday', '0 1 * * 3', 120);
    expect(upcomingMaintenance([wednesday], NOW)).toEqual([]);
    expect(upcomingMaintenance([wednesday], NOW, 4 * 24 * HOUR)).toEqual([
      { name: 'wednesday', startedAt: '2026-12-09T01:00:00.000Z', endsAt: '2026-12-09T03:00:00.000Z' },
    ]);
  });

  it('the horizon is inclusive, to the minute', () => {
    const at4 = window('at-four', '0 4 * * *', 10);
    expect(names(upcomingMaintenance([at4], NOW, 90 * MIN))).toEqual(['at-four']);
    expect(names(upcomingMaintenance([at4], NOW, 89 * MIN))).toEqual([]);
  });

  it('within the current minute: a window that started this minute is in force; the next minute is upcoming', () => {
    const now = new Date('2026-12-06T02:30:30.000Z');
    expect(
      upcomingMaintenance([window('this-minute', '30 2 * * *', 1), window('next-minute', '31 2 * * *', 5)], now),
    ).toEqual([
      { name: 'this-minute', startedAt: '2026-12-06T02:30:00.000Z', endsAt: '2026-12-06T02:31:00.000Z' },
      { name: 'next-minute', startedAt: '2026-12-06T02:31:00.000Z', endsAt: '2026-12-06T02:36:00.000Z' },
    ]);
  });

  it('soonest first, with the label selector of each, and each window once', () => {
    const list = upcomingMaintenance(
      [
        window('nightly', '0 4 * * *', 30, { env: 'prod' }),
        window('hourly', '0 * * * *', 5),
        window('key-rotation', '0 2 * * 0', 60, { env: 'prod', team: 'platform' }),
        window('never-soon', '0 0 1 1 *', 60),
      ],
      NOW,
    );
    expect(list).toEqual([
      {
        name: 'key-rotation',
        startedAt: '2026-12-06T02:00:00.000Z',
        endsAt: '2026-12-06T03:00:00.000Z',
        labels: { env: 'prod', team: 'platform' },
      },
      { name: 'hourly', startedAt: '2026-12-06T03:00:00.000Z', endsAt: '2026-12-06T03:05:00.000Z' },
      {
        name: 'nightly',
        startedAt: '2026-12-06T04:00:00.000Z',
        endsAt: '2026-12-06T04:30:00.000Z',
        labels: { env: 'prod' },
      },
    ]);
  });

  it('no windows: none', () => {
    expect(upcomingMaintenance([], NOW)).toEqual([]);
  });
});
