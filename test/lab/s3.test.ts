// The lab's S3 at handler level: wire shapes and codes from docs/aws-facts.md 3.3, 4.x and the S3 API reference.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decideObjectRead } from '../../src/lab/s3-access.ts';
import { createS3Handler } from '../../src/lab/s3.ts';
import { createS3ControlHandler } from '../../src/lab/s3control.ts';
import type { Bucket } from '../../src/lab/state.ts';
import type { Caller, LabContext, LabRequest } from '../../src/lab/wire.ts';
import { asUser, labContext, labRequest } from '../helpers/lab-request.ts';
import { field } from '../helpers/xml.ts';

const BUCKET = 'mycluster-oidc';
const CCOCTL_POLICY = readFileSync(
  new URL('../fixtures/ccoctl-bucket-policy-public-read.json', import.meta.url),
  'utf8',
);
const DISCOVERY = readFileSync(new URL('../fixtures/ccoctl-02-openid-configuration.json', import.meta.url), 'utf8');
const KEYS = readFileSync(new URL('../fixtures/testvector-03-keys.json', import.meta.url), 'utf8');
const VPCE = 'vpce-0a1b2c3d4e5f60718';
const S3_CONTROL_PAB = '/v20180820/configuration/publicAccessBlock';

const pabXml = (a: boolean, i: boolean, p: boolean, r: boolean, ns = 'http://s3.amazonaws.com/doc/2006-03-01/') =>
  `<PublicAccessBlockConfiguration xmlns="${ns}"><BlockPublicAcls>${a}</BlockPublicAcls>` +
  `<IgnorePublicAcls>${i}</IgnorePublicAcls><BlockPublicPolicy>${p}</BlockPublicPolicy>` +
  `<RestrictPublicBuckets>${r}</RestrictPublicBuckets></PublicAccessBlockConfiguration>`;

// ccoctl --create-private-s3-bucket: the bucket admits only the CloudFront OAI (docs/aws-facts.md 5).
const OAI_POLICY = JSON.stringify({
  Version: '2008-10-17',
  Id: 'PolicyForCloudFrontPrivateContent',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL' },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    },
  ],
});

