// The diagnosis from real probe output: the lab breaks one link per cluster (every fault it has), or two that users
// meet together, all five probes run against it as the agent runs them, and the diagnosis must name the cause, the
// statement or setting, who did it and, where one role fails, that role. The rule table's unit tests use hand-written
// findings; these catch a rule order or a probe's wording that only real output shows.
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/core/model.ts';
import { diagnose } from '../../src/diagnosis/diagnose.ts';
import type { Diagnosis } from '../../src/diagnosis/diagnose.ts';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab } from '../helpers/lab.ts';
import { createProbeRunner } from '../helpers/probe-run.ts';

type Fault = Record<string, unknown> & { fault: string };

interface Scenario {
  faults: Fault[];
  topology?: 'cloudfront';
  /** The root cause. */
  code: string;
  status: 'ok' | 'fail' | 'warn';
  /** What the root summary must name. */
  names: (string | RegExp)[];
  /** Further causes, in order. */
  also?: string[];
  /** Codes among the undecided. */
  undecided?: string[];
}

const ALICE = /user\/alice at \d{4}-\d\d-\d\dT/;
const ROLE = 'openshift-ingress-operator-cloud-credentials';
/** ccoctl names roles `<cluster>-<namespace>-<secret>`, cut to IAM's 64 characters. */
const role = (cluster: string): string => `${cluster}-${ROLE}`.slice(0, 64);

const SCENARIOS: Record<string, Scenario> = {
  healthy: { faults: [], code: 'HEALTHY', status: 'ok', names: [] },
  'deny-getobject': {
    faults: [{ fault: 'bucket-policy-deny-non-vpce' }],
    code: 'BUCKET_POLICY_DENIES_STS',
    status: 'fail',
    names: ['Every role (7) fails', 'statement DenyOutsideVpce', ALICE],
  },
  'deny-s3all': {
    faults: [{ fault: 'bucket-policy-deny-non-vpce', form: 'aws-documented' }],
    code: 'BUCKET_POLICY_DENIES_STS',
    status: 'fail',
    names: ['Every role (7) fails', 'statement Access-to-specific-VPCE-only', ALICE],
  },
  'policy-deleted': {
    faults: [{ fault: 'bucket-policy-deleted' }],
    code: 'BUCKET_POLICY_DELETED',
    status: 'fail',
    names: ['has no policy', /deleted by arn:aws:iam::\d+:user\/alice at /],
  },
  'bucket-bpa': {
    faults: [{ fault: 'block-public-access' }],
    code: 'PUBLIC_ACCESS_BLOCKED',
    status: 'fail',
    names: ['RestrictPublicBuckets at the bucket level', ALICE],
  },
  'cf-origin': {
    faults: [{ fault: 'cloudfront-origin-denied' }],
    topology: 'cloudfront',
    code: 'ORIGIN_ACCESS_DENIED',
    status: 'fail',
    names: ['no longer admits the distribution', ALICE],
  },
  // Two documents of 1.1 s: above the 2 s warning whatever the load, and seconds below STS's 5 s.
  slow: {
    faults: [{ fault: 'issuer-slow', ms: 1100 }],
    code: 'ISSUER_TOO_SLOW',
    status: 'warn',
    names: ['too slow for STS'],
  },
  'http-error': {
    faults: [{ fault: 'issuer-error', status: 503 }],
    code: 'ISSUER_HTTP_ERROR',
    status: 'fail',
    names: ['HTTP 503'],
  },
  down: { faults: [{ fault: 'issuer-down' }], code: 'ISSUER_UNREACHABLE', status: 'fail', names: ['cannot reach'] },
  mismatch: {
    faults: [{ fault: 'discovery-issuer-mismatch' }],
    code: 'ISSUER_MISMATCH',
    status: 'fail',
    names: ['names another issuer'],
  },
  'jwks-malformed': {
    faults: [{ fault: 'jwks-malformed' }],
    code: 'JWKS_INVALID',
    status: 'fail',
    names: ['JWKS is broken'],
  },
  'jwks-http': {
    faults: [{ fault: 'jwks-uri-http' }],
    code: 'JWKS_URI_INSECURE',
    status: 'fail',
    names: ['refuses the jwks_uri'],
  },
  rotated: {
    faults: [{ fault: 'rotate-key-unpublished' }],
    code: 'SIGNING_KEY_UNPUBLISHED',
    status: 'fail',
    names: ['Every role (7) fails', 'which the published JWKS lacks'],
  },
  'next-key': {
    faults: [{ fault: 'stage-next-key' }],
    code: 'DEGRADED',
    status: 'warn',
    names: ['next signing key'],
  },
  audience: {
    faults: [{ fault: 'drop-audience' }],
    code: 'AUDIENCE_MISSING',
    status: 'fail',
    names: ['audience is missing', 'openshift'],
  },
  trust: {
    faults: [{ fault: 'trust-subject-mismatch', role: role('trust') }],
    code: 'TRUST_SUBJECT_MISMATCH',
    status: 'fail',
    names: [`Role ${role('trust')} fails`],
  },
  'no-provider': {
    faults: [{ fault: 'delete-oidc-provider' }],
    code: 'PROVIDER_MISSING',
    status: 'fail',
    names: ['IAM OIDC provider is missing'],
  },
  'no-role': {
    faults: [{ fault: 'delete-role', role: role('no-role') }],
    code: 'ROLE_MISSING',
    status: 'fail',
    names: [role('no-role'), 'is gone'],
  },
  // Pairs users meet.
  'deny-and-rotation': {
    faults: [{ fault: 'bucket-policy-deny-non-vpce', form: 'aws-documented' }, { fault: 'rotate-key-unpublished' }],
    code: 'BUCKET_POLICY_DENIES_STS',
    status: 'fail',
    names: ['statement Access-to-specific-VPCE-only', ALICE],
    undecided: ['JWKS_UNAVAILABLE'],
  },
  'bpa-and-audience': {
    faults: [{ fault: 'block-public-access' }, { fault: 'drop-audience' }],
    code: 'PUBLIC_ACCESS_BLOCKED',
    status: 'fail',
    names: ['Every role (7) fails', 'RestrictPublicBuckets', ALICE],
    also: ['AUDIENCE_MISSING'],
  },
  'trust-and-slow': {
    faults: [
      { fault: 'trust-subject-mismatch', role: role('trust-and-slow') },
      { fault: 'issuer-slow', ms: 1100 },
    ],
    code: 'TRUST_SUBJECT_MISMATCH',
    status: 'fail',
    names: [`Role ${role('trust-and-slow')} fails`],
    also: ['ISSUER_TOO_SLOW'],
  },
  'rotation-and-no-role': {
    faults: [{ fault: 'rotate-key-unpublished' }, { fault: 'delete-role', role: role('rotation-and-no-role') }],
    code: 'SIGNING_KEY_UNPUBLISHED',
    status: 'fail',
    names: ['which the published JWKS lacks'],
    also: ['ROLE_MISSING'],
  },
};

