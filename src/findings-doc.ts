// docs/findings.md, generated from the finding table (`npm run gen:docs`; a test fails when it is stale).
import { FINDINGS } from './findings.ts';
import type { FindingDef } from './findings.ts';

export function renderFindingsDoc(): string {
  const lines = [
    '# Finding codes',
    '',
    'Generated from `src/findings.ts` by `npm run gen:docs`; do not edit. `irsa-sentinel explain CODE` prints the same.',
    'Codes are stable: automation may match on them.',
    '',
    '| code | probe | severity | title |',
    '| --- | --- | --- | --- |',
  ];
  const entries = Object.entries(FINDINGS) as [string, FindingDef][];
  for (const [code, def] of entries)
    lines.push(`| [${code}](#${code.toLowerCase()}) | ${def.probe} | ${def.severity} | ${def.title} |`);
  for (const [code, def] of entries) {
    lines.push(
      '',
      `## ${code}`,
      '',
      `**${def.title}** — ${def.probe} probe, severity \`${def.severity}\`.`,
      '',
      def.remediation,
    );
  }
  return lines.join('\n') + '\n';
}
