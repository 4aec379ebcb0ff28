// Acceptance: the AWS SDK v3 clients, configured only with the lab's endpoint, CA, region and a user's keys,
// reproduce each outcome of the field runbooks.
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { GetOpenIDConnectProviderCommand, IAMClient, ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import {
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand as PutAccountPab,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signServiceAccountToken } from '../../src/lab/clusters.ts';
import type { Lab } from '../../src/lab/index.ts';
import { sdkConfig, startTestLab } from '../helpers/lab.ts';

// On the wire the message has two spaces after "provider," (docs/aws-facts.md 1.3; asserted byte-exact in sts.test.ts);
// the SDK's XML parser folds them. The SDK names the modelled exception for the wire code InvalidIdentityToken.
const KEY_ERROR =
  /^Couldn't retrieve verification key from your identity provider,\s+please reference AssumeRoleWithWebIdentity documentation for requirements$/;
const INVALID_TOKEN = 'InvalidIdentityTokenException';

let lab: Lab;
const CLUSTER = 'prod-east';

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }, { name: 'prod-west' }], keyPool: 2 } });
});
afterAll(async () => {
  await lab?.close();
});
afterEach(async () => {
  await lab.heal();
});

const cluster = () => lab.info().clusters.find((c) => c.name === CLUSTER)!;
const ingressRole = () => cluster().roles.find((r) => r.endsWith('openshift-ingress-operator-cloud-credentials'))!;

/** A token for the ingress operator's service account, from the cluster's TokenRequest API via client-node. */
async function ingressToken(audience = 'openshift'): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromString(lab.kubeconfig());
  kc.setCurrentContext(CLUSTER);
  const api = kc.makeApiClient(CoreV1Api);
  const tr = await api.createNamespacedServiceAccountToken({
    name: 'ingress-operator',
    namespace: 'openshift-ingress-operator',
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: [audience], expirationSeconds: 600 },
    },
  });
  return tr.status!.token!;
}

async function assume(token: string, roleArn = ingressRole()) {
  const sts = new STSClient(sdkConfig(lab));
  return sts.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: roleArn,
      RoleSessionName: 'irsa-sentinel-test',
      WebIdentityToken: token,
    }),
  );
}

async function assumeError(
  token: string,
  roleArn = ingressRole(),
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await assume(token, roleArn);
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return {
      name: e.name,
      message: e.message,
      ...(e.$metadata?.httpStatusCode ? { status: e.$metadata.httpStatusCode } : {}),
    };
  }
  throw new Error('AssumeRoleWithWebIdentity succeeded but an error was expected');
}