const policyWithVpceDeny = (): string => {
  const doc = JSON.parse(CCOCTL_POLICY) as { Statement: unknown[] };
  doc.Statement.push({
    Sid: 'DenyOutsideVpce',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${BUCKET}/*`,
    Condition: { StringNotEquals: { 'aws:SourceVpce': VPCE } },
  });
  return JSON.stringify(doc);
};

interface Options {
  body?: string | Buffer;
  as?: string;
  headers?: Record<string, string>;
  region?: string;
  sourceVpce?: string;
}

function setup() {
  const ctx: LabContext = labContext();
  const s3 = createS3Handler(ctx);
  const control = createS3ControlHandler(ctx);
  const request = (method: string, path: string, o: Options = {}): LabRequest => {
    const caller: Caller = o.as ? asUser(ctx, o.as) : { kind: 'anonymous' };
    return labRequest({
      method,
      path,
      caller,
      headers: { host: '127.0.0.1:1', ...o.headers },
      ...(o.body !== undefined && { body: o.body }),
      ...(o.region && { region: o.region }),
      ...(o.sourceVpce && { sourceVpce: o.sourceVpce, sourceIp: '' }),
    });
  };
  const send = async (method: string, path: string, o: Options = {}) => s3(request(method, path, o));
  const bucket = (): Bucket => {
    const b = ctx.state.buckets.get(BUCKET);
    if (!b) throw new Error('no bucket');
    return b;
  };
  /** What ccoctl create-identity-provider does for a public bucket since 2023 (docs/aws-facts.md 4.3, 5). */
  const ccoctl = async () => {
    expect((await send('PUT', `/${BUCKET}`, { as: 'alice' })).status).toBe(200);
    expect(
      (await send('PUT', `/${BUCKET}?publicAccessBlock`, { as: 'alice', body: pabXml(true, true, false, false) }))
        .status,
    ).toBe(200);
    expect((await send('PUT', `/${BUCKET}/?policy=`, { as: 'alice', body: CCOCTL_POLICY })).status).toBe(204);
    const json = { 'content-type': 'application/json' };
    expect(
      (
        await send('PUT', `/${BUCKET}/.well-known/openid-configuration`, {
          as: 'alice',
          body: DISCOVERY,
          headers: json,
        })
      ).status,
    ).toBe(200);
    expect((await send('PUT', `/${BUCKET}/keys.json`, { as: 'alice', body: KEYS, headers: json })).status).toBe(200);
  };
  const putAccountPab = async (body: string) =>
    control(
      labRequest({
        method: 'PUT',
        path: S3_CONTROL_PAB,
        caller: asUser(ctx, 'alice'),
        headers: { host: '127.0.0.1:1', 'x-amz-account-id': ctx.state.accountId },
        body,
      }),
    );
  const events = (name: string) => ctx.state.trail.filter((e) => e.eventName === name);
  return { ctx, send, request, bucket, ccoctl, putAccountPab, events };
}

const DOC_PATH = `/${BUCKET}/.well-known/openid-configuration`;

describe('S3: the ccoctl public-bucket flow', () => {
  it('serves the issuer documents to anonymous callers byte for byte', async () => {
    const { send, ccoctl } = setup();
    await ccoctl();
    const doc = await send('GET', DOC_PATH);
    expect(doc.status).toBe(200);
    expect(Buffer.from(doc.body as Buffer).toString('utf8')).toBe(DISCOVERY);
    expect(doc.headers?.['content-type']).toBe('application/json');
    const keys = await send('GET', `/${BUCKET}/keys.json`);
    expect(keys.status).toBe(200);
    expect(String(keys.body)).toBe(KEYS);
  });

  it('HeadObject carries ETag (quoted MD5), Content-Length, Last-Modified and Content-Type, and no body', async () => {
    const { send, ccoctl } = setup();
    await ccoctl();
    const head = await send('HEAD', `/${BUCKET}/keys.json`);
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
    expect(head.headers?.etag).toBe(`"${createHash('md5').update(KEYS).digest('hex')}"`);
    expect(head.headers?.['content-length']).toBe(String(Buffer.byteLength(KEYS)));
    expect(head.headers?.['content-type']).toBe('application/json');
    expect(new Date(head.headers?.['last-modified'] ?? '').getTime()).not.toBeNaN();
  });

  it('returns the policy exactly as stored, whether the path is /b?policy (CLI) or /b/?policy= (SDK)', async () => {
    const { send, ccoctl } = setup();
    await ccoctl();
    expect(String((await send('GET', `/${BUCKET}?policy`, { as: 'alice' })).body)).toBe(CCOCTL_POLICY);
    expect(String((await send('GET', `/${BUCKET}/?policy=`, { as: 'alice' })).body)).toBe(CCOCTL_POLICY);
  });

  it('logs CreateBucket, PutBucketPublicAccessBlock and PutBucketPolicy, but no object calls (docs/aws-facts.md 3.3)', async () => {
    const { ctx, send, ccoctl, events } = setup();
    await ccoctl();
    await send('GET', DOC_PATH);
    expect(ctx.state.trail.map((e) => e.eventName)).toEqual([
      'CreateBucket',
      'PutBucketPublicAccessBlock',
      'PutBucketPolicy',
    ]);
    const put = events('PutBucketPolicy')[0]!.record;
    expect(put).toMatchObject({
      eventSource: 's3.amazonaws.com',
      readOnly: false,
      requestParameters: {
        bucketName: BUCKET,
        bucketPolicy: JSON.parse(CCOCTL_POLICY),
        policy: '',
        Host: '127.0.0.1:1',
      },
      responseElements: null,
      resources: [{ type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${BUCKET}` }],
      additionalEventData: {
        SignatureVersion: 'SigV4',
        CipherSuite: 'TLS_AES_128_GCM_SHA256',
        AuthenticationMethod: 'AuthHeader',
        bytesTransferredIn: Buffer.byteLength(CCOCTL_POLICY),
      },
    });
    expect(put).not.toHaveProperty('errorCode');
    expect(events('PutBucketPublicAccessBlock')[0]!.record.requestParameters).toEqual({
      bucketName: BUCKET,
      Host: '127.0.0.1:1',
      publicAccessBlock: '',
      PublicAccessBlockConfiguration: {
        xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
        RestrictPublicBuckets: false,
        BlockPublicPolicy: false,
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
      },
    });
  });

  it('GetBucketPolicyStatus: ccoctl public read is public, the CloudFront OAI policy is not (docs/aws-facts.md 4.1, 5)', async () => {
    const { send, ccoctl, bucket } = setup();
    await ccoctl();
    const pub = await send('GET', `/${BUCKET}/?policyStatus=`, { as: 'alice' });
    expect(pub.status).toBe(200);
    expect(field(pub, 'PolicyStatus.IsPublic')).toBe('true');
    bucket().publicAccessBlock = {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    };
    // A policy naming one fixed principal passes BlockPublicPolicy.
    expect((await send('PUT', `/${BUCKET}?policy`, { as: 'alice', body: OAI_POLICY })).status).toBe(204);
    expect(field(await send('GET', `/${BUCKET}?policyStatus`, { as: 'alice' }), 'PolicyStatus.IsPublic')).toBe('false');
    expect((await send('GET', DOC_PATH)).status).toBe(403);
  });
});

describe('S3: anonymous reads and the bucket policy', () => {
  it('a Deny unless aws:SourceVpce denies internet callers and admits the named VPC endpoint (docs/aws-facts.md 4.2b)', async () => {
    const { ctx, send, ccoctl, bucket, request } = setup();
    await ccoctl();
    expect((await send('PUT', `/${BUCKET}?policy`, { as: 'alice', body: policyWithVpceDeny() })).status).toBe(204);

    const denied = await send('GET', DOC_PATH);
    expect(denied.status).toBe(403);
    expect(denied.headers?.['x-amz-request-id']).toBeTruthy();
    const err = field(denied, 'Error') as Record<string, string>;
    expect(Object.keys(err)).toEqual(['Code', 'Message', 'RequestId', 'HostId']);
    expect(err).toMatchObject({ Code: 'AccessDenied', Message: 'Access Denied' });
    const why = decideObjectRead(ctx.state, bucket(), '.well-known/openid-configuration', request('GET', DOC_PATH));
    expect(why).toMatchObject({ allowed: false, statementSid: 'DenyOutsideVpce' });
    expect(why.blockedBy).toBeUndefined();

    const viaVpce = await send('GET', DOC_PATH, { sourceVpce: VPCE });
    expect(viaVpce.status).toBe(200);
    expect(String(viaVpce.body)).toBe(DISCOVERY);
    expect((await send('GET', DOC_PATH, { sourceVpce: 'vpce-0000000000000000' })).status).toBe(403);
  });

  it('without a bucket policy nothing grants anonymous reads', async () => {
    const { ctx, send, ccoctl, bucket, request } = setup();
    await ccoctl();
    expect((await send('DELETE', `/${BUCKET}?policy`, { as: 'alice' })).status).toBe(204);
    expect((await send('GET', DOC_PATH)).status).toBe(403);
    expect(decideObjectRead(ctx.state, bucket(), 'keys.json', request('GET', '/')).allowed).toBe(false);
  });

  it('RestrictPublicBuckets at bucket level, then at account level, blocks anonymous reads (docs/aws-facts.md 4.2)', async () => {
    const { ctx, send, ccoctl, bucket, request, putAccountPab } = setup();
    await ccoctl();
    const req = () => request('GET', DOC_PATH);
    expect(decideObjectRead(ctx.state, bucket(), '.well-known/openid-configuration', req())).toMatchObject({
      allowed: true,
      statementSid: 'AllowReadPublicAccess',
    });

    await send('PUT', `/${BUCKET}?publicAccessBlock`, { as: 'alice', body: pabXml(true, true, false, true) });
    expect((await send('GET', DOC_PATH)).status).toBe(403);
    expect(decideObjectRead(ctx.state, bucket(), '.well-known/openid-configuration', req()).blockedBy).toEqual({
      level: 'bucket',
      setting: 'RestrictPublicBuckets',
    });
    // Principals of the bucket owner's account keep access.
    expect((await send('GET', DOC_PATH, { as: 'alice' })).status).toBe(200);

    await send('PUT', `/${BUCKET}?publicAccessBlock`, { as: 'alice', body: pabXml(true, true, false, false) });
    expect((await send('GET', DOC_PATH)).status).toBe(200);
    expect(
      (await putAccountPab(pabXml(false, false, false, true, 'http://awss3control.amazonaws.com/doc/2018-08-20/')))
        .status,
    ).toBe(200);
    expect((await send('GET', DOC_PATH)).status).toBe(403);
    expect(decideObjectRead(ctx.state, bucket(), '.well-known/openid-configuration', req())).toMatchObject({
      allowed: false,
      blockedBy: { level: 'account', setting: 'RestrictPublicBuckets' },
    });
  });

  it('a missing key is 403 to an anonymous caller without s3:ListBucket, 404 NoSuchKey with it (docs/aws-facts.md 4.2)', async () => {
    const { send, ccoctl } = setup();
    await ccoctl();
    const anon = await send('GET', `/${BUCKET}/nope.json`);
    expect(anon.status).toBe(403);
    expect(field(anon, 'Error.Code')).toBe('AccessDenied');

    const signed = await send('GET', `/${BUCKET}/nope.json`, { as: 'alice' });
    expect(signed.status).toBe(404);
    expect(field(signed, 'Error')).toMatchObject({
      Code: 'NoSuchKey',
      Message: 'The specified key does not exist.',
      Key: 'nope.json',
      RequestId: signed.headers?.['x-amz-request-id'],
    });
    expect(field(signed, 'Error.HostId')).toBe(signed.headers?.['x-amz-id-2']);
  });

  it('anonymous callers cannot change the bucket or list buckets', async () => {
    const { send, ccoctl } = setup();
    await ccoctl();
    expect((await send('PUT', `/${BUCKET}?policy`, { body: CCOCTL_POLICY })).status).toBe(403);
    expect((await send('PUT', `/${BUCKET}/x`, { body: 'x' })).status).toBe(403);
    expect((await send('GET', '/')).status).toBe(403);
  });
});

describe('S3: Block Public Access on PutBucketPolicy', () => {
  const MESSAGE = (acct: string) =>
    `User: arn:aws:iam::${acct}:user/alice is not authorized to perform: s3:PutBucketPolicy on resource: ` +
    `"arn:aws:s3:::${BUCKET}" because public policies are blocked by the BlockPublicPolicy block public access setting.`;

  it('a new bucket (all four settings on) rejects a public policy with AWS message and logs the failure', async () => {
    const { ctx, send, events } = setup();
    expect((await send('PUT', `/${BUCKET}`, { as: 'alice' })).status).toBe(200);
    const res = await send('PUT', `/${BUCKET}?policy`, { as: 'alice', body: CCOCTL_POLICY });
    expect(res.status).toBe(403);
    expect(field(res, 'Error')).toMatchObject({ Code: 'AccessDenied', Message: MESSAGE(ctx.state.accountId) });
    expect((await send('GET', `/${BUCKET}?policy`, { as: 'alice' })).status).toBe(404);
    const ev = events('PutBucketPolicy');
    expect(ev).toHaveLength(1);
    expect(ev[0]!.record).toMatchObject({
      errorCode: 'AccessDenied',
      errorMessage: MESSAGE(ctx.state.accountId),
      requestParameters: { bucketName: BUCKET, bucketPolicy: JSON.parse(CCOCTL_POLICY), policy: '' },
    });
  });

  it('BlockPublicPolicy at account level applies too (most restrictive combination)', async () => {
    const { ctx, send, putAccountPab } = setup();
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    await send('PUT', `/${BUCKET}?publicAccessBlock`, { as: 'alice', body: pabXml(false, false, false, false) });
    await putAccountPab(pabXml(false, false, true, false));
    const res = await send('PUT', `/${BUCKET}?policy`, { as: 'alice', body: CCOCTL_POLICY });
    expect(res.status).toBe(403);
    expect(field(res, 'Error.Message')).toBe(MESSAGE(ctx.state.accountId));
  });

  it('rejects policies S3 would not store: foreign resources, bad JSON, empty body', async () => {
    const { send } = setup();
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    const foreign = CCOCTL_POLICY.replace(`${BUCKET}/*`, 'other-bucket/*');
    const a = await send('PUT', `/${BUCKET}?policy`, { as: 'alice', body: foreign });
    expect(a.status).toBe(400);
    expect(field(a, 'Error')).toMatchObject({ Code: 'MalformedPolicy', Message: 'Policy has invalid resource' });
    const b = await send('PUT', `/${BUCKET}?policy`, { as: 'alice', body: 'not json' });
    expect(b.status).toBe(400);
    expect(field(b, 'Error.Code')).toBe('MalformedPolicy');
    const c = await send('PUT', `/${BUCKET}?policy`, { as: 'alice', body: '{"Statement":[{"Effect":"Allow"}]}' });
    expect(field(c, 'Error.Code')).toBe('MalformedPolicy');
    expect(field(c, 'Error.Message')).not.toBe('');
    expect((await send('PUT', `/${BUCKET}?policy`, { as: 'alice', body: '' })).status).toBe(400);
  });
});

describe('S3: a read-only identity (the sentinel)', () => {
  it('may read the bucket configuration but not change the policy; the denial is logged', async () => {
    const { ctx, send, ccoctl, events } = setup();
    await ccoctl();
    ctx.state.users.get('sentinel')!.policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            's3:GetBucketPolicy',
            's3:GetBucketPolicyStatus',
            's3:GetBucketPublicAccessBlock',
            's3:GetBucketAcl',
          ],
          Resource: '*',
        },
      ],
    };
    expect((await send('GET', `/${BUCKET}?policy`, { as: 'sentinel' })).status).toBe(200);
    expect((await send('GET', `/${BUCKET}?policyStatus`, { as: 'sentinel' })).status).toBe(200);
    expect((await send('GET', `/${BUCKET}?publicAccessBlock`, { as: 'sentinel' })).status).toBe(200);
    expect((await send('GET', `/${BUCKET}?tagging`, { as: 'sentinel' })).status).toBe(403);

    const put = await send('PUT', `/${BUCKET}?policy`, { as: 'sentinel', body: policyWithVpceDeny() });
    expect(put.status).toBe(403);
    // docs/aws-facts.md 4.4: a same-account caller's denial names the policy kind; CloudTrail records the same message.
    const message = `User: arn:aws:iam::111122223333:user/sentinel is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${BUCKET}" because no identity-based policy allows the s3:PutBucketPolicy action`;
    expect(field(put, 'Error')).toMatchObject({ Code: 'AccessDenied', Message: message });
    expect(String((await send('GET', `/${BUCKET}?policy`, { as: 'alice' })).body)).toBe(CCOCTL_POLICY);
    const failed = events('PutBucketPolicy').at(-1)!;
    expect(failed.username).toBe('sentinel');
    expect(failed.record).toMatchObject({ errorCode: 'AccessDenied', errorMessage: message });
  });

  it('an explicit Deny in the bucket policy beats an identity Allow', async () => {
    const { send, ccoctl } = setup();
    await ccoctl();
    const doc = JSON.parse(CCOCTL_POLICY) as { Statement: unknown[] };
    doc.Statement.push({
      Sid: 'NoTouching',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:GetBucketAcl',
      Resource: `arn:aws:s3:::${BUCKET}`,
    });
    await send('PUT', `/${BUCKET}?policy`, { as: 'alice', body: JSON.stringify(doc) });
    expect((await send('GET', `/${BUCKET}?acl`, { as: 'alice' })).status).toBe(403);
  });
});

describe('S3: error shapes', () => {
  it('NoSuchBucket names the bucket, also for anonymous callers', async () => {
    const { send } = setup();
    for (const res of [
      await send('GET', '/missing-bucket/key'),
      await send('GET', '/missing-bucket?policy', { as: 'alice' }),
    ]) {
      expect(res.status).toBe(404);
      expect(field(res, 'Error')).toMatchObject({
        Code: 'NoSuchBucket',
        Message: 'The specified bucket does not exist',
        BucketName: 'missing-bucket',
      });
    }
  });

  it('NoSuchBucketPolicy from GetBucketPolicy and GetBucketPolicyStatus (docs/aws-facts.md 4.1, 4.2)', async () => {
    const { send } = setup();
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    for (const sub of ['policy', 'policyStatus']) {
      const res = await send('GET', `/${BUCKET}?${sub}`, { as: 'alice' });
      expect(res.status).toBe(404);
      expect(String(res.body)).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>/);
      expect(field(res, 'Error')).toMatchObject({
        Code: 'NoSuchBucketPolicy',
        Message: 'The bucket policy does not exist',
        BucketName: BUCKET,
      });
    }
  });

  it('NoSuchPublicAccessBlockConfiguration after DeletePublicAccessBlock', async () => {
    const { send, events } = setup();
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    expect((await send('DELETE', `/${BUCKET}?publicAccessBlock`, { as: 'alice' })).status).toBe(204);
    const res = await send('GET', `/${BUCKET}?publicAccessBlock`, { as: 'alice' });
    expect(res.status).toBe(404);
    expect(field(res, 'Error')).toMatchObject({
      Code: 'NoSuchPublicAccessBlockConfiguration',
      Message: 'The public access block configuration was not found',
    });
    expect(events('DeleteBucketPublicAccessBlock')).toHaveLength(1);
  });

  it('HEAD errors carry the status but no body', async () => {
    const { send } = setup();
    const res = await send('HEAD', '/missing-bucket');
    expect(res.status).toBe(404);
    expect(res.body).toBeUndefined();
  });
});

describe('S3: buckets', () => {
  it('new buckets get all four Block Public Access settings and BucketOwnerEnforced (docs/aws-facts.md 4.3)', async () => {
    const { send, events } = setup();
    const res = await send('PUT', `/${BUCKET}`, { as: 'alice' });
    expect(res.status).toBe(200);
    expect(res.headers?.location).toBe(`/${BUCKET}`);
    const pab = field(
      await send('GET', `/${BUCKET}?publicAccessBlock`, { as: 'alice' }),
      'PublicAccessBlockConfiguration',
    );
    expect(pab).toMatchObject({
      BlockPublicAcls: 'true',
      IgnorePublicAcls: 'true',
      BlockPublicPolicy: 'true',
      RestrictPublicBuckets: 'true',
    });
    const oc = await send('GET', `/${BUCKET}?ownershipControls`, { as: 'alice' });
    expect(field(oc, 'OwnershipControls.Rule.ObjectOwnership')).toBe('BucketOwnerEnforced');
    expect(events('CreateBucket')[0]!.record.requestParameters).toEqual({ bucketName: BUCKET, Host: '127.0.0.1:1' });
  });

  it('invalid names are InvalidBucketName; re-creating is 200 in us-east-1 and BucketAlreadyOwnedByYou elsewhere', async () => {
    const { send } = setup();
    const bad = await send('PUT', '/Bad_Name', { as: 'alice' });
    expect(bad.status).toBe(400);
    expect(field(bad, 'Error')).toMatchObject({ Code: 'InvalidBucketName', BucketName: 'Bad_Name' });
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    // S3 API: "returns this error in all AWS Regions except in the North Virginia Region".
    expect((await send('PUT', `/${BUCKET}`, { as: 'alice' })).status).toBe(200);
    const cfg =
      '<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>';
    const again = await send('PUT', `/${BUCKET}`, { as: 'alice', region: 'eu-west-1', body: cfg });
    expect(again.status).toBe(409);
    expect(field(again, 'Error.Code')).toBe('BucketAlreadyOwnedByYou');
  });

  it('LocationConstraint sets the region that GetBucketLocation reports; us-east-1 reports empty', async () => {
    const { send } = setup();
    const cfg =
      '<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>';
    expect((await send('PUT', '/eu-bucket', { as: 'alice', region: 'eu-west-1', body: cfg })).status).toBe(200);
    expect(field(await send('GET', '/eu-bucket?location', { as: 'alice' }), 'LocationConstraint.#text')).toBe(
      'eu-west-1',
    );
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    expect(
      field(await send('GET', `/${BUCKET}?location`, { as: 'alice' }), 'LocationConstraint.#text'),
    ).toBeUndefined();
    const wrong = await send('PUT', '/other-bucket', { as: 'alice', region: 'eu-west-1' });
    expect(field(wrong, 'Error.Code')).toBe('IllegalLocationConstraintException');
  });

  it('DeleteBucket refuses a non-empty bucket', async () => {
    const { send } = setup();
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    await send('PUT', `/${BUCKET}/a`, { as: 'alice', body: 'a' });
    const res = await send('DELETE', `/${BUCKET}`, { as: 'alice' });
    expect(res.status).toBe(409);
    expect(field(res, 'Error.Code')).toBe('BucketNotEmpty');
    await send('DELETE', `/${BUCKET}/a`, { as: 'alice' });
    expect((await send('DELETE', `/${BUCKET}`, { as: 'alice' })).status).toBe(204);
    expect((await send('HEAD', `/${BUCKET}`, { as: 'alice' })).status).toBe(404);
  });

  it('ListBuckets and ListObjectsV2 (prefix, delimiter, paging)', async () => {
    const { send, ccoctl } = setup();
    await ccoctl();
    const buckets = await send('GET', '/', { as: 'alice' });
    expect(field(buckets, 'ListAllMyBucketsResult.Buckets.Bucket.Name')).toBe(BUCKET);
    expect(field(buckets, 'ListAllMyBucketsResult.Owner.ID')).toMatch(/^[0-9a-f]{64}$/);

    const all = field(await send('GET', `/${BUCKET}?list-type=2&delimiter=/`, { as: 'alice' }), 'ListBucketResult');
    expect(all).toMatchObject({ KeyCount: '2', IsTruncated: 'false', Contents: { Key: 'keys.json' } });
    expect(all).toMatchObject({ CommonPrefixes: { Prefix: '.well-known/' } });
    const page1 = field(await send('GET', `/${BUCKET}?list-type=2&max-keys=1`, { as: 'alice' }), 'ListBucketResult');
    expect(page1).toMatchObject({
      KeyCount: '1',
      IsTruncated: 'true',
      Contents: { Key: '.well-known/openid-configuration' },
    });
    const token = String((page1 as { NextContinuationToken: string }).NextContinuationToken);
    const page2 = field(
      await send('GET', `/${BUCKET}?list-type=2&max-keys=1&continuation-token=${token}`, { as: 'alice' }),
      'ListBucketResult',
    );
    expect(page2).toMatchObject({ IsTruncated: 'false', Contents: { Key: 'keys.json' } });
  });

  it('GetBucketAcl shows the owner with FULL_CONTROL under a stable canonical id', async () => {
    const { send } = setup();
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    const acl = await send('GET', `/${BUCKET}?acl`, { as: 'alice' });
    const owner = field(acl, 'AccessControlPolicy.Owner.ID');
    expect(owner).toMatch(/^[0-9a-f]{64}$/);
    expect(field(acl, 'AccessControlPolicy.AccessControlList.Grant')).toEqual({
      Grantee: { '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@_xsi:type': 'CanonicalUser', ID: owner },
      Permission: 'FULL_CONTROL',
    });
    expect(field(await send('GET', `/${BUCKET}?acl`, { as: 'alice' }), 'AccessControlPolicy.Owner.ID')).toBe(owner);
  });

  it('bucket tagging round-trips, NoSuchTagSet when there is none, PutBucketTagging is logged', async () => {
    const { send, events } = setup();
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    expect(field(await send('GET', `/${BUCKET}?tagging`, { as: 'alice' }), 'Error.Code')).toBe('NoSuchTagSet');
    const body =
      '<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>' +
      '<Tag><Key>openshift.io/cloud-credential-operator/mycluster</Key><Value>owned</Value></Tag>' +
      '<Tag><Key>Name</Key><Value>mycluster</Value></Tag></TagSet></Tagging>';
    expect((await send('PUT', `/${BUCKET}?tagging`, { as: 'alice', body })).status).toBe(204);
    const tags = field(await send('GET', `/${BUCKET}?tagging`, { as: 'alice' }), 'Tagging.TagSet.Tag') as unknown[];
    expect(tags).toEqual([
      { Key: 'openshift.io/cloud-credential-operator/mycluster', Value: 'owned' },
      { Key: 'Name', Value: 'mycluster' },
    ]);
    expect(events('PutBucketTagging')).toHaveLength(1);
  });
});

describe('S3: objects', () => {
  it('ACLs other than private are refused on a BucketOwnerEnforced bucket (docs/aws-facts.md 4.3)', async () => {
    const { send } = setup();
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    const res = await send('PUT', `/${BUCKET}/keys.json`, {
      as: 'alice',
      body: KEYS,
      headers: { 'x-amz-acl': 'public-read' },
    });
    expect(res.status).toBe(400);
    expect(field(res, 'Error')).toMatchObject({
      Code: 'AccessControlListNotSupported',
      Message: 'The bucket does not allow ACLs',
    });
    const priv = await send('PUT', `/${BUCKET}/keys.json`, {
      as: 'alice',
      body: KEYS,
      headers: { 'x-amz-acl': 'private' },
    });
    expect(priv.status).toBe(200);
  });

  it('stores x-amz-tagging and a default content type, echoes the client checksum', async () => {
    const { send, bucket } = setup();
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    const res = await send('PUT', `/${BUCKET}/k`, {
      as: 'alice',
      body: 'hello',
      headers: { 'x-amz-tagging': 'Name=mycluster&a=b', 'x-amz-checksum-crc32': 'NhCmhg==' },
    });
    expect(res.status).toBe(200);
    expect(res.headers?.['x-amz-checksum-crc32']).toBe('NhCmhg==');
    expect(bucket().objects.get('k')).toMatchObject({
      tags: { Name: 'mycluster', a: 'b' },
      contentType: 'binary/octet-stream',
    });
  });

  it('decodes aws-chunked uploads', async () => {
    const { send, bucket } = setup();
    await send('PUT', `/${BUCKET}`, { as: 'alice' });
    const body = '5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n';
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' };
    expect((await send('PUT', `/${BUCKET}/k`, { as: 'alice', body, headers })).status).toBe(200);
    expect(bucket().objects.get('k')?.body.toString()).toBe('hello world');
  });
});

describe('S3: simulated issuer-host behaviour (state.ts BucketBehaviour)', () => {
  it('delays, fails with an S3-shaped error, or resets object GET/HEAD only', async () => {
    const { send, ccoctl, bucket } = setup();
    await ccoctl();
    bucket().behaviour = { delayMs: 6000 };
    const slow = await send('GET', DOC_PATH);
    expect(slow).toMatchObject({ status: 200, delayMs: 6000 });

    bucket().behaviour = { errorStatus: 503 };
    const busy = await send('GET', DOC_PATH);
    expect(busy.status).toBe(503);
    expect(field(busy, 'Error')).toMatchObject({ Code: 'SlowDown', Message: 'Please reduce your request rate.' });
    bucket().behaviour = { errorStatus: 500 };
    expect(field(await send('GET', DOC_PATH), 'Error')).toMatchObject({
      Code: 'InternalError',
      Message: 'We encountered an internal error. Please try again.',
    });
    bucket().behaviour = { errorStatus: 502 };
    expect((await send('HEAD', DOC_PATH)).status).toBe(502);

    bucket().behaviour = { reset: true };
    expect((await send('GET', DOC_PATH)).reset).toBe(true);
    // Bucket configuration calls are not the issuer host.
    expect((await send('GET', `/${BUCKET}?policy`, { as: 'alice' })).status).toBe(200);
  });
});
