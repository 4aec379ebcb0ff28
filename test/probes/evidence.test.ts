// Every probe's real output matches what it declares: each finding's evidence has its code's declared type, and the
// observations the declared shape. The lab breaks one link per cluster so that most codes are emitted for real.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBES } from '../../probes/index.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { finding, findingProblem } from '../../src/findings.ts';
import type { Lab } from '../../src/lab/index.ts';
import { createProbeRunner } from '../helpers/probe-run.ts';
import { startTestLab } from '../helpers/lab.ts';

const FAULTS: Record<string, Record<string, unknown>[]> = {
  healthy: [],
  vpce: [{ fault: 'bucket-policy-deny-non-vpce', form: 'aws-documented' }],
  getobject: [{ fault: 'bucket-policy-deny-non-vpce' }],
  deleted: [{ fault: 'bucket-policy-deleted' }],
  blocked: [{ fault: 'block-public-access' }],
  error: [{ fault: 'issuer-error', status: 503 }],
  down: [{ fault: 'issuer-down' }],
  mismatch: [{ fault: 'discovery-issuer-mismatch' }],
  malformed: [{ fault: 'jwks-malformed' }],
  insecure: [{ fault: 'jwks-uri-http' }],
  rotated: [{ fault: 'rotate-key-unpublished' }, { fault: 'stage-next-key' }],
  audience: [{ fault: 'drop-audience' }],
  noprovider: [{ fault: 'delete-oidc-provider' }],
  trust: [{ fault: 'trust-subject-mismatch' }],
  norole: [{ fault: 'delete-role' }],
  cfdenied: [{ fault: 'cloudfront-origin-denied' }],
};

let lab: Lab;
const results: ProbeResult[] = [];

beforeAll(async () => {
  lab = await startTestLab({
    fleet: {
      clusters: Object.keys(FAULTS).map((name) => ({ name, ...(name.startsWith('cf') && { topology: 'cloudfront' }) })),
      keyPool: 2,
    },
  });
  const runner = await createProbeRunner(lab);
  const runAll = async () => (await Promise.all(Object.keys(FAULTS).map((name) => runner.run(name)))).flat();
  try {
    // A first run of the healthy state, then the faults and a second run: change findings need a previous result.
    results.push(...(await runAll()));
    for (const [cluster, faults] of Object.entries(FAULTS))
      for (const f of faults) await lab.applyFault({ cluster, ...f });
    results.push(...(await runAll()));
  } finally {
    await runner.close();
  }
}, 120_000);
afterAll(() => lab?.close());

describe('probe output against the declarations', () => {
  it('every finding has a declared code and evidence of its declared type', () => {
    const problems = results.flatMap((r) =>
      r.findings.flatMap((f) => {
        const problem = findingProblem(f);
        return problem ? [`${r.cluster}/${r.probe}: ${problem}`] : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it("every result keeps observations of its probe's declared shape", () => {
    const problems = results.flatMap((r) => {
      const parsed = PROBES[r.probe].observations.safeParse(JSON.parse(JSON.stringify(r.observations ?? {})));
      return parsed.success ? [] : [`${r.cluster}/${r.probe}: ${parsed.error.message}`];
    });
    expect(problems).toEqual([]);
  });

  it('emits most codes for real, so the checks above cover them', () => {
    const seen = new Set(results.flatMap((r) => r.findings.map((f) => f.code)));
    for (const code of [
      'ISSUER_HTTP_ERROR',
      'ISSUER_UNREACHABLE',
      'DISCOVERY_ISSUER_MISMATCH',
      'JWKS_INVALID',
      'JWKS_URI_INSECURE',
      'SIGNING_KEY_NOT_PUBLISHED',
      'NEXT_SIGNING_KEY_NOT_PUBLISHED',
      'OIDC_PROVIDER_MISSING',
      'OIDC_PROVIDER_AUDIENCE_MISSING',
      'ASSUME_KEY_RETRIEVAL_FAILED',
      'ASSUME_NO_PROVIDER',
      'ASSUME_AUDIENCE_REJECTED',
      'TRUST_POLICY_SUBJECT_MISMATCH',
      'ROLE_MISSING',
      'BUCKET_ANONYMOUS_READ_DENIED',
      'BUCKET_PUBLIC_ACCESS_BLOCKED',
      'BUCKET_POLICY_MISSING',
      'BUCKET_POLICY_CHANGED',
      'BUCKET_ORIGIN_ACCESS_DENIED',
      'BUCKET_POLICY_CHANGED_BY',
    ])
      expect(seen, code).toContain(code);
  });

  it('a finding whose evidence does not match its declaration is reported, naming the field', () => {
    const bad = { ...finding('ISSUER_SLOW', 'slow'), evidence: { totalMs: 'slow' } };
    expect(findingProblem(bad)).toMatch(/^ISSUER_SLOW evidence: .*totalMs/);
    expect(findingProblem({ ...bad, code: 'NO_SUCH_CODE' })).toBe('unknown finding code NO_SUCH_CODE');
    expect(findingProblem(finding('ISSUER_SLOW', 'slow'))).toBeUndefined();
  });
});
