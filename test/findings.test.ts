import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderFindingsDoc } from '../src/findings-doc.ts';
import { FINDING_CODES, FINDINGS, finding } from '../src/findings.ts';

describe('finding table', () => {
  it('codes are UPPER_SNAKE and every entry has a title and an actionable remediation', () => {
    for (const code of FINDING_CODES) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
      expect(FINDINGS[code].title.length).toBeGreaterThan(10);
      expect(FINDINGS[code].remediation.length).toBeGreaterThan(40);
    }
  });

  it('finding() takes severity and remediation from the table, and a per-instance severity', () => {
    expect(finding('ISSUER_SLOW', 'slow')).toEqual({
      code: 'ISSUER_SLOW',
      severity: 'warn',
      message: 'slow',
      remediation: FINDINGS.ISSUER_SLOW.remediation,
    });
    expect(finding('ISSUER_SLOW', 'slower', { severity: 'fail', subject: 's' })).toMatchObject({
      severity: 'fail',
      subject: 's',
    });
  });

  it('docs/findings.md is up to date (run `npm run gen:docs`)', () => {
    const onDisk = readFileSync(new URL('../docs/findings.md', import.meta.url), 'utf8');
    expect(onDisk, 'docs/findings.md is stale: run `npm run gen:docs`').toBe(renderFindingsDoc());
  });
});
