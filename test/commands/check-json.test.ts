// `check --json` is written in pieces (src/commands/check.ts checkJson): the same bytes as the whole document
// serialized at once, redaction included.
import { describe, expect, it } from 'vitest';
import { checkJson } from '../../src/commands/check.ts';
import { redactValue } from '../../src/redact.ts';

const whole = (status: string, diagnoses: unknown[], results: unknown[]): string =>
  JSON.stringify(redactValue({ status, diagnoses, results }).value, null, 2) + '\n';

describe('check --json', () => {
  it('is byte for byte the document serialized at once', () => {
    const results = Array.from({ length: 700 }, (_, i) => ({
      cluster: `c-${i}`,
      probe: 'issuer',
      status: i % 7 ? 'ok' : 'fail',
      findings:
        i % 3
          ? []
          : [{ code: 'X', message: 'line one\nline two "quoted" é ✓', evidence: { a: [1, [2, {}]], b: null } }],
      skipped: undefined,
      observations: { nested: { deeper: [[], {}, ''] } },
    }));
    const diagnoses = [{ cluster: 'c-0', rootCause: null, chain: [] }];
    for (const [d, r] of [
      [diagnoses, results],
      [[], results],
      [diagnoses, []],
      [[], []],
    ] as const)
      expect([...checkJson('fail', d, r)].join('')).toBe(whole('fail', [...d], [...r]));
  });

  it('is redacted and comes in pieces', () => {
    const secret = 'aws_secret_access_key=' + 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const results = Array.from({ length: 2_000 }, (_, i) => ({ cluster: `c-${i}`, note: secret }));
    const pieces = [...checkJson('ok', [], results)];
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(whole('ok', [], results));
    expect(pieces.join('')).not.toContain('wJalrXUtnFEMI');
  });
});
