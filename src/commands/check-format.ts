// The human table `check` prints: one line per (cluster, probe), then each finding with its remediation.
import type { Diagnosis } from '../diagnosis/diagnose.ts';
import type { ProbeResult, Status } from '../core/model.ts';

const MARK: Record<Status, string> = { ok: 'OK  ', warn: 'WARN', unknown: '??  ', fail: 'FAIL' };

export function formatCheckTable(
  results: readonly ProbeResult[],
  overall: Status,
  diagnoses: readonly (Diagnosis & { cluster: string })[] = [],
): string {
  const lines: string[] = [];
  const width = Math.max(7, ...results.map((r) => r.cluster.length));
  for (const d of diagnoses) {
    lines.push(`${MARK[d.status]}  ${d.cluster}: ${d.summary}`);
    if (d.remediation !== undefined && d.status !== 'ok') lines.push(`      fix: ${d.remediation}`);
  }
  if (diagnoses.length > 0) lines.push('');
  lines.push(`${'CLUSTER'.padEnd(width)}  PROBE       STATUS  TIME    FINDINGS`);
  for (const r of results) {
    lines.push(
      `${r.cluster.padEnd(width)}  ${r.probe.padEnd(10)}  ${MARK[r.status]}    ${`${r.durationMs}ms`.padEnd(6)}  ${r.findings.map((f) => f.code).join(', ') || '-'}`,
    );
  }
  const withFindings = results.filter((r) => r.findings.length > 0);
  for (const r of withFindings) {
    for (const f of r.findings) {
      lines.push('', `${r.cluster} / ${r.probe}: ${f.code} (${f.severity})${f.subject ? ` — ${f.subject}` : ''}`);
      lines.push(`  ${f.message}`);
      lines.push(`  fix: ${f.remediation}`);
    }
  }
  lines.push('', `overall: ${overall}`);
  return lines.join('\n') + '\n';
}
