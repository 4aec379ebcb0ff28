// The lab's S3 Control account-level Block Public Access (docs/aws-facts.md 4.2, 3.3; STACK.md section 5).
import { describe, expect, it } from 'vitest';
import { createS3ControlHandler } from '../../src/lab/s3control.ts';
import { asUser, labContext, labRequest } from '../helpers/lab-request.ts';
import { field } from '../helpers/xml.ts';

const PATH = '/v20180820/configuration/publicAccessBlock';
const NS = 'http://awss3control.amazonaws.com/doc/2018-08-20/';
const ALL_ON =
  `<PublicAccessBlockConfiguration xmlns="${NS}"><BlockPublicAcls>true</BlockPublicAcls>` +
  '<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy>' +
  '<RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>';

function setup() {
  const ctx = labContext();
  const handler = createS3ControlHandler(ctx);
  const send = async (method: string, o: { as?: string; body?: string; account?: string } = {}) =>
    handler(
      labRequest({
        method,
        path: PATH,
        caller: o.as ? asUser(ctx, o.as) : { kind: 'anonymous' },
        headers: { host: '127.0.0.1:1', 'x-amz-account-id': o.account ?? ctx.state.accountId },
        ...(o.body !== undefined && { body: o.body }),
      }),
    );
  return { ctx, send };
}

describe('S3 Control: account PublicAccessBlock', () => {
  it('is missing at first: 404 NoSuchPublicAccessBlockConfiguration wrapped in <ErrorResponse>', async () => {
    const { send } = setup();
    const res = await send('GET', { as: 'alice' });
    expect(res.status).toBe(404);
    expect(res.headers?.['x-amz-request-id']).toBeTruthy();
    expect(field(res, 'ErrorResponse')).toEqual({
      Error: {
        Code: 'NoSuchPublicAccessBlockConfiguration',
        Message: 'The public access block configuration was not found',
      },
      RequestId: res.headers?.['x-amz-request-id'],
      HostId: res.headers?.['x-amz-id-2'],
    });
  });

  it('PUT stores it, GET returns <PublicAccessBlockConfiguration> in the S3 Control namespace, DELETE removes it', async () => {
    const { ctx, send } = setup();
    expect((await send('PUT', { as: 'alice', body: ALL_ON })).status).toBe(200);
    expect(ctx.state.accountPublicAccessBlock).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const got = await send('GET', { as: 'alice' });
    expect(got.status).toBe(200);
    expect(field(got, 'PublicAccessBlockConfiguration')).toEqual({
      '@_xmlns': NS,
      BlockPublicAcls: 'true',
      IgnorePublicAcls: 'true',
      BlockPublicPolicy: 'true',
      RestrictPublicBuckets: 'true',
    });
    expect((await send('DELETE', { as: 'alice' })).status).toBe(204);
    expect((await send('GET', { as: 'alice' })).status).toBe(404);
  });

  it('settings left out of the body are false', async () => {
    const { ctx, send } = setup();
    const body = `<PublicAccessBlockConfiguration xmlns="${NS}"><BlockPublicPolicy>true</BlockPublicPolicy></PublicAccessBlockConfiguration>`;
    await send('PUT', { as: 'alice', body });
    expect(ctx.state.accountPublicAccessBlock).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false,
    });
  });

  it('refuses another account id, anonymous callers and identities without the action', async () => {
    const { ctx, send } = setup();
    for (const res of [
      await send('GET', { as: 'alice', account: '444455556666' }),
      await send('GET'),
      await send('PUT', { as: 'nobody', body: ALL_ON }),
    ]) {
      expect(res.status).toBe(403);
      expect(field(res, 'ErrorResponse.Error')).toEqual({ Code: 'AccessDenied', Message: 'Access Denied' });
    }
    ctx.state.users.get('sentinel')!.policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetAccountPublicAccessBlock', Resource: '*' }],
    };
    expect((await send('GET', { as: 'sentinel' })).status).toBe(404);
    expect((await send('PUT', { as: 'sentinel', body: ALL_ON })).status).toBe(403);
    expect(ctx.state.accountPublicAccessBlock).toBeUndefined();
  });

  it('rejects a body that is not a PublicAccessBlockConfiguration', async () => {
    const { send } = setup();
    const res = await send('PUT', { as: 'alice', body: '<Other><BlockPublicPolicy>yes</BlockPublicPolicy></Other>' });
    expect(res.status).toBe(400);
    expect(field(res, 'ErrorResponse.Error.Code')).toBe('MalformedXML');
  });

  it('logs Put/DeleteAccountPublicAccessBlock as s3.amazonaws.com management events, failures included (docs/aws-facts.md 3.3)', async () => {
    const { ctx, send } = setup();
    await send('PUT', { as: 'alice', body: ALL_ON });
    await send('PUT', { as: 'nobody', body: ALL_ON });
    await send('DELETE', { as: 'alice' });
    await send('GET', { as: 'alice' });
    expect(ctx.state.trail.map((e) => [e.eventName, e.eventSource, e.record.errorCode])).toEqual([
      ['PutAccountPublicAccessBlock', 's3.amazonaws.com', undefined],
      ['PutAccountPublicAccessBlock', 's3.amazonaws.com', 'AccessDenied'],
      ['DeleteAccountPublicAccessBlock', 's3.amazonaws.com', undefined],
    ]);
    expect(ctx.state.trail[0]!.record.requestParameters).toEqual({
      Host: '127.0.0.1:1',
      PublicAccessBlockConfiguration: {
        xmlns: NS,
        RestrictPublicBuckets: true,
        BlockPublicPolicy: true,
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
      },
    });
    expect(ctx.state.trail[0]!.record.readOnly).toBe(false);
  });
});
