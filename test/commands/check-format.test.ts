import { describe, expect, it } from 'vitest';
import { formatCheckTable } from '../../src/commands/check-format.ts';
import { finding } from '../../src/findings.ts';
import type { ProbeResult } from '../../src/core/model.ts';

const base = { probe: 'issuer' as const, startedAt: '2026-11-23T10:00:00.000Z', durationMs: 12 };

describe('check table', () => {
  it('lists every run, then each finding with its remediation, then the overall status', () => {
    const results: ProbeResult[] = [
      { ...base, cluster: 'healthy', status: 'ok', findings: [] },
      {
        ...base,
        cluster: 'vpce-locked',
        status: 'fail',
        findings: [
          finding('ISSUER_HTTP_ERROR', 'The discovery document answered HTTP 403.', {
            subject: 'https://x/.well-known',
          }),
        ],
      },
    ];
    const out = formatCheckTable(results, 'fail').split('\n');
    expect(out[0]).toMatch(/^CLUSTER\s+PROBE\s+STATUS\s+TIME\s+FINDINGS$/);
    expect(out[1]).toMatch(/^healthy\s+issuer\s+OK\s+12ms\s+-$/);
    expect(out[2]).toMatch(/^vpce-locked\s+issuer\s+FAIL\s+12ms\s+ISSUER_HTTP_ERROR$/);
    expect(out).toContain('vpce-locked / issuer: ISSUER_HTTP_ERROR (fail) — https://x/.well-known');
    expect(out).toContain('  The discovery document answered HTTP 403.');
    expect(out.find((l) => l.startsWith('  fix: '))).toContain('anonymous GET');
    expect(out.at(-2)).toBe('overall: fail');
  });
});
