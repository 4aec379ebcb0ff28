// Properties each of the two readings of S3's access rules must have on its own (differential.test.ts holds them
// against each other): the probes' evaluator (probes/shared/s3-read/eval.ts) and the lab's (src/lab/s3-access.ts).
// On generated cases (arbitraries.ts), for every reader and issuer document:
// - the same question gets the same answer (no state carried between evaluations);
// - an explicit Deny of s3:GetObject on the bucket's objects for every principal, without condition, denies every read;
// - the order of the statements changes nothing;
// - a statement about something else (another action, other objects of the bucket; not public) changes nothing;
// - without any Allow statement, nothing is read (a bucket ACL never grants s3:GetObject).
// Fixed seed, bounded runs: a few hundred milliseconds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, BUCKET, DOCUMENTS, READERS, diffCase } from './arbitraries.ts';
import type { DiffCase, Statement } from './arbitraries.ts';
import { labBucket, probeRead } from './readings.ts';

const SEED = 20261207;
const RUNS = 150;

/** Every (reader, document) verdict of both readings, or undefined when S3 refuses the policy (not compared). */
function verdicts(c: DiffCase): { probe: string[]; lab: string[] } | undefined {
  const lab = labBucket(c);
  if (lab.refused !== undefined) return undefined;
  const probe: string[] = [];
  const labs: string[] = [];
  for (const r of READERS)
    for (const doc of DOCUMENTS) {
      const key = c.prefix + doc;
      const v = probeRead(c, key, r);
      if (v.reason === 'policy-invalid') return undefined;
      probe.push(`${r.name} ${key}: ${v.allowed}`);
      labs.push(`${r.name} ${key}: ${lab.allows(r, key)}`);
    }
  return { probe, lab: labs };
}

const withStatements = (c: DiffCase, statements: Statement[]): DiffCase => ({
  ...c,
  policy: { ...c.policy, Statement: statements },
});

const DENY_ALL_READS: Statement = {
  Sid: 'DenyEveryRead',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};

/**
 * Statements about something else than reading the issuer documents. None is public: an Allow to everyone, even of
 * another action, makes the policy public, and under RestrictPublicBuckets a public policy does change who may read.
 */
const UNRELATED: Statement[] = [
  {
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/writer` },
    Action: 's3:PutObject',
    Resource: `arn:aws:s3:::${BUCKET}/*`,
  },
  { Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
  { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/unrelated/*` },
  { Effect: 'Deny', Principal: '*', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}` },
];

const property = (check: (c: DiffCase) => void) =>
  fc.assert(fc.property(diffCase, check), { seed: SEED, numRuns: RUNS });

describe('each reading of S3 access on its own (fast-check)', () => {
  it('answers the same question the same way', () => {
    let compared = 0;
    property((c) => {
      const first = verdicts(c);
      if (first === undefined) return;
      compared++;
      expect(verdicts(c)).toEqual(first);
    });
    expect(compared).toBeGreaterThan(RUNS / 2);
  });

  it('denies every read under an explicit Deny of s3:GetObject for everyone', () => {
    let allowedBefore = 0;
    property((c) => {
      const before = verdicts(c);
      const after = verdicts(withStatements(c, [...c.policy.Statement, DENY_ALL_READS]));
      if (before === undefined || after === undefined) return;
      allowedBefore += before.probe.filter((v) => v.endsWith('true')).length;
      expect(after.probe.every((v) => v.endsWith('false'))).toBe(true);
      expect(after.lab.every((v) => v.endsWith('false'))).toBe(true);
    });
    // Some reads were allowed before the Deny: the property is not vacuous.
    expect(allowedBefore).toBeGreaterThan(0);
  });

  it('does not depend on the order of the statements', () => {
    property((c) => {
      const forward = verdicts(c);
      const backward = verdicts(withStatements(c, [...c.policy.Statement].reverse()));
      if (forward === undefined || backward === undefined) return;
      expect(backward).toEqual(forward);
    });
  });

  it('does not change a verdict for a statement about something else', () => {
    fc.assert(
      fc.property(diffCase, fc.constantFrom(...UNRELATED), fc.nat(), (c, extra, at) => {
        const before = verdicts(c);
        const statements = [...c.policy.Statement];
        statements.splice(at % (statements.length + 1), 0, extra);
        const after = verdicts(withStatements(c, statements));
        if (before === undefined || after === undefined) return;
        expect(after).toEqual(before);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('reads nothing without an Allow statement, whatever the ACL', () => {
    property((c) => {
      const denies = c.policy.Statement.filter((s) => s.Effect !== 'Allow');
      const after = verdicts(withStatements(c, denies.length > 0 ? denies : [DENY_ALL_READS]));
      if (after === undefined) return;
      expect(after.probe.every((v) => v.endsWith('false'))).toBe(true);
      expect(after.lab.every((v) => v.endsWith('false'))).toBe(true);
    });
  });
});
