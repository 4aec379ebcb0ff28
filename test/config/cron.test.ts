// Cron expressions of the config file (src/config/cron.ts): node-cron's grammar, and no step wider than what it steps
// over (node-cron takes `*/61 * * * *` and runs it at minute 0 only). Every cron field of the schema uses the check, and
// the error names the file and the key path.
import fc from 'fast-check';
import { validateDetailed } from 'node-cron';
import { describe, expect, it } from 'vitest';
import { cronProblem } from '../../src/config/cron.ts';
import { ONE_CLUSTER, textError } from './temp-config.ts';

describe('cronProblem', () => {
  it.each([
    '* * * * *',
    '*/1 * * * *',
    '*/59 * * * *',
    '*/30 * * * * *',
    '0 */23 * * *',
    '0 0 */30 * *',
    '0 0 1 */11 *',
    '0 0 * * */6',
    '0 22-2/4 * * *',
    '5-10/5 * * * *',
    '0 9 * * MON-FRI',
    '0 0 1 JAN-DEC/11 *',
    '@hourly',
    '0 0 * * 7',
  ])('takes %s', (expression) => expect(cronProblem(expression)).toBeUndefined());

  it.each([
    ['*/61 * * * *', 'the step /61 in the minutes field (*/61) is larger than its range 0-59'],
    ['*/60 * * * *', 'the step /60 in the minutes field (*/60) is larger than its range 0-59'],
    ['*/61 * * * * *', 'the step /61 in the seconds field'],
    ['0 */24 * * *', 'the step /24 in the hours field (*/24) is larger than its range 0-23'],
    ['0 0 */31 * *', 'the step /31 in the day of month field'],
    ['0 0 1 */12 *', 'the step /12 in the month field'],
    ['0 0 * * */7', 'the step /7 in the day of week field (*/7) is larger than its range 0-6'],
    ['5-10/6 * * * *', 'the step /6 in the minutes field (5-10/6) is larger than its range 5-10'],
    ['0 0 1 JAN-MAR/3 *', 'the step /3 in the month field (JAN-MAR/3)'],
    ['1,*/90 * * * *', 'the step /90'],
  ])('refuses %s: %s', (expression, message) => {
    expect(cronProblem(expression)).toBe(
      `is not a usable cron expression: ${cronProblem(expression)?.split(': ').slice(1).join(': ')}`,
    );
    expect(cronProblem(expression)).toContain(message);
    expect(cronProblem(expression)).toContain('it would select only its first value');
  });

  it.each([
    ['*/0 * * * *', /^is not a valid cron expression .*: \*\/0 is an invalid expression for minute$/],
    ['61 * * * *', /61 is an invalid expression for minute/],
    ['* * *', /expected 5 or 6 fields but got 3/],
    ['every minute', /^is not a valid cron expression/],
  ])('refuses %s as node-cron does', (expression, message) => expect(cronProblem(expression)).toMatch(message));

  it('refuses a step exactly when node-cron would select a single value with it (fast-check, seed 13)', () => {
    const fields = [
      { at: 0, min: 0, max: 59 },
      { at: 1, min: 0, max: 59 },
      { at: 2, min: 0, max: 23 },
      { at: 3, min: 1, max: 31 },
      { at: 4, min: 1, max: 12 },
      { at: 5, min: 0, max: 6 },
    ];
    const keys = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const;
    const stepped = fc.constantFrom(...fields).chain((f) =>
      fc.record({
        f: fc.constant(f),
        range: fc.oneof(
          fc.constant('*'),
          fc
            .tuple(fc.integer({ min: f.min, max: f.max }), fc.integer({ min: f.min, max: f.max }))
            .map(([a, b]) => `${a}-${b}`),
        ),
        step: fc.integer({ min: 1, max: 100 }),
      }),
    );
    fc.assert(
      fc.property(stepped, ({ f, range, step }) => {
        const parts = ['0', '0', '0', '1', '1', '*'];
        parts[f.at] = `${range}/${step}`;
        const expression = parts.join(' ');
        const values = validateDetailed(expression).fields?.[keys[f.at]!] ?? [];
        // node-cron takes it; the agent takes it unless the step can select one value only (a step of 1 always steps).
        expect(validateDetailed(expression).valid).toBe(true);
        expect(cronProblem(expression) === undefined).toBe(values.length > 1 || step === 1);
      }),
      { seed: 13, numRuns: 400 },
    );
  });
});

describe('cron fields of the config file', () => {
  it('name the key path of a schedule and of discovery', () => {
    const schedule = textError(ONE_CLUSTER + "schedules:\n  issuer: {cron: '*/61 * * * *'}\n");
    expect(schedule.problems).toEqual([
      expect.objectContaining({
        path: 'schedules.issuer.cron',
        message: expect.stringContaining('the step /61 in the minutes field'),
      }),
    ]);
    const discover = textError(
      ONE_CLUSTER + "accounts:\n  - name: p\n    id: '123456789012'\n    discover: {cron: '0 */24 * * *'}\n",
    );
    expect(discover.problems).toEqual([
      expect.objectContaining({
        path: 'accounts[0].discover.cron',
        message: expect.stringContaining('the step /24 in the hours field'),
      }),
    ]);
    expect(discover.problems[0]?.file).toMatch(/config\.yaml$/);
  });
});