describe('lab with the AWS SDK v3', () => {
  it("assumes the ingress operator's role with a TokenRequest token, with every field AWS returns", async () => {
    const out = await assume(await ingressToken());
    const c = cluster();
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(out.Credentials?.SecretAccessKey).toBeTruthy();
    expect(out.Credentials?.SessionToken).toBeTruthy();
    expect(out.Credentials?.Expiration?.getTime()).toBeGreaterThan(Date.now());
    expect(out.SubjectFromWebIdentityToken).toBe('system:serviceaccount:openshift-ingress-operator:ingress-operator');
    expect(out.Audience).toBe('openshift');
    expect(out.Provider).toBe(c.oidcProviderArn);
    const roleName = ingressRole().split('/').pop()!;
    expect(out.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${lab.info().accountId}:assumed-role/${roleName}/irsa-sentinel-test`,
    );
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z0-9]+:irsa-sentinel-test$/);

    // The issued credentials are real: GetCallerIdentity signed with them names the assumed role.
    const sts = new STSClient({
      ...sdkConfig(lab),
      credentials: {
        accessKeyId: out.Credentials!.AccessKeyId!,
        secretAccessKey: out.Credentials!.SecretAccessKey!,
        sessionToken: out.Credentials!.SessionToken!,
      },
    });
    const who = await sts.send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(out.AssumedRoleUser?.Arn);
    expect(who.Account).toBe(lab.info().accountId);
  });

  it('fails with "Couldn\'t retrieve verification key" after alice adds a Deny-unless-VPCE bucket policy, and works again when healed', async () => {
    const c = cluster();
    const s3 = new S3Client({ ...sdkConfig(lab, 'alice'), forcePathStyle: true });
    const current = await s3.send(new GetBucketPolicyCommand({ Bucket: c.bucket }));
    const policy = JSON.parse(current.Policy!) as { Statement: unknown[] };
    policy.Statement.push({
      Sid: 'DenyOutsideVpce',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${c.bucket}/*`,
      Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-0123456789abcdef0' } },
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket: c.bucket, Policy: JSON.stringify(policy) }));

    const token = await ingressToken();
    expect(await assumeError(token)).toEqual({
      name: INVALID_TOKEN,
      message: expect.stringMatching(KEY_ERROR),
      status: 400,
    });

    // Inside the VPC endpoint the documents are readable; from the internet they are not.
    const inside = await fetchIssuer(c.issuer, { 'x-lab-source-vpce': 'vpce-0123456789abcdef0' });
    const outside = await fetchIssuer(c.issuer);
    expect([inside.status, outside.status]).toEqual([200, 403]);
    expect(outside.body).toContain('<Code>AccessDenied</Code>');

    // The change is in CloudTrail, made by alice.
    const ct = new CloudTrailClient(sdkConfig(lab, 'sentinel'));
    const events = await ct.send(
      new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutBucketPolicy' }] }),
    );
    const record = JSON.parse(events.Events![0]!.CloudTrailEvent!) as {
      userIdentity: { arn: string };
      requestParameters: { bucketName: string; bucketPolicy: { Statement: { Sid?: string }[] } };
    };
    expect(events.Events![0]!.Username).toBe('alice');
    expect(record.userIdentity.arn).toBe(lab.info().users.find((u) => u.name === 'alice')!.arn);
    expect(record.requestParameters.bucketName).toBe(c.bucket);
    expect(record.requestParameters.bucketPolicy.Statement.map((s) => s.Sid)).toContain('DenyOutsideVpce');

    await lab.heal();
    expect((await assume(await ingressToken())).Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it('fails the same way after Block Public Access on the bucket, and on the account', async () => {
    const c = cluster();
    const s3 = new S3Client({ ...sdkConfig(lab, 'alice'), forcePathStyle: true });
    const all = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: c.bucket, PublicAccessBlockConfiguration: all }));
    expect(await assumeError(await ingressToken())).toMatchObject({
      name: INVALID_TOKEN,
      message: expect.stringMatching(KEY_ERROR),
    });
    // IsPublic describes the policy, not its effect: ccoctl's policy is still public.
    const status = await s3.send(new GetBucketPolicyStatusCommand({ Bucket: c.bucket }));
    expect(status.PolicyStatus?.IsPublic).toBe(true);
    await lab.heal();

    const s3c = new S3ControlClient({
      ...sdkConfig(lab, 'alice'),
      endpointProvider: () => ({ url: new URL(lab.endpoint) }),
    });
    await s3c.send(new PutAccountPab({ AccountId: lab.info().accountId, PublicAccessBlockConfiguration: all }));
    const got = await s3c.send(new GetPublicAccessBlockCommand({ AccountId: lab.info().accountId }));
    expect(got.PublicAccessBlockConfiguration).toEqual(all);
    expect(await assumeError(await ingressToken())).toMatchObject({
      name: INVALID_TOKEN,
      message: expect.stringMatching(KEY_ERROR),
    });
  });

  it('fails with the key error after the cluster rotates to an unpublished key', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'rotate-key-unpublished' });
    expect(await assumeError(await ingressToken())).toMatchObject({
      name: INVALID_TOKEN,
      message: expect.stringMatching(KEY_ERROR),
    });
  });

  it('rejects an audience the provider does not list with "Incorrect token audience"', async () => {
    expect(await assumeError(await ingressToken('not-registered'))).toEqual({
      name: INVALID_TOKEN,
      message: 'Incorrect token audience',
      status: 400,
    });
    await lab.applyFault({ cluster: CLUSTER, fault: 'drop-audience' });
    expect(await assumeError(await ingressToken('openshift'))).toMatchObject({ message: 'Incorrect token audience' });
  });

  it('denies with AccessDenied when the trust policy names another service account', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'trust-subject-mismatch', role: ingressRole() });
    expect(await assumeError(await ingressToken())).toEqual({
      name: 'AccessDenied',
      message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      status: 403,
    });
  });

  it('answers an expired token with ExpiredTokenException, and honours 5 minutes of clock skew', async () => {
    const c = lab.state.clusters.get(CLUSTER)!;
    const mint = (secondsAgo: number) =>
      signServiceAccountToken(c, {
        namespace: 'openshift-ingress-operator',
        serviceAccount: 'ingress-operator',
        audiences: ['openshift'],
        expirationSeconds: 600,
        now: new Date(Date.now() - secondsAgo * 1000),
      });
    const expired = await assumeError((await mint(600 + 301 + 5)).token);
    expect(expired.name).toBe('ExpiredTokenException');
    expect(expired.message).toMatch(
      /^Token expired: current date\/time \d+ must be before the expiration date\/time \d+$/,
    );
    // Expired 4 minutes ago: still inside the skew window.
    expect((await assume((await mint(600 + 240)).token)).Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it('names a missing provider, and lists providers as IAM does (Url without scheme)', async () => {
    const iam = new IAMClient(sdkConfig(lab, 'sentinel'));
    const list = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    const arns = list.OpenIDConnectProviderList?.map((p) => p.Arn);
    expect(arns).toEqual(expect.arrayContaining(lab.info().clusters.map((c) => c.oidcProviderArn)));
    const got = await iam.send(
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: cluster().oidcProviderArn }),
    );
    expect(got.Url).toBe(cluster().issuer.replace('https://', ''));
    expect(got.ClientIDList).toEqual(['openshift', 'sts.amazonaws.com']);

    await lab.applyFault({ cluster: CLUSTER, fault: 'delete-oidc-provider' });
    expect(await assumeError(await ingressToken())).toEqual({
      name: INVALID_TOKEN,
      message: `No OpenIDConnect provider found in your account for ${cluster().issuer}`,
      status: 400,
    });
  });

  it('rejects a wrong secret with SignatureDoesNotMatch and a read-only user with AccessDenied', async () => {
    const bad = new S3Client({
      ...sdkConfig(lab, 'alice'),
      forcePathStyle: true,
      credentials: { accessKeyId: lab.info().users[0]!.accessKeyId, secretAccessKey: 'wrong' },
    });
    await expect(bad.send(new GetBucketPolicyCommand({ Bucket: cluster().bucket }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
    });
    const ro = new S3Client({ ...sdkConfig(lab, 'sentinel'), forcePathStyle: true });
    await expect(
      ro.send(
        new PutBucketPolicyCommand({ Bucket: cluster().bucket, Policy: '{"Version":"2012-10-17","Statement":[]}' }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    // The public policy's Principal "*" admits signed callers too, though sentinel's own policy has no s3:GetObject.
    const obj = await ro.send(new GetObjectCommand({ Bucket: cluster().bucket, Key: 'keys.json' }));
    expect(JSON.parse(await obj.Body!.transformToString())).toHaveProperty('keys');
  });
});

async function fetchIssuer(
  issuer: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { Agent, request } = await import('undici');
  const res = await request(`${issuer}/.well-known/openid-configuration`, {
    headers,
    dispatcher: new Agent({ connect: { ca: lab.caPem } }),
  });
  return { status: res.statusCode, body: await res.body.text() };
}
