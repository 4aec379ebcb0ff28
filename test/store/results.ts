// Probe results for the store tests.
import type { ProbeResult } from '../../src/core/model.ts';

/** A result that uses every field of ProbeResult, at `startedAt`. */
export function fullResult(overrides: Partial<ProbeResult> = {}): ProbeResult {
  return {
    cluster: 'prod-east',
    probe: 'issuer',
    status: 'fail',
    startedAt: '2026-11-23T10:00:00.000Z',
    durationMs: 1234.5,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    findings: [
      {
        code: 'ISSUER_HTTP_ERROR',
        severity: 'fail',
        message: 'GET https://oidc.example.com/.well-known/openid-configuration returned 403 AccessDenied',
        remediation: 'Allow anonymous s3:GetObject on the two documents.',
        subject: 'https://oidc.example.com',
        evidence: { status: 403, s3ErrorCode: 'AccessDenied', latencyMs: 87, nested: { list: [1, 'two', null] } },
      },
      { code: 'ISSUER_SLOW', severity: 'warn', message: 'slow', remediation: 'Speed it up.' },
    ],
    observations: { kids: ['k1', 'k2'], discoverySha256: 'ab12', empty: {} },
    ...overrides,
  };
}

/** A minimal result: no traceId, no observations, no findings. */
export function okResult(cluster: string, probe: ProbeResult['probe'], startedAt: string): ProbeResult {
  return { cluster, probe, status: 'ok', startedAt, durationMs: 10, findings: [] };
}

/** `minutes` after 2026-11-23T00:00Z, as ISO 8601. */
export function at(minutes: number): string {
  return new Date(Date.UTC(2026, 10, 23) + minutes * 60_000).toISOString();
}
