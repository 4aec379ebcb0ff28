// bucket-policy-deny-non-vpce in AWS's documented form (docs/aws-facts.md 4.4): one Deny s3:* statement that shuts out every
// caller not using the VPC endpoint, the account's own included; only the root user keeps the bucket-policy calls.
import {
  DeleteBucketPolicyCommand,
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetPublicAccessBlockCommand,
  PutBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ccoctlBucketPolicy } from '../../src/lab/clusters.ts';
import { FaultError } from '../../src/lab/faults.ts';
import type { Lab } from '../../src/lab/index.ts';
import { sdkConfig, startTestLab } from '../helpers/lab.ts';

const CLUSTER = 'prod-east';
const BUCKET = `${CLUSTER}-oidc`;
const VPCE = 'vpce-1a2b3c4d';
const ACCOUNT = '111122223333';

let lab: Lab;
let anonymous: Agent;
const s3 = (user: string) => new S3Client({ ...sdkConfig(lab, user), forcePathStyle: true });

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
  anonymous = new Agent({ connect: { ca: lab.caPem } });
});
afterAll(async () => {
  await anonymous?.close();
  await lab?.close();
});
afterEach(async () => {
  await lab.heal();
});

const storedPolicy = () => JSON.parse(lab.state.buckets.get(BUCKET)!.policy!) as { Statement: unknown[] };

async function denial(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected AccessDenied');
}

const explicitDeny = (who: string, action: string) => ({
  name: 'AccessDenied',
  status: 403,
  message: `User: ${who} is not authorized to perform: ${action} on resource: "arn:aws:s3:::${BUCKET}" with an explicit deny in a resource-based policy`,
});

describe('bucket-policy-deny-non-vpce `form`', () => {
  it('get-object (default): the DenyOutsideVpce statement on s3:GetObject, as before', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'bucket-policy-deny-non-vpce', vpce: VPCE });
    expect(storedPolicy().Statement.at(-1)).toEqual({
      Sid: 'DenyOutsideVpce',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
      Condition: { StringNotEquals: { 'aws:SourceVpce': VPCE } },
    });
    // The account's principals keep their bucket calls.
    expect((await s3('sentinel').send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET }))).PolicyStatus).toEqual({
      IsPublic: true,
    });
  });

  it('aws-documented: exactly the S3 User Guide statement, added to the healthy policy', async () => {
    await lab.applyFault({
      cluster: CLUSTER,
      fault: 'bucket-policy-deny-non-vpce',
      form: 'aws-documented',
      vpce: VPCE,
    });
    expect(storedPolicy().Statement).toEqual([
      ...(JSON.parse(ccoctlBucketPolicy(BUCKET)) as { Statement: unknown[] }).Statement,
      {
        Sid: 'Access-to-specific-VPCE-only',
        Principal: '*',
        Action: 's3:*',
        Effect: 'Deny',
        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        Condition: { StringNotEquals: { 'aws:SourceVpce': VPCE } },
      },
    ]);
  });

  it('refuses an unknown form, naming the allowed ones', async () => {
    const applied = lab.applyFault({ cluster: CLUSTER, fault: 'bucket-policy-deny-non-vpce', form: 'strict' });
    await expect(applied).rejects.toBeInstanceOf(FaultError);
    await expect(applied).rejects.toMatchObject({
      code: 'InvalidParameter',
      message: 'form must be one of: get-object, aws-documented',
    });
  });
});

