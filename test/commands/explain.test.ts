// `irsa-sentinel explain` knows every code it prints: finding codes, the diagnosis rule codes that lead every output,
// and the fallback diagnoses; an unknown code gets the closest known codes, not a list of all of them.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closestCodes, explainableCodes, explanation } from '../../src/commands/info.ts';
import { FALLBACK_CODES } from '../../src/diagnosis/diagnose.ts';
import { RULES } from '../../src/diagnosis/rules.ts';
import { FINDING_CODES, FINDINGS } from '../../src/findings.ts';

const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');
const explain = (code: string) => spawnSync(process.execPath, [CLI, 'explain', code], { encoding: 'utf8' });

describe('explain', () => {
  it('explains every diagnosis rule code with its title and the fix of its primary finding', () => {
    for (const rule of RULES) {
      const text = explanation(rule.code);
      expect(text, rule.code).toContain(rule.title);
      expect(text).toContain(FINDINGS[rule.primary].remediation);
    }
  });

  it('explains the fallback diagnoses and every finding code', () => {
    for (const [code, meaning] of Object.entries(FALLBACK_CODES)) expect(explanation(code)).toContain(meaning);
    for (const code of FINDING_CODES) expect(explanation(code)).toContain(FINDINGS[code].title);
    expect(new Set(explainableCodes()).size).toBe(explainableCodes().length);
  });

  it('the CLI prints a diagnosis code (BUCKET_POLICY_DENIES_STS, lower case too) and exits 0', () => {
    const out = explain('bucket_policy_denies_sts');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^BUCKET_POLICY_DENIES_STS \(diagnosis, led by finding BUCKET_ANONYMOUS_READ_DENIED\)/);
  });

  it('answers an unknown code with the closest matches and exit 2', () => {
    expect(closestCodes('ISUER_SLOW')[0]).toBe('ISSUER_SLOW');
    expect(closestCodes('BUCKET_POLICY_DENY')[0]).toBe('BUCKET_POLICY_DENIES_STS');
    const out = explain('ISSUER_SLOWW');
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/unknown code ISSUER_SLOWW; closest: ISSUER_SLOW, /);
    expect(out.stderr.split(',').length).toBeLessThan(6);
  });
});
