// The whole truth of a diagnosis: every decided cause (root first, each with its fix), what could not be decided, and
// a decided warning or failure never hidden behind an undecided link.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/diagnosis/diagnose.ts';
import { finding, FINDINGS } from '../../src/findings.ts';
import { clusterStatus, worst } from '../../src/core/model.ts';
import {
  ROLES,
  assumeFailed,
  audienceMissing,
  everyRoleFails,
  nextKeyNotPublished,
  permissionMissing,
  publicAccessBlocked,
  result,
  rolesResult,
  slow,
} from './results.ts';

const throttled = () =>
  finding('CLOUDTRAIL_THROTTLED', 'CloudTrail throttled LookupEvents (us-east-1); backing off until the next run.', {
    subject: 'us-east-1',
    evidence: { region: 'us-east-1', awsError: 'ThrottlingException' },
  });

describe('status: a decided problem outranks an undecided link', () => {
  it('warn beats unknown, fail beats both, unknown only beats ok', () => {
    expect(worst(['unknown', 'warn'])).toBe('warn');
    expect(worst(['warn', 'unknown', 'fail'])).toBe('fail');
    expect(worst(['ok', 'unknown'])).toBe('unknown');
    expect(clusterStatus([])).toBe('unknown');
  });
});

describe('a warn cause with another probe unknown', () => {
  const d = diagnose([result('issuer', [slow(3000)]), result('cloudtrail', [throttled()]), result('jwks', [])]);

  it('is the cause, with status warn, and the throttled scan is listed as undecided', () => {
    expect(d.code).toBe('ISSUER_TOO_SLOW');
    expect(d.status).toBe('warn');
    expect(d.summary).toMatch(/too slow for STS/);
    expect(d.remediation).toBe(FINDINGS.ISSUER_SLOW.remediation);
    expect(d.causes.map((c) => c.code)).toEqual(['ISSUER_TOO_SLOW']);
    expect(d.undecided.map((e) => [e.probe, e.code])).toEqual([['cloudtrail', 'CLOUDTRAIL_THROTTLED']]);
  });

  it('keeps who changed the bucket when the cloudtrail probe is unknown elsewhere', () => {
    const withBlock = diagnose([
      result('bucket', [publicAccessBlocked('bucket')]),
      result('cloudtrail', [throttled()]),
      everyRoleFails('ASSUME_KEY_RETRIEVAL_FAILED'),
    ]);
    expect(withBlock.code).toBe('PUBLIC_ACCESS_BLOCKED');
    expect(withBlock.status).toBe('fail');
    expect(withBlock.undecided.map((e) => e.code)).toEqual(['CLOUDTRAIL_THROTTLED']);
  });

  it('is UNKNOWN only when nothing is decided', () => {
    const only = diagnose([result('cloudtrail', [throttled()]), result('issuer', [])]);
    expect(only.code).toBe('UNKNOWN');
    expect(only.status).toBe('unknown');
    expect(only.causes).toEqual([]);
    expect(only.summary).toMatch(/^Some links could not be checked: CloudTrail throttled/);
  });
});

describe("the agent's own credentials refused", () => {
  const rejected = (action: string) =>
    finding(
      'AWS_CREDENTIALS_REJECTED',
      `${action}: ExpiredToken: The security token included in the request is expired`,
      {
        evidence: { action, awsError: 'ExpiredToken' },
      },
    );

  it('says the agent is blind, naming the probes, before the other undecided links', () => {
    const d = diagnose([
      result('issuer', []),
      result('cloudtrail', [throttled()]),
      result('bucket', [rejected('s3:GetBucketPolicy')]),
      result('jwks', [rejected('iam:GetOpenIDConnectProvider')]),
    ]);
    expect(d.code).toBe('AGENT_CREDENTIALS_REJECTED');
    expect(d.status).toBe('unknown');
    expect(d.summary).toMatch(
      /^AWS refused the agent's own credentials \(bucket, jwks\); 1 more link\(s\) undecided: /,
    );
    expect(d.remediation).toBe(FINDINGS.AWS_CREDENTIALS_REJECTED.remediation);
    expect(d.evidence.map((e) => e.code)).toEqual([
      'AWS_CREDENTIALS_REJECTED',
      'AWS_CREDENTIALS_REJECTED',
      'CLOUDTRAIL_THROTTLED',
    ]);
  });

  it('does not hide a decided cause: the refusal stays among the undecided', () => {
    const d = diagnose([result('issuer', [slow(3000)]), result('bucket', [rejected('s3:GetBucketPolicy')])]);
    expect(d.code).toBe('ISSUER_TOO_SLOW');
    expect(d.undecided.map((e) => e.code)).toEqual(['AWS_CREDENTIALS_REJECTED']);
  });
});

describe('two independent causes', () => {
  const d = diagnose([
    result('bucket', [publicAccessBlocked('account')]),
    result('jwks', [audienceMissing('openshift')]),
    everyRoleFails('ASSUME_KEY_RETRIEVAL_FAILED'),
  ]);

  it('names the root cause first, then the cause it does not explain, each with its fix', () => {
    expect(d.code).toBe('PUBLIC_ACCESS_BLOCKED');
    expect(d.causes.map((c) => [c.code, c.status])).toEqual([
      ['PUBLIC_ACCESS_BLOCKED', 'fail'],
      ['AUDIENCE_MISSING', 'fail'],
    ]);
    expect(d.causes[1]?.remediation).toBe(FINDINGS.OIDC_PROVIDER_AUDIENCE_MISSING.remediation);
    expect(d.causes[1]?.summary).toMatch(/audience is missing from the IAM OIDC provider/);
  });

  it('credits the failing roles to the root cause only, never as a third cause', () => {
    expect(d.causes[0]?.summary).toMatch(/^Every role \(7\) fails with Couldn't retrieve verification key/);
    expect(d.causes.some((c) => c.code === 'KEY_RETRIEVAL_FAILS')).toBe(false);
  });

  it('lists a warning no rule names after the failing causes, and no undecided link a cause explains', () => {
    const withWarning = diagnose([
      result('bucket', [publicAccessBlocked('bucket')]),
      result('jwks', [nextKeyNotPublished()]),
      rolesResult(
        ROLES.map((r) => [r, [assumeFailed('ASSUME_KEY_RETRIEVAL_FAILED', r)]]),
        [permissionMissing('iam:GetRole', 'us-east-1')],
      ),
    ]);
    expect(withWarning.causes.map((c) => c.code)).toEqual(['PUBLIC_ACCESS_BLOCKED', 'DEGRADED']);
    expect(withWarning.causes[1]?.status).toBe('warn');
    expect(withWarning.undecided.map((e) => e.code)).toEqual(['AWS_PERMISSION_MISSING']);
  });
});
