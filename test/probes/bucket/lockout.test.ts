// The bucket probe when the bucket policy locks the agent out (docs/aws-facts.md 4.4): which reads its own policy refused (S3's
// enhanced message), the verdict from the newest recorded PutBucketPolicy / DeleteBucketPolicy (real CloudTrail record
// shapes, test/fixtures/cloudtrail), and what it can still establish with no record.
import { readFileSync } from 'node:fs';
import type { Event } from '@aws-sdk/client-cloudtrail';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../src/clients/aws.ts';
import type { TrailQuery, TrailScanner } from '../../../src/clients/trail.ts';
import { TrailError } from '../../../src/clients/trail.ts';
import type { BucketRead } from '../../../probes/bucket/facts.ts';
import { lockedOutActions, lockedOutVerdicts } from '../../../probes/bucket/lockout.ts';
import type { IssuerDocument } from '../../../probes/shared/s3-read/documents.ts';
import { clusterDefaults } from '../../../src/config/defaults.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';

const BUCKET = 'mycluster-oidc';
const REGION = 'us-east-2';
const cluster: ClusterConfig = {
  name: 'mycluster',
  issuer: `https://${BUCKET}.s3.${REGION}.amazonaws.com`,
  region: REGION,
  labels: {},
  bucket: { name: BUCKET, region: REGION },
  ...clusterDefaults('openshift'),
};

