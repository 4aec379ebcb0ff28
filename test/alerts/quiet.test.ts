import { describe, expect, it } from 'vitest';
import { SilenceInvalidError } from '../../src/alerts/errors.ts';
import {
  activeMaintenance,
  cronMatchesMinute,
  newSilence,
  quietReason,
  silenceActive,
  windowStart,
} from '../../src/alerts/quiet.ts';
import type { MaintenanceWindow } from '../../src/alerts/quiet.ts';

const NOW = new Date('2026-12-06T02:30:00.000Z'); // a Sunday
const alert = (cluster = 'prod-east', labels: Record<string, string> = { env: 'prod' }) => ({
  cluster,
  code: 'BUCKET_POLICY_DENIES_STS',
  severity: 'critical' as const,
  content: { labels },
});

function invalid(fn: () => unknown): SilenceInvalidError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SilenceInvalidError);
    return err as SilenceInvalidError;
  }
  throw new Error('expected SilenceInvalidError');
}

describe('silences', () => {
  it('match on cluster, code, severity and cluster labels; a regex matches the whole value', () => {
    const s = newSilence(
      {
        matchers: [
          { name: 'cluster', value: 'prod-.*', isRegex: true },
          { name: 'env', value: 'prod' },
        ],
        durationMinutes: 60,
        comment: 'key rotation',
      },
      NOW,
    );
    expect(quietReason(alert(), [s], [], NOW)).toEqual({ kind: 'silence', id: s.id });
    expect(quietReason(alert('prod-east', { env: 'dev' }), [s], [], NOW)).toBeUndefined();
    expect(quietReason(alert('xprod-east'), [s], [], NOW)).toBeUndefined();
    const bySeverity = newSilence(
      { matchers: [{ name: 'severity', value: 'warning' }], durationMinutes: 5, comment: 'x' },
      NOW,
    );
    expect(quietReason(alert(), [bySeverity], [], NOW)).toBeUndefined();
  });

  it('hold until they end, or until expired early', () => {
    const s = newSilence(
      { matchers: [{ name: 'cluster', value: 'prod-east' }], durationMinutes: 60, comment: 'x' },
      NOW,
    );
    expect(s.endsAt).toBe('2026-12-06T03:30:00.000Z');
    expect(silenceActive(s, new Date('2026-12-06T03:29:59.999Z'))).toBe(true);
    expect(silenceActive(s, new Date('2026-12-06T03:30:00.000Z'))).toBe(false);
    expect(silenceActive({ ...s, expiredAt: NOW.toISOString() }, NOW)).toBe(false);
  });

  it('refuse bad input naming the field', () => {
    const ok = { matchers: [{ name: 'cluster', value: 'a' }], durationMinutes: 10, comment: 'why' };
    expect(invalid(() => newSilence({ ...ok, matchers: [] }, NOW)).path).toBe('matchers');
    expect(
      invalid(() => newSilence({ ...ok, matchers: [{ name: 'cluster', value: '(', isRegex: true }] }, NOW)).message,
    ).toMatch(/^matchers\[0\]\.value: is not a valid regular expression/);
    expect(invalid(() => newSilence({ ...ok, matchers: [{ name: 'bad name', value: 'a' }] }, NOW)).path).toBe(
      'matchers[0].name',
    );
    expect(invalid(() => newSilence({ ...ok, comment: ' ' }, NOW)).path).toBe('comment');
    expect(invalid(() => newSilence({ ...ok, endsAt: '2026-12-07T00:00:00Z' }, NOW)).message).toContain(
      'exactly one of',
    );
    const { durationMinutes: _d, ...noDuration } = ok;
    expect(invalid(() => newSilence({ ...noDuration, endsAt: '2026-12-06T01:00:00Z' }, NOW)).message).toBe(
      'endsAt: must be in the future',
    );
    expect(invalid(() => newSilence({ ...noDuration, endsAt: '2027-02-01T00:00:00Z' }, NOW)).message).toBe(
      'endsAt: must end within 30 days',
    );
    expect(invalid(() => newSilence({ ...noDuration, endsAt: 'tomorrow' }, NOW)).code).toBe('SILENCE_INVALID');
  });
});

describe('maintenance windows', () => {
  const sundays: MaintenanceWindow = { name: 'key-rotation', cron: '0 2 * * 0', durationMinutes: 60 };
  const prodOnly: MaintenanceWindow = { ...sundays, name: 'prod', selector: { labels: { env: 'prod' } } };

  it('are active from each cron start for their duration', () => {
    expect(windowStart(sundays, NOW)?.toISOString()).toBe('2026-12-06T02:00:00.000Z');
    expect(windowStart(sundays, new Date('2026-12-06T03:00:00.000Z'))).toBeUndefined();
    expect(windowStart(sundays, new Date('2026-12-06T01:59:59.000Z'))).toBeUndefined();
    expect(windowStart(sundays, new Date('2026-12-07T02:30:00.000Z'))).toBeUndefined(); // a Monday
    expect(activeMaintenance([sundays], NOW)).toEqual([
      { name: 'key-rotation', startedAt: '2026-12-06T02:00:00.000Z', endsAt: '2026-12-06T03:00:00.000Z' },
    ]);
  });

  it('hold the whole fleet, or only the clusters their selector picks', () => {
    const active = activeMaintenance([prodOnly], NOW);
    expect(quietReason(alert(), [], active, NOW)).toEqual({ kind: 'maintenance', name: 'prod' });
    expect(quietReason(alert('dev-1', { env: 'dev' }), [], active, NOW)).toBeUndefined();
    expect(quietReason(alert('dev-1', { env: 'dev' }), [], activeMaintenance([sundays], NOW), NOW)).toEqual({
      kind: 'maintenance',
      name: 'key-rotation',
    });
  });

  it('reads cron as cron does: day of month or day of week when both are given, L the last day', () => {
    expect(cronMatchesMinute('0 2 1 * 1', new Date('2026-12-01T02:00:00Z'))).toBe(true); // the 1st, a Tuesday
    expect(cronMatchesMinute('0 2 1 * 1', new Date('2026-12-07T02:00:00Z'))).toBe(true); // a Monday
    expect(cronMatchesMinute('0 2 1 * 1', new Date('2026-12-08T02:00:00Z'))).toBe(false);
    expect(cronMatchesMinute('30 23 L * *', new Date('2026-02-28T23:30:00Z'))).toBe(true);
    expect(cronMatchesMinute('*/15 * * * *', new Date('2026-02-28T23:31:00Z'))).toBe(false);
  });
});
