// Interop: the real AWS CLI v2 (Debian's /usr/bin/aws 2.9.19) against an in-process lab. Expected codes, messages
// and shapes come from docs/aws-facts.md and AWS's documentation; the CLI's own parsing proves the wire format.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../../src/lab/control.ts';
import { signServiceAccountToken } from '../../src/lab/clusters.ts';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab, userKeys } from '../helpers/lab.ts';
import { awsCli, cliFile, cliJson, requireAwsCli, s3controlCli } from '../helpers/awscli.ts';
import type { CliCredentials, CliTarget } from '../helpers/awscli.ts';

const VPCE = 'vpce-0a1b2c3d4e5f60718';
const INGRESS_SUB = 'system:serviceaccount:openshift-ingress-operator:ingress-operator';
const COULD_NOT_RETRIEVE = "Couldn't retrieve verification key from your identity provider";

interface PolicyDoc {
  Version: string;
  Statement: Record<string, unknown>[];
}

/** ccoctl's public-read bucket policy (test/fixtures, from the cloud-credential-operator repo) for `bucket`. */
function ccoctlPolicy(bucket: string): PolicyDoc {
  const text = readFileSync(new URL('../fixtures/ccoctl-bucket-policy-public-read.json', import.meta.url), 'utf8');
  return JSON.parse(text.replaceAll('mycluster-oidc', bucket)) as PolicyDoc;
}

