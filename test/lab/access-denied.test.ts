// S3's enhanced access-denied messages (docs/aws-facts.md 4.4): a signed caller of the bucket owner's account learns which
// kind of policy refused it and how; anonymous callers get the bare "Access Denied". CloudTrail records the same.
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccoctlBucketPolicy } from '../../src/lab/clusters.ts';
import type { Lab } from '../../src/lab/index.ts';
import { assumeIngressRole, sdkConfig, sessionConfig, startTestLab } from '../helpers/lab.ts';

const CLUSTER = 'prod-east';
const BUCKET = `${CLUSTER}-oidc`;
const BUCKET_ARN = `"arn:aws:s3:::${BUCKET}"`;
const USER = (name: string) => `arn:aws:iam::111122223333:user/${name}`;

let lab: Lab;
const s3 = (user: string) => new S3Client({ ...sdkConfig(lab, user), forcePathStyle: true });

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
});
afterAll(async () => {
  await lab?.close();
});

async function refusal(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected AccessDenied');
}

const refused = (message: string) => ({ name: 'AccessDenied', status: 403, message });

describe('identity-based policies', () => {
  it('no Allow: "because no identity-based policy allows the <action> action"', async () => {
    expect(await refusal(s3('nobody').send(new GetBucketAclCommand({ Bucket: BUCKET })))).toEqual(
      refused(
        `User: ${USER('nobody')} is not authorized to perform: s3:GetBucketAcl on resource: ${BUCKET_ARN} because no identity-based policy allows the s3:GetBucketAcl action`,
      ),
    );
  });

  it('an explicit Deny (a role policy) wins over the Allow of another: "with an explicit deny in an identity-based policy"', async () => {
    const iam = new IAMClient(sdkConfig(lab, 'alice'));
    const roleName = `${CLUSTER}-openshift-ingress-operator-cloud-credentials`;
    const put = (name: string, effect: string) =>
      iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: name,
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: effect, Action: 's3:GetBucketTagging', Resource: '*' }],
          }),
        }),
      );
    await put('allow-tags', 'Allow');
    await put('deny-tags', 'Deny');
    const out = await assumeIngressRole(lab, { cluster: CLUSTER });
    const session = new S3Client({ ...sessionConfig(lab, out.Credentials), forcePathStyle: true });
    expect(await refusal(session.send(new GetBucketTaggingCommand({ Bucket: BUCKET })))).toEqual(
      refused(
        `User: ${out.AssumedRoleUser!.Arn} is not authorized to perform: s3:GetBucketTagging on resource: ${BUCKET_ARN} with an explicit deny in an identity-based policy`,
      ),
    );
  });
});

describe('resource-based policies', () => {
  it('an explicit Deny in the bucket policy beats an identity Allow: "with an explicit deny in a resource-based policy"', async () => {
    const policy = JSON.parse(ccoctlBucketPolicy(BUCKET)) as { Statement: unknown[] };
    policy.Statement.push({
      Sid: 'NoAclReads',
      Effect: 'Deny',
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: 's3:GetBucketAcl',
      Resource: `arn:aws:s3:::${BUCKET}`,
    });
    const alice = s3('alice');
    await alice.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(policy) }));
    try {
      expect(await refusal(alice.send(new GetBucketAclCommand({ Bucket: BUCKET })))).toEqual(
        refused(
          `User: ${USER('alice')} is not authorized to perform: s3:GetBucketAcl on resource: ${BUCKET_ARN} with an explicit deny in a resource-based policy`,
        ),
      );
      // Still allowed: the statement denies only s3:GetBucketAcl.
      expect((await alice.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy).toBeDefined();
    } finally {
      await lab.heal();
    }
  });
});

describe('who gets the bare message', () => {
  it('anonymous callers: "Access Denied" alone', async () => {
    const dispatcher = new Agent({ connect: { ca: lab.caPem } });
    try {
      const res = await request(`${lab.endpoint}/${BUCKET}?acl`, { dispatcher });
      expect(res.statusCode).toBe(403);
      const body = await res.body.text();
      expect(body).toMatch(/<Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/);
    } finally {
      await dispatcher.close();
    }
  });
});

describe('CloudTrail', () => {
  it('records a refused write with errorCode AccessDenied and the same enhanced message', async () => {
    const refusedPut = await refusal(
      s3('sentinel').send(
        new PutPublicAccessBlockCommand({
          Bucket: BUCKET,
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
        }),
      ),
    );
    expect(refusedPut.message).toBe(
      `User: ${USER('sentinel')} is not authorized to perform: s3:PutBucketPublicAccessBlock on resource: ${BUCKET_ARN} because no identity-based policy allows the s3:PutBucketPublicAccessBlock action`,
    );
    const trail = new CloudTrailClient(sdkConfig(lab, 'alice'));
    const { Events } = await trail.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutBucketPublicAccessBlock' }],
      }),
    );
    const record = JSON.parse(Events![0]!.CloudTrailEvent!) as Record<string, unknown>;
    expect(record).toMatchObject({
      userIdentity: { type: 'IAMUser', userName: 'sentinel' },
      errorCode: 'AccessDenied',
      errorMessage: refusedPut.message,
    });
  });
});
