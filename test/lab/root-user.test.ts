// The lab account's root user (docs/aws-facts.md 4.4): its identity as AWS shows it, and the bucket-policy exception.
import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ccoctlBucketPolicy } from '../../src/lab/clusters.ts';
import type { Lab } from '../../src/lab/index.ts';
import { sdkConfig, startTestLab } from '../helpers/lab.ts';

const ACCOUNT = '111122223333';
const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;
const BUCKET = 'solo-oidc';

let lab: Lab;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: 'solo' }], keyPool: 1 } });
});
afterAll(async () => {
  await lab?.close();
});
afterEach(async () => {
  await lab.heal();
});

describe('the root user', () => {
  it('is listed in info with keys of its own and answers GetCallerIdentity and GetUser as root', async () => {
    const users = lab.info().users;
    const root = users.find((u) => u.name === 'root');
    expect(root).toMatchObject({ arn: ROOT_ARN, accessKeyId: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/) });
    expect(users.filter((u) => u.secretAccessKey === root!.secretAccessKey)).toHaveLength(1);

    const me = await new STSClient(sdkConfig(lab, 'root')).send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Arn: ROOT_ARN, UserId: ACCOUNT, Account: ACCOUNT });

    const iam = new IAMClient(sdkConfig(lab, 'root'));
    expect((await iam.send(new GetUserCommand({}))).User).toMatchObject({ Arn: ROOT_ARN, UserId: ACCOUNT });
    // "root" is not an IAM user name.
    await expect(iam.send(new GetUserCommand({ UserName: 'root' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });
  });

  it('may Get, Put and Delete the bucket policy that denies it everything; nothing else', async () => {
    const denyRoot = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyEveryone',
          Effect: 'Deny',
          Principal: { AWS: ROOT_ARN },
          Action: 's3:*',
          Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        },
      ],
    });
    const root = new S3Client({ ...sdkConfig(lab, 'root'), forcePathStyle: true });
    await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: denyRoot }));
    expect((await root.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy).toBe(denyRoot);
    const denied = (action: string) =>
      `User: ${ROOT_ARN} is not authorized to perform: ${action} on resource: "arn:aws:s3:::${BUCKET}" with an explicit deny in a resource-based policy`;
    await expect(root.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: denied('s3:GetBucketPolicyStatus'),
    });
    await expect(
      root.send(new PutBucketTaggingCommand({ Bucket: BUCKET, Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] } })),
    ).rejects.toMatchObject({ name: 'AccessDenied', message: denied('s3:PutBucketTagging') });
    await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: ccoctlBucketPolicy(BUCKET) }));
    await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: denyRoot }));
    await root.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
    expect(lab.state.buckets.get(BUCKET)!.policy).toBeUndefined();
  });
});