/** ccoctl's policy plus the common mistake: Deny s3:GetObject unless the request comes through one VPC endpoint. */
function denyOutsideVpcePolicy(bucket: string): PolicyDoc {
  const policy = ccoctlPolicy(bucket);
  policy.Statement.push({
    Sid: 'DenyOutsideVpce',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${bucket}/*`,
    Condition: { StringNotEquals: { 'aws:SourceVpce': VPCE } },
  });
  return policy;
}

function cluster(info: LabInfo, name: string): LabInfo['clusters'][number] {
  const c = info.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`no lab cluster ${name}`);
  return c;
}

function userArn(info: LabInfo, name: string): string {
  const u = info.users.find((x) => x.name === name);
  if (!u) throw new Error(`no lab user ${name}`);
  return u.arn;
}

beforeAll(() => {
  requireAwsCli();
});

describe('aws s3api, s3control, iam and cloudtrail against the lab', () => {
  let lab: Lab;
  let info: LabInfo;
  let target: CliTarget;
  let alice: CliCredentials;
  let anonymous: Agent;

  beforeAll(async () => {
    lab = await startTestLab({ fleet: { clusters: [{ name: 'prod-east' }, { name: 'prod-west' }], keyPool: 2 } });
    info = lab.info();
    target = { endpoint: info.endpoint, caFile: info.caFile };
    alice = userKeys(info, 'alice');
    anonymous = new Agent({ connect: { ca: lab.caPem } });
  });

  afterEach(async () => {
    await lab.heal();
  });

  afterAll(async () => {
    await anonymous.close();
    await lab.close();
  });

  const getDiscovery = (issuer: string, headers: Record<string, string> = {}) =>
    request(`${issuer}/.well-known/openid-configuration`, { dispatcher: anonymous, headers });

  it('put-bucket-policy with a Deny-unless-aws:SourceVpce statement: stored, still public, blocks internet readers', async () => {
    const { bucket, issuer } = cluster(info, 'prod-east');
    const policy = denyOutsideVpcePolicy(bucket);
    const file = cliFile('policy-deny-non-vpce.json', JSON.stringify(policy, null, 2));

    const put = await awsCli(
      target,
      ['s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', `file://${file}`],
      alice,
    );
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);

    const [got, status] = await Promise.all([
      awsCli(target, ['s3api', 'get-bucket-policy', '--bucket', bucket], alice),
      awsCli(target, ['s3api', 'get-bucket-policy-status', '--bucket', bucket], alice),
    ]);
    const gotPolicy = cliJson<{ Policy: string }>(got);
    expect(Object.keys(gotPolicy)).toEqual(['Policy']);
    expect(typeof gotPolicy.Policy).toBe('string');
    expect(JSON.parse(gotPolicy.Policy)).toEqual(policy);
    // docs/aws-facts.md 4.1: the Allow statement is Principal "*" without a condition, so the policy stays public.
    expect(cliJson(status)).toEqual({ PolicyStatus: { IsPublic: true } });

    // Internet reader (STS's view): the Deny applies. docs/aws-facts.md 4.2 anonymous denial body.
    const outside = await getDiscovery(issuer);
    const outsideBody = await outside.body.text();
    expect(outside.statusCode).toBe(403);
    expect(outsideBody).toContain('<Code>AccessDenied</Code>');

    const inside = await getDiscovery(issuer, { 'x-lab-source-vpce': VPCE });
    const insideBody = await inside.body.text();
    expect(inside.statusCode).toBe(200);
    expect((JSON.parse(insideBody) as { issuer: string }).issuer).toBe(issuer);
  });

  it("cloudtrail lookup-events shows alice's PutBucketPolicy with the policy as an object", async () => {
    const { bucket } = cluster(info, 'prod-west');
    const policy = denyOutsideVpcePolicy(bucket);
    const file = cliFile('policy-trail.json', JSON.stringify(policy));
    const put = await awsCli(
      target,
      ['s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', `file://${file}`],
      alice,
    );
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);

    // One LookupEvents call: LookupEvents allows 2 calls/s/region (docs/aws-facts.md 3.2) and the CLI auto-paginates.
    const looked = await awsCli(
      target,
      [
        'cloudtrail',
        'lookup-events',
        '--lookup-attributes',
        'AttributeKey=EventName,AttributeValue=PutBucketPolicy',
        '--max-items',
        '10',
      ],
      alice,
    );
    const { Events } = cliJson<{ Events: Record<string, unknown>[] }>(looked);
    expect(Array.isArray(Events)).toBe(true);
    for (const e of Events) expect(e.EventName).toBe('PutBucketPolicy');
    const event = Events.find(
      (e) =>
        (JSON.parse(String(e.CloudTrailEvent)) as { requestParameters?: { bucketName?: string } }).requestParameters
          ?.bucketName === bucket,
    );
    expect(event, `no PutBucketPolicy event for ${bucket}`).toBeDefined();
    expect(event).toMatchObject({
      EventName: 'PutBucketPolicy',
      EventSource: 's3.amazonaws.com',
      ReadOnly: 'false',
      Username: 'alice',
      AccessKeyId: alice.accessKeyId,
    });
    // Sent as epoch seconds (JSON 1.1, docs/aws-facts.md 3.2); CLI v2 prints timestamps as ISO 8601.
    const eventTime = Date.parse(String(event!.EventTime));
    expect(Math.abs(Date.now() - eventTime)).toBeLessThan(120_000);
    // Whether LookupEvents names an S3 bucket by name or by ARN is not documented: accept either.
    expect(event!.Resources).toContainEqual({
      ResourceType: 'AWS::S3::Bucket',
      ResourceName: expect.stringMatching(new RegExp(`^(arn:aws:s3:::)?${bucket}$`)),
    });

    const record = JSON.parse(String(event!.CloudTrailEvent)) as Record<string, unknown>;
    // docs/aws-facts.md 3.3: bucketPolicy is the parsed policy, not a string; responseElements null.
    expect(record).toMatchObject({
      eventSource: 's3.amazonaws.com',
      eventName: 'PutBucketPolicy',
      readOnly: false,
      userIdentity: { type: 'IAMUser', arn: userArn(info, 'alice'), accessKeyId: alice.accessKeyId, userName: 'alice' },
      requestParameters: { bucketName: bucket, bucketPolicy: policy },
      responseElements: null,
    });
    const stored = (record.requestParameters as { bucketPolicy: PolicyDoc }).bucketPolicy;
    expect(stored.Statement).toContainEqual(expect.objectContaining({ Sid: 'DenyOutsideVpce', Effect: 'Deny' }));
  });

  it('iam list/get-open-id-connect-provider: every cluster provider, Url without scheme, ccoctl client IDs', async () => {
    const [east, west] = [cluster(info, 'prod-east'), cluster(info, 'prod-west')];
    const [list, ...gets] = await Promise.all([
      awsCli(target, ['iam', 'list-open-id-connect-providers'], alice),
      ...[east, west].map((c) =>
        awsCli(
          target,
          ['iam', 'get-open-id-connect-provider', '--open-id-connect-provider-arn', c.oidcProviderArn],
          alice,
        ),
      ),
    ]);
    const arns = cliJson<{ OpenIDConnectProviderList: { Arn: string }[] }>(list).OpenIDConnectProviderList.map(
      (p) => p.Arn,
    );
    expect(arns).toEqual(expect.arrayContaining([east.oidcProviderArn, west.oidcProviderArn]));

    [east, west].forEach((c, i) => {
      const got = cliJson<Record<string, unknown>>(gets[i]!);
      // docs/aws-facts.md 2.1: Url has no scheme; ccoctl registers openshift and sts.amazonaws.com (docs/aws-facts.md 5).
      expect(got.Url).toBe(c.issuer.replace(/^https:\/\//, ''));
      expect(got.ClientIDList).toEqual(['openshift', 'sts.amazonaws.com']);
      expect(got.ThumbprintList).toEqual([expect.stringMatching(/^[0-9A-Fa-f]{40}$/)]);
      expect(Number.isNaN(Date.parse(String(got.CreateDate)))).toBe(false);
    });
  });

  it('a wrong secret key gets SignatureDoesNotMatch from S3 and IAM', async () => {
    const wrong = { accessKeyId: alice.accessKeyId, secretAccessKey: `${alice.secretAccessKey.slice(0, -4)}XXXX` };
    const { bucket } = cluster(info, 'prod-east');
    const results = await Promise.all([
      awsCli(target, ['s3api', 'get-bucket-policy-status', '--bucket', bucket], wrong),
      awsCli(target, ['iam', 'list-open-id-connect-providers'], wrong),
    ]);
    for (const r of results) {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('SignatureDoesNotMatch');
    }
  });

  it('put-public-access-block BlockPublicPolicy=true then a public put-bucket-policy is AccessDenied', async () => {
    const { bucket } = cluster(info, 'prod-east');
    const bpa = await awsCli(
      target,
      [
        's3api',
        'put-public-access-block',
        '--bucket',
        bucket,
        '--public-access-block-configuration',
        'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=false',
      ],
      alice,
    );
    expect(bpa.stderr).toBe('');
    expect(bpa.code).toBe(0);

    const file = cliFile('policy-public.json', JSON.stringify(ccoctlPolicy(bucket)));
    const put = await awsCli(
      target,
      ['s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', `file://${file}`],
      alice,
    );
    expect(put.code).not.toBe(0);
    // docs/aws-facts.md 4.2 (observed message).
    expect(put.stderr).toContain(
      `An error occurred (AccessDenied) when calling the PutBucketPolicy operation: User: ${userArn(info, 'alice')} is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${bucket}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
    );
  });

  it("s3control get/put-public-access-block for the account, through the lab's own proxy", async () => {
    const { target: s3controlTarget, env } = s3controlCli(info);
    const s3control = (args: string[]) =>
      awsCli(s3controlTarget, ['s3control', ...args, '--account-id', info.accountId], alice, env);

    const before = await s3control(['get-public-access-block']);
    expect(before.code).not.toBe(0);
    expect(before.stderr).toContain(
      'An error occurred (NoSuchPublicAccessBlockConfiguration) when calling the GetPublicAccessBlock operation: The public access block configuration was not found',
    );

    const put = await s3control([
      'put-public-access-block',
      '--public-access-block-configuration',
      'BlockPublicAcls=true,IgnorePublicAcls=false,BlockPublicPolicy=true,RestrictPublicBuckets=false',
    ]);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);

    expect(cliJson(await s3control(['get-public-access-block']))).toEqual({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: false,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: false,
      },
    });
    // The CLI's own request reached the lab as alice: CloudTrail names her (docs/aws-facts.md 3.3).
    const event = lab.state.trail.findLast((e) => e.eventName === 'PutAccountPublicAccessBlock');
    expect(event?.record).toMatchObject({ userIdentity: { type: 'IAMUser', userName: 'alice' } });
    expect(event?.record).not.toHaveProperty('errorCode');
  });
});

describe('aws sts assume-role-with-web-identity against the lab', () => {
  const CLUSTER = 'prod-east';
  let lab: Lab;
  let info: LabInfo;
  let target: CliTarget;
  let roleArn: string;
  let roleName: string;

  beforeAll(async () => {
    lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
    info = lab.info();
    target = { endpoint: info.endpoint, caFile: info.caFile };
    // ccoctl names roles <cluster>-<namespace>-<secret> (docs/aws-facts.md 5).
    roleName = `${CLUSTER}-openshift-ingress-operator-cloud-credentials`;
    roleArn = `arn:aws:iam::${info.accountId}:role/${roleName}`;
    expect(cluster(info, CLUSTER).roles).toContain(roleArn);
  });

  afterEach(async () => {
    await lab.heal();
  });

  afterAll(async () => {
    await lab.close();
  });

  /** Mint a fresh ingress-operator token (aud openshift) and call the CLI with NO AWS keys in its environment. */
  async function assumeIngressRole() {
    const c = lab.state.clusters.get(CLUSTER);
    if (!c) throw new Error(`no lab cluster ${CLUSTER}`);
    const { token } = await signServiceAccountToken(c, {
      namespace: 'openshift-ingress-operator',
      serviceAccount: 'ingress-operator',
      audiences: ['openshift'],
      expirationSeconds: 3600,
    });
    return awsCli(target, [
      'sts',
      'assume-role-with-web-identity',
      '--role-arn',
      roleArn,
      '--role-session-name',
      'irsa-test',
      '--web-identity-token',
      token,
    ]);
  }

  function expectAssumed(result: Awaited<ReturnType<typeof assumeIngressRole>>): void {
    const out = cliJson<Record<string, unknown>>(result);
    // docs/aws-facts.md 1.6: temporary keys start ASIA; Provider is the IAM OIDC provider ARN.
    expect(out).toMatchObject({
      Credentials: {
        AccessKeyId: expect.stringMatching(/^ASIA[A-Z0-9]{12,}$/),
        SecretAccessKey: expect.any(String),
        SessionToken: expect.any(String),
        Expiration: expect.any(String),
      },
      AssumedRoleUser: {
        Arn: `arn:aws:sts::${info.accountId}:assumed-role/${roleName}/irsa-test`,
        AssumedRoleId: expect.stringMatching(/^AROA[A-Z0-9]+:irsa-test$/),
      },
      Provider: cluster(info, CLUSTER).oidcProviderArn,
      Audience: 'openshift',
      SubjectFromWebIdentityToken: INGRESS_SUB,
    });
  }

  it('succeeds unsigned, fails with InvalidIdentityToken while the bucket denies non-VPCE readers, heals', async () => {
    expectAssumed(await assumeIngressRole());

    await lab.applyFault({ cluster: CLUSTER, fault: 'bucket-policy-deny-non-vpce' });
    const denied = await assumeIngressRole();
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('InvalidIdentityToken');
    expect(denied.stderr).toContain(COULD_NOT_RETRIEVE);

    await lab.heal();
    expectAssumed(await assumeIngressRole());
  });

  it('AccessDenied when the role trust policy names another service account', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'trust-subject-mismatch', role: roleName });
    const denied = await assumeIngressRole();
    expect(denied.code).not.toBe(0);
    // docs/aws-facts.md 1.3: trust-policy evaluation failure.
    expect(denied.stderr).toContain(
      'An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity',
    );
  });
});
