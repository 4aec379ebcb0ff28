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

/** `text` broken at spaces into lines of at most `width` columns, continuation lines indented like the first. */
function wrap(text: string, width: number | undefined, indent = ''): string[] {
  if (width === undefined || text.length <= width) return [text];
  const hang = indent + ' '.repeat(Math.max(0, /^\s*(\S+:\s)?/.exec(text.slice(indent.length))?.[0].length ?? 0));
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = hang + word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  out.push(line);
  return out;
}

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
  const add = (text: string, indent = '') => lines.push(...wrap(text, width, indent));
  const shownFixes = new Set<string>();
  for (const d of diagnoses) {
    const [root, ...others] = d.causes.length > 0 ? d.causes : [d];
    add(`${MARK[d.status]}  ${d.cluster}: ${root?.summary ?? d.summary}`);
    const fix = (remediation: string | undefined, status: Status) => {
      if (remediation === undefined || status === 'ok' || shownFixes.has(remediation)) return;
      shownFixes.add(remediation);
      add(`      fix: ${remediation}`, '      ');
    };
    fix(root?.remediation, d.status);
    for (const c of others) {
      add(`      also (${c.status}): ${c.summary}`, '      ');
      fix(c.remediation, c.status);
    }
    if (d.causes.length > 0 && d.undecided.length > 0)
      add(`      not checked: ${d.undecided.map((e) => `${e.probe} ${e.code}`).join(', ')}`, '      ');
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
  for (const g of groups(results)) {
    lines.push('');
    add(`${g.cluster} / ${g.probe}: ${g.first.code} (${g.first.severity})${subjectsText(g)}`);
    add(`  ${g.first.message}`, '  ');
    if (g.first.severity === 'info' || shownFixes.has(g.first.remediation)) continue;
    shownFixes.add(g.first.remediation);
    add(`  fix: ${g.first.remediation}`, '  ');
  }
  lines.push('', `overall: ${overall}`);
  return lines.join('\n') + '\n';
}