let lab: Lab;
let accountLab: Lab;
const diagnoses = new Map<string, Diagnosis>();
const results = new Map<string, ProbeResult[]>();

/** Every lab cluster's fresh token is verified as a user with verifyServiceAccount set would have it. */
const verifying = <T extends { signingKeys: object }>(c: T): T => ({
  ...c,
  signingKeys: { ...c.signingKeys, verifyServiceAccount: 'openshift-ingress-operator/ingress-operator' },
});

beforeAll(async () => {
  lab = await startTestLab({
    fleet: {
      clusters: Object.entries(SCENARIOS).map(([name, s]) => ({
        name,
        ...(s.topology && { topology: s.topology }),
        faults: s.faults,
      })),
      keyPool: 2,
    },
  });
  // Account-level Block Public Access breaks every cluster of the account: a lab of its own.
  accountLab = await startTestLab({ fleet: { clusters: [{ name: 'acct' }], keyPool: 1 } });
  await accountLab.applyFault({ fault: 'account-block-public-access' });
  for (const [l, names] of [
    [lab, Object.keys(SCENARIOS)],
    [accountLab, ['acct']],
  ] as const) {
    // The faults are in place before the first scan, so one CloudTrail scan serves every cluster, as in the agent.
    const runner = await createProbeRunner(l, { tweak: verifying, trailFreshMs: 600_000 });
    try {
      const limit = pLimit(4);
      await Promise.all(
        names.map((name) =>
          limit(async () => {
            const rs = await runner.run(name);
            results.set(name, rs);
            diagnoses.set(name, diagnose(rs));
          }),
        ),
      );
    } finally {
      await runner.close();
    }
  }
}, 240_000);
afterAll(async () => {
  await lab?.close();
  await accountLab?.close();
});

describe('the diagnosis of every lab fault, from real probe output', () => {
  it.each(Object.entries(SCENARIOS))('%s', (name, s) => {
    const d = diagnoses.get(name)!;
    expect(
      results
        .get(name)
        ?.map((r) => r.probe)
        .sort(),
    ).toEqual(['bucket', 'cloudtrail', 'issuer', 'jwks', 'roles']);
    expect({ code: d.code, status: d.status }, d.summary).toEqual({ code: s.code, status: s.status });
    for (const n of s.names) expect(d.summary).toMatch(typeof n === 'string' ? new RegExp(escape(n)) : n);
    expect(d.causes.slice(1).map((c) => c.code)).toEqual(s.also ?? []);
    for (const code of s.undecided ?? []) expect(d.undecided.map((e) => e.code)).toContain(code);
    if (s.code !== 'HEALTHY') expect(d.remediation?.length).toBeGreaterThan(40);
  });

  it('account-level Block Public Access by alice', () => {
    const d = diagnoses.get('acct')!;
    expect(d.code).toBe('PUBLIC_ACCESS_BLOCKED');
    expect(d.summary).toMatch(
      /RestrictPublicBuckets at the account level \(changed by arn:aws:iam::\d+:user\/alice at /,
    );
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
