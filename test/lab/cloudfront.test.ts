// A ccoctl --create-private-s3-bucket cluster end to end (docs/aws-facts.md 5): a private bucket (OAI-only policy, all four
// Block Public Access settings on) behind a CloudFront distribution whose URL is the issuer, driven with the real
// AWS SDK v3 clients and plain HTTPS as STS and the agent's issuer probe fetch it.
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { GetOpenIDConnectProviderCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Agent, request } from 'undici';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signServiceAccountToken } from '../../src/lab/clusters.ts';
import type { LabInfo } from '../../src/lab/control.ts';
import type { Lab } from '../../src/lab/index.ts';
import { awsCli, cliJson, requireAwsCli } from '../helpers/awscli.ts';
import { sdkConfig, startTestLab, userKeys } from '../helpers/lab.ts';
import { at, xmlParser } from '../helpers/xml.ts';

// The SDK's XML parser folds the two spaces after "provider," (docs/aws-facts.md 1.3); sts.test.ts checks the wire bytes.
const KEY_ERROR =
  /^Couldn't retrieve verification key from your identity provider,\s+please reference AssumeRoleWithWebIdentity documentation for requirements$/;
const CF = 'private-east';
const PUBLIC = 'public-east';

let lab: Lab;
let agent: Agent;

beforeAll(async () => {
  lab = await startTestLab({
    fleet: {
      clusters: [
        { name: CF, topology: 'cloudfront' },
        { name: PUBLIC }, // no topology: public-s3
      ],
      keyPool: 1,
    },
  });
  agent = new Agent({ connect: { ca: lab.caPem } });
});
afterAll(async () => {
  await agent?.close();
  await lab?.close();
});
afterEach(async () => {
  await lab.heal();
});

const cluster = (name = CF): LabInfo['clusters'][number] => lab.info().clusters.find((c) => c.name === name)!;
const ingressRole = (name = CF) =>
  cluster(name).roles.find((r) => r.endsWith('openshift-ingress-operator-cloud-credentials'))!;

/** An anonymous HTTPS GET (or HEAD), as STS and the issuer probe make it. */
async function get(url: string, method: 'GET' | 'HEAD' = 'GET') {
  const res = await request(url, { method, dispatcher: agent });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

async function token(name = CF): Promise<string> {
  const c = lab.state.clusters.get(name)!;
  const minted = await signServiceAccountToken(c, {
    namespace: 'openshift-ingress-operator',
    serviceAccount: 'ingress-operator',
    audiences: ['openshift'],
    expirationSeconds: 600,
  });
  return minted.token;
}

const assume = async (name = CF) =>
  new STSClient(sdkConfig(lab)).send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: ingressRole(name),
      RoleSessionName: 'cloudfront-test',
      WebIdentityToken: await token(name),
    }),
  );

/** An S3 client that sends unsigned requests: an anonymous internet caller. */
const anonymousS3 = () =>
  new S3Client({ ...sdkConfig(lab), forcePathStyle: true, signer: { sign: (req) => Promise.resolve(req) } });