describe('with the aws-documented policy in place', () => {
  it("refuses the agent's reads with the enhanced explicit-deny message, anonymous GETs with bare Access Denied", async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'bucket-policy-deny-non-vpce', form: 'aws-documented' });
    const sentinel = s3('sentinel');
    const who = `arn:aws:iam::${ACCOUNT}:user/sentinel`;
    expect(await denial(sentinel.send(new GetBucketPolicyCommand({ Bucket: BUCKET })))).toEqual(
      explicitDeny(who, 's3:GetBucketPolicy'),
    );
    expect(await denial(sentinel.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET })))).toEqual(
      explicitDeny(who, 's3:GetBucketPolicyStatus'),
    );
    expect(await denial(sentinel.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET })))).toEqual(
      explicitDeny(who, 's3:GetBucketPublicAccessBlock'),
    );
    expect(await denial(sentinel.send(new GetBucketAclCommand({ Bucket: BUCKET })))).toEqual(
      explicitDeny(who, 's3:GetBucketAcl'),
    );

    const res = await request(`${lab.endpoint}/${BUCKET}/.well-known/openid-configuration`, { dispatcher: anonymous });
    expect(res.statusCode).toBe(403);
    const body = await res.body.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain('<Message>Access Denied</Message>');
    // Through the endpoint the policy names, the documents are served.
    const inside = await request(`${lab.endpoint}/${BUCKET}/keys.json`, {
      dispatcher: anonymous,
      headers: { 'x-lab-source-vpce': 'vpce-0a1b2c3d4e5f60718' },
    });
    expect(inside.statusCode).toBe(200);
    await inside.body.dump();
  });

  it("locks alice out of the bucket policy; the root user's policy calls still go through", async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'bucket-policy-deny-non-vpce', form: 'aws-documented' });
    const healthy = ccoctlBucketPolicy(BUCKET);
    expect(await denial(s3('alice').send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: healthy })))).toEqual(
      explicitDeny(`arn:aws:iam::${ACCOUNT}:user/alice`, 's3:PutBucketPolicy'),
    );
    const root = s3('root');
    // docs/aws-facts.md 4.4: no exception for other actions.
    expect(await denial(root.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET })))).toEqual(
      explicitDeny(`arn:aws:iam::${ACCOUNT}:root`, 's3:GetBucketPolicyStatus'),
    );
    const got = await root.send(new GetBucketPolicyCommand({ Bucket: BUCKET }));
    expect(JSON.parse(got.Policy!)).toEqual(storedPolicy());
    await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: healthy }));
    expect(lab.state.buckets.get(BUCKET)!.policy).toBe(healthy);
    // Lifted: alice may again.
    await s3('alice').send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
    expect(lab.state.buckets.get(BUCKET)!.policy).toBeUndefined();
  });

  it('`actor` makes the change as another lab user: root may; nobody may not', async () => {
    await expect(
      lab.applyFault({
        cluster: CLUSTER,
        fault: 'bucket-policy-deny-non-vpce',
        form: 'aws-documented',
        actor: 'nobody',
      }),
    ).rejects.toMatchObject({ code: 'FaultFailed', message: expect.stringContaining('HTTP 403') });
    await lab.applyFault({
      cluster: CLUSTER,
      fault: 'bucket-policy-deny-non-vpce',
      form: 'aws-documented',
      actor: 'root',
    });
    const put = lab.state.trail.findLast((e) => e.eventName === 'PutBucketPolicy' && !e.record.errorCode);
    expect(put?.record).toMatchObject({
      userIdentity: { type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root`, principalId: ACCOUNT },
      requestParameters: { bucketName: BUCKET },
    });
    expect(put?.username).toBe('root');
  });
});

describe('heal after the lockout', () => {
  it('restores the policy as root (alice is refused), then the account settings as alice; CloudTrail says who', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'bucket-policy-deny-non-vpce', form: 'aws-documented' });
    await lab.applyFault({ fault: 'account-block-public-access' });
    const from = lab.state.trail.length;
    await lab.heal();
    expect(lab.state.buckets.get(BUCKET)!.policy).toBe(ccoctlBucketPolicy(BUCKET));
    const restoring = lab.state.trail.slice(from).map((e) => [e.eventName, e.username, e.record.errorCode ?? 'ok']);
    expect(restoring).toEqual([
      ['DeleteAccountPublicAccessBlock', 'alice', 'ok'],
      ['PutBucketPolicy', 'root', 'ok'],
    ]);
    // The agent reads again.
    expect((await s3('sentinel').send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET }))).PolicyStatus).toEqual({
      IsPublic: true,
    });
  });
});
