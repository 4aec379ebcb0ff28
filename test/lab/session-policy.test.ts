// Session policies (docs/aws-facts.md 1.8): AssumeRoleWithWebIdentity's inline `Policy` limits the session to what both the
// role's identity policies and the session policy allow; GetCallerIdentity needs no permission. Through the real SDK.
import { GetRoleCommand, IAMClient, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetBucketPolicyCommand, ListBucketsCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.ts';
import { assumeIngressRole, sdkConfig, sessionConfig, startTestLab } from '../helpers/lab.ts';

const CLUSTER = 'prod-east';
const BUCKET = `${CLUSTER}-oidc`;
const DENY_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
const allowOnly = (...actions: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });

let lab: Lab;
let roleName: string;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
  roleName = `${CLUSTER}-openshift-ingress-operator-cloud-credentials`;
  // The role's own permissions, put by the administrator as an inline role policy.
  await new IAMClient(sdkConfig(lab, 'alice')).send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'ingress',
      PolicyDocument: allowOnly('s3:ListAllMyBuckets', 's3:GetBucketPolicy', 'iam:ListRoles'),
    }),
  );
});
afterAll(async () => {
  await lab?.close();
});

/** Clients signing with a fresh session of the ingress role, with `policy` as its session policy if given. */
async function session(policy?: string) {
  const out = await assumeIngressRole(lab, { cluster: CLUSTER, ...(policy !== undefined ? { policy } : {}) });
  const config = sessionConfig(lab, out.Credentials);
  return {
    out,
    arn: out.AssumedRoleUser!.Arn!,
    s3: new S3Client({ ...config, forcePathStyle: true }),
    iam: new IAMClient(config),
    sts: new STSClient(config),
  };
}

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('a session without a session policy', () => {
  it("has the role's own permissions, and only those", async () => {
    const { s3, iam, sts, arn, out } = await session();
    expect(out.PackedPolicySize).toBeUndefined();
    expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(arn);
    const buckets = await s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toContain(BUCKET);
    expect(JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy!)).toMatchObject({
      Statement: [{ Sid: 'AllowReadPublicAccess' }],
    });
    expect((await iam.send(new ListRolesCommand({}))).Roles?.map((r) => r.RoleName)).toContain(roleName);

    expect(await failure(iam.send(new GetRoleCommand({ RoleName: roleName })))).toMatchObject({
      name: 'AccessDenied',
      status: 403,
      message: expect.stringContaining('because no identity-based policy allows the iam:GetRole action'),
    });
    expect(await failure(s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: '{}' })))).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: `User: ${arn} is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${BUCKET}" because no identity-based policy allows the s3:PutBucketPolicy action`,
    });
  });
});

describe('a session with a session policy', () => {
  it('deny-all: GetCallerIdentity still answers; S3 and IAM calls are AccessDenied by the session policy', async () => {
    const { s3, iam, sts, arn, out } = await session(DENY_ALL);
    expect(out.PackedPolicySize).toEqual(expect.any(Number));
    // docs/aws-facts.md 1.8: no permission needed, an explicit deny notwithstanding.
    expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({ Arn: arn, Account: '111122223333' });
    expect(await failure(s3.send(new ListBucketsCommand({})))).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: `User: ${arn} is not authorized to perform: s3:ListAllMyBuckets with an explicit deny in a session policy`,
    });
    expect(await failure(s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET })))).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: `User: ${arn} is not authorized to perform: s3:GetBucketPolicy on resource: "arn:aws:s3:::${BUCKET}" with an explicit deny in a session policy`,
    });
    expect(await failure(iam.send(new ListRolesCommand({})))).toMatchObject({
      name: 'AccessDenied',
      status: 403,
      message: expect.stringMatching(
        new RegExp(
          `^User: ${arn} is not authorized to perform: iam:ListRoles on resource: .+ with an explicit deny in a session policy$`,
        ),
      ),
    });
  });

  it('grants only what both the role and the session policy allow', async () => {
    const { s3, iam, arn } = await session(allowOnly('s3:ListAllMyBuckets', 'iam:GetRole'));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain(BUCKET);
    // The role allows it, the session policy does not.
    expect(await failure(s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET })))).toMatchObject({
      message: `User: ${arn} is not authorized to perform: s3:GetBucketPolicy on resource: "arn:aws:s3:::${BUCKET}" because no session policy allows the s3:GetBucketPolicy action`,
    });
    // The session policy allows it, the role does not: a session policy cannot grant more than the role.
    expect(await failure(iam.send(new GetRoleCommand({ RoleName: roleName })))).toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('because no identity-based policy allows the iam:GetRole action'),
    });
  });
});

describe('AssumeRoleWithWebIdentity validates Policy and DurationSeconds as STS does', () => {
  const assumeFails = (policy: string) => failure(assumeIngressRole(lab, { cluster: CLUSTER, policy }));

  it('MalformedPolicyDocument for a policy that is not JSON or not an identity policy', async () => {
    expect(await assumeFails('{"Version": "2012-10-17", "Statement": [')).toMatchObject({
      name: 'MalformedPolicyDocumentException',
      status: 400,
      message: expect.stringContaining('not valid JSON'),
    });
    const withPrincipal = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }],
    });
    expect(await assumeFails(withPrincipal)).toMatchObject({
      name: 'MalformedPolicyDocumentException',
      message: 'Statement[0] must not specify a Principal',
    });
  });

  it('ValidationError past 2048 characters; PackedPolicyTooLarge past the packed limit; PackedPolicySize', async () => {
    const long = allowOnly(...Array.from({ length: 120 }, (_, i) => `s3:GetObjectVersion${i}`));
    expect(long.length).toBeGreaterThan(2048);
    expect(await assumeFails(long)).toMatchObject({
      name: 'ValidationError',
      status: 400,
      message: expect.stringContaining(
        "at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048",
      ),
    });
    // Only tab, newline, carriage return and U+0020..U+00FF are allowed (the STS model's pattern).
    expect(await assumeFails(allowOnly('s3:GetObject').replace('GetObject', 'GetObjectā'))).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining(
        "at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
      ),
    });
    // Under 2048 characters but barely compressible: Latin-1 letters (allowed by the model) in a random order.
    let seed = 7;
    const noise = Array.from({ length: 1900 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return String.fromCharCode(0xc0 + (seed % 63));
    }).join('');
    const dense = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${noise}` }],
    });
    expect(dense.length).toBeLessThanOrEqual(2048);
    expect(await assumeFails(dense)).toMatchObject({
      name: 'PackedPolicyTooLargeException',
      status: 400,
      message: expect.stringMatching(/^Packed size of session policies consumes \d{3}% of allotted space\.$/),
    });
    // The STS API reference's example session policy and its PackedPolicySize.
    const example = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'Stmt1', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
    });
    expect((await assumeIngressRole(lab, { cluster: CLUSTER, policy: example })).PackedPolicySize).toBe(6);
  });

  it('DurationSeconds sets how long the credentials last', async () => {
    const out = await assumeIngressRole(lab, { cluster: CLUSTER, durationSeconds: 900 });
    const left = out.Credentials!.Expiration!.getTime() - Date.now();
    expect(left).toBeGreaterThan(700_000);
    expect(left).toBeLessThanOrEqual(900_000);
  });
});
