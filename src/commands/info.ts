// `irsa-sentinel validate` and `irsa-sentinel explain`: answers from the configuration, the finding table and the
// diagnosis rule table (the codes that lead every output).
import { distance } from 'fastest-levenshtein';
import { FALLBACK_CODES } from '../diagnosis/diagnose.ts';
import { RULES } from '../diagnosis/rules.ts';
import { FINDING_CODES, FINDINGS, isFindingCode } from '../findings.ts';
import { loadConfigOrExit } from './config-or-exit.ts';

export function runValidateCommand(opts: { config: string }): void {
  const config = loadConfigOrExit(opts.config);
  const fleet = config.lab
    ? 'the lab fleet'
    : `${config.clusters.length} cluster(s), ${config.accounts.length} account(s)`;
  process.stdout.write(`ok: ${config.sources.join(', ')}: ${fleet}\n`);
}

/**
 * What `explain` prints for a code: a finding, a diagnosis rule or a fallback diagnosis (both, for the few codes that
 * name a finding and the diagnosis it leads); undefined for none.
 */
export function explanation(code: string): string | undefined {
  const parts: string[] = [];
  if (isFindingCode(code)) {
    const def = FINDINGS[code];
    parts.push(`${code} (${def.severity}, ${def.probe} probe)\n${def.title}\n\n${def.remediation}\n`);
  }
  const rule = RULES.find((r) => r.code === code);
  if (rule)
    parts.push(
      `${code} (diagnosis, led by finding ${rule.primary})\n${rule.title}\n\n${FINDINGS[rule.primary].remediation}\n`,
    );
  if (Object.hasOwn(FALLBACK_CODES, code))
    parts.push(`${code} (diagnosis)\n${FALLBACK_CODES[code as keyof typeof FALLBACK_CODES]}\n`);
  return parts.length > 0 ? parts.join('\n') : undefined;
}

/** Every code `explain` knows. */
export const explainableCodes = (): string[] => [
  ...new Set([...FINDING_CODES, ...RULES.map((r) => r.code), ...Object.keys(FALLBACK_CODES)]),
];

/** The known codes closest to a mistyped one: containing it, sharing words with it, by edit distance. */
export function closestCodes(code: string, max = 3): string[] {
  const words = code.split('_').filter((w) => w.length > 2);
  // DENY and DENIES are one word to a reader: a common prefix of all but one letter (at least 3) is a match.
  const same = (a: string, b: string): boolean => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i >= 3 && i >= Math.min(a.length, b.length) - 1;
  };
  return explainableCodes()
    .map((c) => {
      const shared = c.split('_').filter((w) => words.some((q) => same(q, w))).length;
      return { c, score: distance(code, c) - 4 * shared - (c.includes(code) ? 10 : 0) };
    })
    .sort((a, b) => a.score - b.score || a.c.localeCompare(b.c))
    .slice(0, max)
    .map((x) => x.c);
}

export function runExplainCommand(code: string): void {
  const upper = code.toUpperCase().trim();
  const text = explanation(upper);
  if (text === undefined) {
    process.stderr.write(
      `irsa-sentinel explain: unknown code ${code}; closest: ${closestCodes(upper).join(', ')} (docs/findings.md lists every finding code, the README every diagnosis code)\n`,
    );
    process.exit(2);
  }
  process.stdout.write(text);
}
