// Cron expressions in the config file (schedules.<probe>.cron, accounts[].discover.cron, and any cron field to come):
// node-cron's grammar (5 fields, or 6 with seconds first; names and nicknames such as @hourly), and no step that
// cannot step. node-cron accepts `*/61 * * * *`, and runs it at minute 0 only: a step larger than its field's range
// selects the range's first value alone, which is never what was meant by "every 61 minutes". So a step must be at
// most the span of what it steps over (`*/59` in minutes: 0 and 59; `*/60`: refused, write `0`).
import { validateDetailed } from 'node-cron';
import { z } from 'zod';

/** Each field of a 6-field expression: its name in messages, and its values. */
const FIELDS = [
  { name: 'seconds', min: 0, max: 59 },
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
] as const;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** A month or weekday name as its number (node-cron takes full and short names, in any case). */
function numberOf(text: string, field: number): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const names = field === 4 ? MONTHS : field === 5 ? DAYS : undefined;
  const at = names?.indexOf(text.slice(0, 3).toLowerCase()) ?? -1;
  return at < 0 ? undefined : at + (field === 4 ? 1 : 0);
}

/** Why a step in one field cannot step (its range is narrower than the step), or undefined. */
function stepProblem(token: string, field: number): string | undefined {
  const m = /^(\*|([a-z0-9]+)-([a-z0-9]+))\/(\d+)$/i.exec(token);
  if (!m) return undefined;
  const { name, min, max } = FIELDS[field]!;
  const step = Number(m[4]);
  const size = max - min + 1;
  let span: number;
  if (m[1] === '*') span = max - min;
  else {
    const from = numberOf(m[2]!, field);
    const to = numberOf(m[3]!, field);
    if (from === undefined || to === undefined) return undefined;
    // node-cron wraps a range whose end is before its start (22-2 in hours: 22, 23, 0, 1, 2).
    span = (((to - from) % size) + size) % size;
  }
  if (step <= Math.max(span, 1)) return undefined;
  const range = m[1] === '*' ? `${min}-${max}` : m[1]!;
  return `the step /${step} in the ${name} field (${token}) is larger than its range ${range}: it would select only its first value`;
}

/** Why `expression` is not a cron expression the agent takes, or undefined when it is. */
export function cronProblem(expression: string): string | undefined {
  const checked = validateDetailed(expression);
  if (!checked.valid) {
    const detail = checked.errors[0]?.message.replace(/ is a invalid /, ' is an invalid ');
    return `is not a valid cron expression (node-cron: 5 fields, or 6 with seconds first)${detail ? `: ${detail}` : ''}`;
  }
  // validateDetailed resolved nicknames (@hourly) and names; the steps are checked on the fields as written.
  const written = expression.trim().startsWith('@') ? [] : expression.trim().split(/\s+/);
  const fields = written.length === 5 ? ['0', ...written] : written;
  for (const [i, field] of fields.entries())
    for (const token of field.split(',')) {
      const problem = stepProblem(token, i);
      if (problem !== undefined) return `is not a usable cron expression: ${problem}`;
    }
  return undefined;
}

/** A cron field of the config schema: a string cronProblem finds nothing wrong with. */
export const cronExpression = z.string().superRefine((expression, ctx) => {
  const problem = cronProblem(expression);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