const record = (file: string, patch: (r: Record<string, unknown>) => void = () => {}): Event => {
  const r = JSON.parse(readFileSync(new URL(`../../fixtures/cloudtrail/${file}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
  patch(r);
  return {
    EventId: r.eventID as string,
    EventName: r.eventName as string,
    EventTime: new Date(r.eventTime as string),
    EventSource: r.eventSource as string,
    CloudTrailEvent: JSON.stringify(r),
  };
};

const DENY_STATEMENT = {
  Sid: 'Access-to-specific-VPCE-only',
  Principal: '*',
  Action: 's3:*',
  Effect: 'Deny',
  Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
  Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } },
};

/** alice's PutBucketPolicy adding AWS's documented VPC-endpoint Deny, as CloudTrail records it. */
const lockingPut = record('s3-PutBucketPolicy-2025.json', (r) => {
  const params = r.requestParameters as { bucketPolicy: { Statement: unknown[] } };
  params.bucketPolicy.Statement.push(DENY_STATEMENT);
  (r.userIdentity as { arn: string }).arn = 'arn:aws:iam::123456789012:user/alice';
  r.eventTime = '2026-12-02T14:02:11Z';
  r.eventID = 'put-2026';
});

/** AWS clients whose only use here is the shared CloudTrail scan, answering with these LookupEvents events. */
function awsWith(events: Event[] | TrailError): AwsClients {
  const trail: TrailScanner = {
    window<T>(query: TrailQuery<T>) {
      if (events instanceof TrailError) return Promise.reject(events);
      const items = events
        .filter((e) => e.EventName === query.lookup.AttributeValue)
        .flatMap((e) => {
          const value = query.map(e);
          return value === undefined ? [] : [{ eventId: e.EventId!, time: e.EventTime!, value }];
        });
      const now = new Date();
      return Promise.resolve({ items, from: now, to: now, scannedAt: now, calls: 1, truncated: false });
    },
  };
  return { accountId: '123456789012', region: REGION, trail: () => trail } as unknown as AwsClients;
}

const ENHANCED = (action: string) =>
  `User: arn:aws:iam::123456789012:role/irsa-sentinel is not authorized to perform: ${action} on resource: "arn:aws:s3:::${BUCKET}" with an explicit deny in a resource-based policy`;

const lockedRead = (): BucketRead => ({
  facts: { bucket: BUCKET, ownerAccountId: '123456789012' },
  bucketMissing: false,
  unreadable: [
    ...['s3:GetBucketPolicy', 's3:GetBucketPolicyStatus', 's3:GetBucketPublicAccessBlock', 's3:GetBucketAcl'].map(
      (action) => ({ action, awsError: 'AccessDenied', message: ENHANCED(action) }),
    ),
  ],
});

const documents = (status?: number): IssuerDocument[] => [
  {
    url: `${cluster.issuer}/.well-known/openid-configuration`,
    key: '.well-known/openid-configuration',
    ...(status && { status }),
  },
  { url: `${cluster.issuer}/keys.json`, key: 'keys.json', ...(status && { status }) },
];

const signal = new AbortController().signal;

describe('bucket probe, locked out by the bucket policy', () => {
  it('tells a refusal by the bucket policy (enhanced message) from a bare Access Denied', () => {
    const read = lockedRead();
    read.unreadable.push({
      action: 's3:GetAccountPublicAccessBlock',
      awsError: 'AccessDenied',
      message: 'Access Denied',
    });
    expect(lockedOutActions(read)).toEqual([
      's3:GetBucketPolicy',
      's3:GetBucketPolicyStatus',
      's3:GetBucketPublicAccessBlock',
      's3:GetBucketAcl',
    ]);
  });

  it('judges the policy of the newest PutBucketPolicy record: the statement, its source and its author', async () => {
    const older = record('s3-PutBucketPolicy-2019.json');
    const findings = await lockedOutVerdicts(
      cluster,
      awsWith([older, lockingPut]),
      lockedRead(),
      documents(403),
      signal,
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      code: 'BUCKET_ANONYMOUS_READ_DENIED',
      severity: 'fail',
      evidence: {
        statement: 'Access-to-specific-VPCE-only',
        reason: 'explicit-deny',
        documents: ['.well-known/openid-configuration', 'keys.json'],
        source: {
          kind: 'cloudtrail',
          eventId: 'put-2026',
          eventName: 'PutBucketPolicy',
          time: '2026-12-02T14:02:11.000Z',
          actor: 'arn:aws:iam::123456789012:user/alice',
        },
      },
    });
    expect(findings[0]?.message).toMatch(
      /as arn:aws:iam::123456789012:user\/alice set it at 2026-12-02T14:02:11.000Z, CloudTrail event put-2026/,
    );
  });

  it('says nothing the recorded policy does not decide: a policy that allows the read leaves it to the GET', async () => {
    const allowing = record('s3-PutBucketPolicy-2025.json');
    expect(await lockedOutVerdicts(cluster, awsWith([allowing]), lockedRead(), documents(200), signal)).toEqual([]);
  });

  it('a newest DeleteBucketPolicy means no policy: nothing grants the read', async () => {
    const deleted = record('s3-DeleteBucketPolicy.json', (r) => {
      r.eventTime = '2026-12-03T00:00:00Z';
      (r.requestParameters as { bucketName: string }).bucketName = BUCKET;
    });
    const findings = await lockedOutVerdicts(
      cluster,
      awsWith([lockingPut, deleted]),
      lockedRead(),
      documents(403),
      signal,
    );
    expect(
      findings.map((f) => [f.code, (f.evidence as { source?: { eventName?: string } }).source?.eventName]),
    ).toEqual([['BUCKET_POLICY_MISSING', 'DeleteBucketPolicy']]);
  });

  it('with no record, and anonymous GETs refused, names the likely cause without a statement', async () => {
    for (const trail of [[], new TrailError('TRAIL_THROTTLED', 'throttled')]) {
      const findings = await lockedOutVerdicts(cluster, awsWith(trail), lockedRead(), documents(403), signal);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        code: 'BUCKET_ANONYMOUS_READ_DENIED',
        evidence: { reason: 'explicit-deny', source: { kind: 'inferred' } },
      });
      expect(findings[0]?.message).toMatch(
        /answer 403, and the policy of mycluster-oidc denies the agent's own reads too/,
      );
    }
  });

  it('with no record and the documents readable, establishes nothing more than the lockout', async () => {
    expect(await lockedOutVerdicts(cluster, awsWith([]), lockedRead(), documents(200), signal)).toEqual([]);
  });
});
