// The cloudtrail probe judges every recorded PutBucketPolicy for STS's anonymous reads of the issuer documents: a
// change still in force that leaves them denied is a warning naming the statement; one that keeps them readable is
// info (issue 9).
import { describe, expect, it } from 'vitest';
import { judgePolicy } from '../../../probes/cloudtrail/judge.ts';
import { changeFinding } from '../../../probes/cloudtrail/report.ts';
import type { BucketChangeEvent } from '../../../probes/shared/trail/changes.ts';
import { clusterDefaults } from '../../../src/config/defaults.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';
import {
  awsDocumentedVpceStatement,
  ccoctlReadStatement,
  denyOutsideVpceStatement,
  policyOf,
} from '../../helpers/policies.ts';

const BUCKET = 'mycluster-oidc';
const ACCOUNT = '123456789012';
const cluster: ClusterConfig = {
  name: 'mycluster',
  issuer: `https://${BUCKET}.s3.us-east-2.amazonaws.com`,
  region: 'us-east-2',
  labels: {},
  bucket: { name: BUCKET, region: 'us-east-2' },
  ...clusterDefaults('openshift'),
};
const OAI = 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHEXAMPLE';
const privateCluster: ClusterConfig = {
  ...cluster,
  issuer: 'https://d111111abcdef8.cloudfront.net',
  cloudfront: { originAccessIdentity: OAI },
};

const put = (policy: unknown): BucketChangeEvent => ({
  kind: 'bucket-change',
  eventId: 'e1',
  time: '2026-12-02T14:02:11.000Z',
  region: 'us-east-2',
  eventName: 'PutBucketPolicy',
  scope: 'bucket',
  bucket: BUCKET,
  actorArn: 'arn:aws:iam::123456789012:user/alice',
  policy,
});

describe('judging a recorded bucket policy', () => {
  it("leaves ccoctl's public read alone", () => {
    expect(judgePolicy(cluster, ACCOUNT, policyOf(ccoctlReadStatement(BUCKET)))).toBeUndefined();
  });

  it.each([
    ['a Deny on GetObject unless the VPC endpoint', denyOutsideVpceStatement(BUCKET), 'DenyOutsideVpce'],
    ["AWS's documented s3:* VPC-endpoint policy", awsDocumentedVpceStatement(BUCKET), 'Access-to-specific-VPCE-only'],
  ])('finds %s denies both documents, naming the statement', (_what, deny, sid) => {
    const j = judgePolicy(cluster, ACCOUNT, policyOf(ccoctlReadStatement(BUCKET), deny));
    expect(j).toMatchObject({
      documents: ['.well-known/openid-configuration', 'keys.json'],
      statement: sid,
      reason: 'explicit-deny',
    });
  });

  it('a policy granting nothing to anyone anonymous: no grant', () => {
    const j = judgePolicy(cluster, ACCOUNT, policyOf({ ...ccoctlReadStatement(BUCKET), Principal: { AWS: OAI } }));
    expect(j?.reason).toBe('no-grant');
  });

  it("a private bucket behind CloudFront: judged for the distribution's identity, not for STS", () => {
    const oai = {
      Sid: '1',
      Effect: 'Allow',
      Principal: { AWS: OAI },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    };
    expect(judgePolicy(privateCluster, ACCOUNT, policyOf(oai))).toBeUndefined();
    const stale = { ...oai, Principal: { AWS: OAI.replace('E2QWRUHEXAMPLE', 'E1STALEEXAMPLE') } };
    expect(judgePolicy(privateCluster, ACCOUNT, policyOf(stale))?.reason).toBe('no-grant');
  });
});

describe('BUCKET_POLICY_CHANGED_BY for a put policy', () => {
  const locking = policyOf(ccoctlReadStatement(BUCKET), awsDocumentedVpceStatement(BUCKET));

  it('warns, naming the statement, when the change is in force and denies STS', () => {
    const f = changeFinding(put(locking), true, judgePolicy(cluster, ACCOUNT, locking));
    expect(f.severity).toBe('warn');
    expect(f.message).toMatch(
      /alice put a new bucket policy on mycluster-oidc at .* It denies STS the issuer documents: Statement "Access-to-specific-VPCE-only" denies/,
    );
    expect(f.evidence?.denies).toEqual({
      documents: ['.well-known/openid-configuration', 'keys.json'],
      reason: 'explicit-deny',
      statement: 'Access-to-specific-VPCE-only',
    });
  });

  it('is info once a later change undid it, and info for a policy that keeps the documents readable', () => {
    expect(changeFinding(put(locking), false, judgePolicy(cluster, ACCOUNT, locking)).severity).toBe('info');
    const fine = policyOf(ccoctlReadStatement(BUCKET));
    const f = changeFinding(put(fine), true, judgePolicy(cluster, ACCOUNT, fine));
    expect(f.severity).toBe('info');
    expect(f.evidence).not.toHaveProperty('denies');
  });
});
