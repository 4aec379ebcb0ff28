// `irsa-sentinel validate` and `irsa-sentinel explain`: answers from the configuration and the finding table.
import { FINDING_CODES, FINDINGS, isFindingCode } from '../findings.ts';
import { loadConfigOrExit } from './config-or-exit.ts';

export function runValidateCommand(opts: { config: string }): void {
  const config = loadConfigOrExit(opts.config);
  const fleet = config.lab
    ? 'the lab fleet'
    : `${config.clusters.length} cluster(s), ${config.accounts.length} account(s)`;
  process.stdout.write(`ok: ${config.sources.join(', ')}: ${fleet}\n`);
}

export function runExplainCommand(code: string): void {
  const upper = code.toUpperCase();
  if (!isFindingCode(upper)) {
    process.stderr.write(
      `irsa-sentinel explain: unknown finding code ${code}; known codes: ${FINDING_CODES.join(', ')}\n`,
    );
    process.exit(2);
  }
  const def = FINDINGS[upper];
  process.stdout.write(`${upper} (${def.severity}, ${def.probe} probe)\n${def.title}\n\n${def.remediation}\n`);
}
