// The human table `check` prints: each cluster's diagnosis (every cause with its fix, what could not be checked),
// one line per (cluster, probe), then the findings, identical ones grouped into one line listing their subjects and
// each remediation printed once. On a terminal the text is wrapped to its width; --json keeps every finding.
import type { Finding, ProbeResult, Status } from '../core/model.ts';
import type { Diagnosis } from '../diagnosis/diagnose.ts';

const MARK: Record<Status, string> = { ok: 'OK  ', warn: 'WARN', unknown: '??  ', fail: 'FAIL' };
/** Subjects listed on a group's line before "and N more". */
const SUBJECTS_SHOWN = 3;

export interface CheckFormatOptions {
  /** Wrap long lines to this many columns (a terminal's width); default: no wrapping. */
  width?: number;
}

/**
 * `text` broken at spaces into lines of at most `width` columns (a word longer than that stays whole); continuation
 * lines hang under the text after the leading indentation and label ("      fix: ").
 */
function wrap(text: string, width: number | undefined, hangBy?: number): string[] {
  if (width === undefined || text.length <= width) return [text];
  const lead = /^\s*(?:\S+: )?/.exec(text)![0];
  const hang = ' '.repeat(hangBy ?? lead.length);
  const out: string[] = [];
  let line = lead;
  let empty = true;
  for (const word of text.slice(lead.length).split(' ')) {
    if (!empty && line.length + 1 + word.length > width) {
      out.push(line);
      line = hang + word;
    } else line = empty ? line + word : `${line} ${word}`;
    empty = false;
  }
  out.push(line);
  return out;
}

/** One line of at most `width` columns, cut with an ellipsis (the compact findings list on a terminal). */
const fit = (text: string, width: number | undefined): string =>
  width === undefined || text.length <= width ? text : `${text.slice(0, width - 1)}…`;

/** A role ARN, a URL, a kid: the short name that tells subjects apart on one line. */
const short = (subject: string): string => subject.slice(subject.lastIndexOf('/') + 1) || subject;

interface Group {
  cluster: string;
  probe: string;
  first: Finding;
  subjects: string[];
  count: number;
}

/** Findings of the same cluster, probe, code and severity, in first-seen order. */
function groups(results: readonly ProbeResult[]): Group[] {
  const byKey = new Map<string, Group>();
  for (const r of results)
    for (const f of r.findings) {
      const key = `${r.cluster}\u0000${r.probe}\u0000${f.code}\u0000${f.severity}`;
      const g = byKey.get(key) ?? { cluster: r.cluster, probe: r.probe, first: f, subjects: [], count: 0 };
      byKey.set(key, g);
      g.count++;
      if (f.subject !== undefined && !g.subjects.includes(f.subject)) g.subjects.push(f.subject);
    }
  return [...byKey.values()];
}

function subjectsText(g: Group): string {
  if (g.count === 1) return g.first.subject ? ` — ${g.first.subject}` : '';
  const shown = g.subjects.slice(0, SUBJECTS_SHOWN).map(short).join(', ');
  const more = g.subjects.length > SUBJECTS_SHOWN ? ` and ${g.subjects.length - SUBJECTS_SHOWN} more` : '';
  return ` × ${g.count}${shown ? ` — ${shown}${more}` : ''}`;
}

export function formatCheckTable(
  results: readonly ProbeResult[],
  overall: Status,
  diagnoses: readonly (Diagnosis & { cluster: string })[] = [],
  opts: CheckFormatOptions = {},
): string {
  const { width } = opts;
  const lines: string[] = [];
  const add = (text: string, hangBy?: number) => lines.push(...wrap(text, width, hangBy));
  const shownFixes = new Set<string>();
  for (const d of diagnoses) {
    const [root, ...others] = d.causes.length > 0 ? d.causes : [d];
    add(`${MARK[d.status]}  ${d.cluster}: ${root?.summary ?? d.summary}`, 6);
    const fix = (remediation: string | undefined, status: Status) => {
      if (remediation === undefined || status === 'ok' || shownFixes.has(remediation)) return;
      shownFixes.add(remediation);
      add(`      fix: ${remediation}`);
    };
    fix(root?.remediation, d.status);
    for (const c of others) {
      add(`      also (${c.status}): ${c.summary}`, 6);
      fix(c.remediation, c.status);
    }
    if (d.causes.length > 0 && d.undecided.length > 0)
      add(`      not checked: ${d.undecided.map((e) => `${e.probe} ${e.code}`).join(', ')}`);
  }
  if (diagnoses.length > 0) lines.push('');
  const w = Math.max(7, ...results.map((r) => r.cluster.length));
  lines.push(`${'CLUSTER'.padEnd(w)}  PROBE       STATUS  TIME    FINDINGS`);
  for (const r of results) {
    const codes = [...new Set(r.findings.map((f) => f.code))].join(', ') || '-';
    add(
      `${r.cluster.padEnd(w)}  ${r.probe.padEnd(10)}  ${MARK[r.status]}    ${`${r.durationMs}ms`.padEnd(6)}  ${codes}`,
    );
  }
  // With a diagnosis, every decided finding is accounted for by a cause whose fix is shown above: a finding's own
  // fix is shown only for what could not be decided. On a terminal the list is compact: two lines a group.
  const diagnosed = new Set(diagnoses.map((d) => d.cluster));
  const compact = width !== undefined;
  if (compact) lines.push('');
  for (const g of groups(results)) {
    if (!compact) lines.push('');
    const head = `${g.cluster} / ${g.probe}: ${g.first.code} (${g.first.severity})${subjectsText(g)}`;
    if (compact) lines.push(...wrap(head, width, 4), fit(`  ${g.first.message}`, width));
    else lines.push(head, `  ${g.first.message}`);
    const decided = g.first.severity !== 'unknown' && diagnosed.has(g.cluster);
    if (g.first.severity === 'info' || decided || shownFixes.has(g.first.remediation)) continue;
    shownFixes.add(g.first.remediation);
    add(`  fix: ${g.first.remediation}`);
  }
  lines.push('', `overall: ${overall}`);
  return lines.join('\n') + '\n';
}