describe('cloudfront topology (ccoctl --create-private-s3-bucket)', () => {
  it('describes the distribution in info, with the issuer under /_cloudfront/<id>', () => {
    const c = cluster();
    const id = c.distributionId!;
    expect(c.topology).toBe('cloudfront');
    expect(id).toMatch(/^E[A-Z0-9]{13}$/);
    expect(c.issuer).toBe(`${lab.endpoint}/_cloudfront/${id}`);
    expect(c.bucket).toBe(`${CF}-oidc`);
    expect(c.distributionArn).toBe(`arn:aws:cloudfront::${lab.info().accountId}:distribution/${id}`);
    expect(c.oaiArn).toMatch(/^arn:aws:iam::cloudfront:user\/CloudFront Origin Access Identity E[A-Z0-9]{13}$/);
    expect(c.oaiArn).not.toContain(id);
    expect(c.oidcProviderArn).toBe(
      `arn:aws:iam::${lab.info().accountId}:oidc-provider/${c.issuer.replace('https://', '')}`,
    );
    const pub = cluster(PUBLIC);
    expect(pub.topology).toBe('public-s3');
    expect(pub.issuer).toBe(`${lab.endpoint}/${PUBLIC}-oidc`);
    expect(pub).not.toHaveProperty('distributionId');
    expect(pub).not.toHaveProperty('oaiArn');
  });

  it('serves the documents anonymously through the distribution, naming the distribution URL as issuer', async () => {
    const c = cluster();
    const discovery = await get(`${c.issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.headers['x-cache']).toBe('Miss from cloudfront');
    expect(discovery.headers.via).toMatch(/\.cloudfront\.net \(CloudFront\)$/);
    const doc = JSON.parse(discovery.body) as { issuer: string; jwks_uri: string };
    expect(doc).toMatchObject({ issuer: c.issuer, jwks_uri: `${c.issuer}/keys.json` });
    const jwks = await get(doc.jwks_uri);
    expect(jwks.status).toBe(200);
    expect((JSON.parse(jwks.body) as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual([
      lab.state.clusters.get(CF)!.signingKey.kid,
    ]);
    const head = await get(doc.jwks_uri, 'HEAD');
    expect([head.status, head.body, head.headers['content-length']]).toEqual([
      200,
      '',
      String(Buffer.byteLength(jwks.body)),
    ]);
    // A missing key: the OAI has no s3:ListBucket, so S3 (and CloudFront after it) says 403, not 404.
    const missing = await get(`${c.issuer}/nothing-here`);
    expect(missing.status).toBe(403);
    expect(missing.headers['x-cache']).toBe('Error from cloudfront');
  });

  it('refuses direct anonymous S3 reads of the private bucket with 403 AccessDenied', async () => {
    const c = cluster();
    await expect(
      anonymousS3().send(new GetObjectCommand({ Bucket: c.bucket, Key: '.well-known/openid-configuration' })),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const raw = await get(`${lab.endpoint}/${c.bucket}/keys.json`);
    expect(raw.status).toBe(403);
    expect(at(xmlParser.parse(raw.body), 'Error.Code')).toBe('AccessDenied');
    // The public-s3 cluster's bucket stays readable, so the denial above is the private topology's doing.
    const pub = cluster(PUBLIC);
    expect((await get(`${lab.endpoint}/${pub.bucket}/keys.json`)).status).toBe(200);
  });

  it("keeps ccoctl's private bucket: OAI-only policy (IsPublic false), all four Block Public Access settings on", async () => {
    const c = cluster();
    const s3 = new S3Client({ ...sdkConfig(lab, 'sentinel'), forcePathStyle: true });
    const status = await s3.send(new GetBucketPolicyStatusCommand({ Bucket: c.bucket }));
    expect(status.PolicyStatus?.IsPublic).toBe(false);
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: c.bucket }))).Policy!) as unknown;
    expect(policy).toEqual({
      Version: '2008-10-17',
      Id: 'PolicyForCloudFrontPrivateContent',
      Statement: [
        {
          Sid: '1',
          Effect: 'Allow',
          Principal: { AWS: c.oaiArn },
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${c.bucket}/*`,
        },
      ],
    });
    const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket: c.bucket }));
    expect(pab.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const pubStatus = await s3.send(new GetBucketPolicyStatusCommand({ Bucket: cluster(PUBLIC).bucket }));
    expect(pubStatus.PolicyStatus?.IsPublic).toBe(true);
  });

  it('registers the distribution URL as the IAM OIDC provider and assumes a role through it', async () => {
    const c = cluster();
    const iam = new IAMClient(sdkConfig(lab, 'sentinel'));
    const provider = await iam.send(
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: c.oidcProviderArn }),
    );
    expect(provider.Url).toBe(c.issuer.replace('https://', ''));
    const out = await assume();
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(out.Provider).toBe(c.oidcProviderArn);
    expect(out.SubjectFromWebIdentityToken).toBe('system:serviceaccount:openshift-ingress-operator:ingress-operator');
  });

  it("cloudfront-origin-denied: the distribution answers 403 from the origin, STS can't retrieve the key, heal restores", async () => {
    const c = cluster();
    await lab.applyFault({ cluster: CF, fault: 'cloudfront-origin-denied' });

    const denied = await get(`${c.issuer}/.well-known/openid-configuration`);
    expect(denied.status).toBe(403);
    expect(denied.headers['x-cache']).toBe('Error from cloudfront');
    expect(denied.headers['content-type']).toBe('application/xml');
    const xml = xmlParser.parse(denied.body) as unknown;
    expect(at(xml, 'Error.Code')).toBe('AccessDenied');
    expect(at(xml, 'Error.Message')).toBe('Access Denied');

    await expect(assume()).rejects.toMatchObject({
      name: 'InvalidIdentityTokenException',
      message: expect.stringMatching(KEY_ERROR),
      $metadata: { httpStatusCode: 400 },
    });

    // Made as alice through PutBucketPolicy: CloudTrail names her, and the new policy drops the OAI.
    const s3 = new S3Client({ ...sdkConfig(lab, 'sentinel'), forcePathStyle: true });
    const policy = (await s3.send(new GetBucketPolicyCommand({ Bucket: c.bucket }))).Policy!;
    expect(policy).not.toContain(c.oaiArn!);
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: c.bucket }))).PolicyStatus?.IsPublic).toBe(false);
    const ct = new CloudTrailClient(sdkConfig(lab, 'sentinel'));
    const events = await ct.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: `arn:aws:s3:::${c.bucket}` }],
      }),
    );
    const put = events.Events?.find((e) => e.EventName === 'PutBucketPolicy');
    expect(put?.Username).toBe('alice');
    const record = JSON.parse(put!.CloudTrailEvent!) as { requestParameters: { bucketPolicy: unknown } };
    expect(JSON.stringify(record.requestParameters.bucketPolicy)).toContain('CloudFront Origin Access Identity');
    expect(JSON.stringify(record.requestParameters.bucketPolicy)).not.toContain(c.oaiArn!);
    // STS's failed fetch is not logged (docs/aws-facts.md 3.1).
    const assumes = await ct.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'AssumeRoleWithWebIdentity' }],
      }),
    );
    expect(assumes.Events?.filter((e) => e.CloudTrailEvent?.includes('"errorCode"'))).toEqual([]);

    await lab.heal();
    expect((await get(`${c.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    expect((await assume()).Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(lab.faults()).toEqual([]);
  });

  it('refuses cloudfront-origin-denied for a public-s3 cluster', async () => {
    await expect(lab.applyFault({ cluster: PUBLIC, fault: 'cloudfront-origin-denied' })).rejects.toThrow(
      /needs a cloudfront cluster; public-east is public-s3/,
    );
    const listed = lab.faultCatalogue().find((f) => f.fault === 'cloudfront-origin-denied');
    expect(listed).toMatchObject({ cluster: true, description: expect.stringContaining('Origin Access Identity') });
  });

  it('passes the bucket faults through the distribution: a Deny-unless-VPCE policy and a deleted policy', async () => {
    const c = cluster();
    await lab.applyFault({ cluster: CF, fault: 'bucket-policy-deny-non-vpce' });
    expect((await get(`${c.issuer}/keys.json`)).status).toBe(403);
    await lab.heal();
    expect((await get(`${c.issuer}/keys.json`)).status).toBe(200);
    await lab.applyFault({ cluster: CF, fault: 'bucket-policy-deleted' });
    expect((await get(`${c.issuer}/keys.json`)).status).toBe(403);
    await lab.heal();
    await lab.applyFault({ cluster: CF, fault: 'issuer-error', status: 503 });
    expect((await get(`${c.issuer}/keys.json`)).status).toBe(503);
  });

  it('allows only GET and HEAD, and knows only its own distributions', async () => {
    const c = cluster();
    const put = await request(`${c.issuer}/keys.json`, { method: 'PUT', body: '{}', dispatcher: agent });
    expect(put.statusCode).toBe(403);
    expect(await put.body.text()).toMatch(/not configured to allow the HTTP request method/);
    expect((await get(`${lab.endpoint}/_cloudfront/E0000000000000/keys.json`)).status).toBe(404);
  });

  it("gives the agent config the origin bucket, which a CloudFront issuer URL doesn't name", () => {
    const config = parse(lab.agentConfig()!) as { clusters: { name: string; issuer: string; bucket?: unknown }[] };
    const entry = config.clusters.find((e) => e.name === CF);
    expect(entry?.issuer).toBe(cluster().issuer);
    expect(entry?.bucket).toEqual({ name: `${CF}-oidc`, region: lab.info().region });
  });
});

describe('cloudfront topology with the AWS CLI', () => {
  beforeAll(() => {
    requireAwsCli();
  });

  it('assume-role-with-web-identity works unsigned for a cloudfront cluster; get-bucket-policy-status says private', async () => {
    const target = { endpoint: lab.endpoint, caFile: lab.caFile };
    const out = cliJson<{ Provider: string; Credentials: { AccessKeyId: string } }>(
      await awsCli(target, [
        'sts',
        'assume-role-with-web-identity',
        '--role-arn',
        ingressRole(),
        '--role-session-name',
        'cli-cloudfront',
        '--web-identity-token',
        await token(),
      ]),
    );
    expect(out.Provider).toBe(cluster().oidcProviderArn);
    expect(out.Credentials.AccessKeyId).toMatch(/^ASIA/);
    const status = await awsCli(
      target,
      ['s3api', 'get-bucket-policy-status', '--bucket', cluster().bucket],
      userKeys(lab.info(), 'sentinel'),
    );
    expect(cliJson(status)).toEqual({ PolicyStatus: { IsPublic: false } });
  });
});
