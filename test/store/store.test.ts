import { describe, expect, it } from 'vitest';
import { resolveHistoryQuery, storableResult, StoreError } from '../../src/store/store.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { fullResult } from './results.ts';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL29pZGMuZXhhbXBsZS5jb20ifQ.Zm9vYmFyYmF6cXV4cXV1eA';

function rejection(result: ProbeResult): StoreError | undefined {
  try {
    storableResult(result);
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  return undefined;
}

/** The value at a path like `findings[0].evidence.token`. */
function valueAt(value: unknown, path: string): unknown {
  return path
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '')
    .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
}

const withEvidence = (evidence: Record<string, unknown>): ProbeResult => {
  const r = fullResult();
  const [first, ...rest] = r.findings;
  return { ...r, findings: [{ ...first!, evidence }, ...rest] };
};

describe('storableResult', () => {
  it('passes an ordinary result through as a JSON copy', () => {
    const r = fullResult();
    const { stored, redacted } = storableResult(r);
    expect(stored).toEqual(r);
    expect(stored).not.toBe(r);
    expect(redacted).toEqual({});
  });

  it.each([
    ['a JWT in evidence', withEvidence({ token: JWT }), 'findings[0].evidence.token'],
    [
      'a JWT inside a message',
      fullResult({ findings: [{ ...fullResult().findings[0]!, message: `token ${JWT} was rejected` }] }),
      'findings[0].message',
    ],
    [
      'an unsigned JWT (empty signature)',
      fullResult({ observations: { t: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' } }),
      'observations.t',
    ],
    ['a JWT in a list', fullResult({ observations: { tokens: ['x', JWT] } }), 'observations.tokens[1]'],
    [
      'a SecretAccessKey field',
      withEvidence({ Credentials: { AccessKeyId: 'ASIA…', SecretAccessKey: 'x' } }),
      'findings[0].evidence.Credentials.SecretAccessKey',
    ],
    ['a SessionToken field', fullResult({ observations: { SessionToken: 'x' } }), 'observations.SessionToken'],
    [
      'a secretAccessKey field (SDK casing)',
      fullResult({ observations: { creds: { secretAccessKey: 'x' } } }),
      'observations.creds.secretAccessKey',
    ],
    ['a sessionToken field (SDK casing)', withEvidence({ sessionToken: 'x' }), 'findings[0].evidence.sessionToken'],
    [
      'an STS XML reply kept as text',
      withEvidence({ body: '<Credentials><SessionToken>IQoJb3…</SessionToken></Credentials>' }),
      'findings[0].evidence.body',
    ],
    [
      'a JSON reply kept as text',
      withEvidence({ body: '{"Credentials":{"SecretAccessKey": "x"}}' }),
      'findings[0].evidence.body',
    ],
    [
      'a credentials file',
      fullResult({ observations: { file: '[default]\naws_session_token = x' } }),
      'observations.file',
    ],
  ])('redacts %s in place and keeps the result', (_name, result, path) => {
    const { stored, redacted } = storableResult(result);
    const before = valueAt(result, path);
    const after = valueAt(stored, path);
    expect(typeof after).toBe('string');
    expect(after).not.toEqual(before);
    expect(after as string).toMatch(/\[REDACTED:(jwt|aws-secret-key|aws-session-token)\]/);
    const text = JSON.stringify(stored);
    expect(text).not.toContain(JWT);
    expect(text).not.toContain('IQoJ');
    expect(Object.values(redacted).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // Everything but the secret is kept, status included.
    expect(stored.status).toBe(result.status);
    expect(stored.findings.map((f) => f.code)).toEqual(result.findings.map((f) => f.code));
  });

  it('keeps words that only mention credentials, kids and ARNs as they are', () => {
    const r = withEvidence({
      note: 'credentials received (AccessKeyId, SecretAccessKey, SessionToken) were discarded',
      kid: 'eyJabc',
      roleArn: 'arn:aws:iam::123456789012:role/ebs-csi',
    });
    expect(storableResult(r)).toEqual({ stored: r, redacted: {} });
  });

  it.each([
    ['an empty cluster', { cluster: '' }],
    ['an unknown probe', { probe: 'dns' }],
    ['an unknown status', { status: 'bad' }],
    ['an unparseable startedAt', { startedAt: '23/11/2026' }],
    ['a negative duration', { durationMs: -1 }],
    ['an infinite duration', { durationMs: Infinity }],
    ['findings that are not a list', { findings: {} }],
    ['observations that are a list', { observations: [] }],
    ['a traceId that is not a string', { traceId: 42 }],
  ])('rejects %s with STORE_INVALID_RESULT', (_name, override) => {
    const bad = { ...fullResult(), ...override } as unknown as ProbeResult;
    expect(rejection(bad)?.code).toBe('STORE_INVALID_RESULT');
  });

  it('rejects evidence that cannot be JSON', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(rejection(withEvidence(cyclic))?.code).toBe('STORE_INVALID_RESULT');
  });
});

describe('resolveHistoryQuery', () => {
  it('applies the defaults and caps the limit', () => {
    expect(resolveHistoryQuery()).toEqual({ limit: 50 });
    expect(resolveHistoryQuery({ limit: 1001, probe: 'jwks' })).toEqual({ limit: 1000, probe: 'jwks' });
    expect(resolveHistoryQuery({ before: '2026-11-23T00:00:00Z' })).toEqual({
      limit: 50,
      beforeMs: Date.UTC(2026, 10, 23),
    });
  });
});
