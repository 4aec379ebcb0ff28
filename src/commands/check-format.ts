// The human table `check` prints: one line per (cluster, probe), then each finding with its remediation.
import type { ProbeResult, Status } from '../model.ts';

const MARK: Record<Status, string> = { ok: 'OK  ', warn: 'WARN', unknown: '??  ', fail: 'FAIL' };

export function formatCheckTable(results: readonly ProbeResult[], overall: Status): string {
  const lines: string[] = [];
  const width = Math.max(7, ...results.map((r) => r.cluster.length));
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
