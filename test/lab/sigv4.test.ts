import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAuthorization, verifySigV4 } from '../../src/lab/sigv4.ts';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

async function signed(opts: { service: string; path: string; query?: Record<string, string>; body: string }) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET },
    region: 'us-east-2',
    service: opts.service,
    sha256: Sha256,
    uriEscapePath: opts.service !== 's3',
  });
  const headers = {
    host: '127.0.0.1:4566',
    'content-type': 'application/json',
    'x-amz-content-sha256': createHash('sha256').update(opts.body).digest('hex'),
  };
  const out = await signer.sign({
    method: 'PUT',
    protocol: 'https:',
    hostname: '127.0.0.1',
    port: 4566,
    path: opts.path,
    query: opts.query ?? {},
    headers,
    body: opts.body,
  });
  const qs = new URLSearchParams(opts.query ?? {}).toString();
  const lower = Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { rawUrl: opts.path + (qs ? `?${qs}` : ''), headers: lower };
}

describe('SigV4 verification', () => {
  it('parses the credential scope', () => {
    expect(
      parseAuthorization(
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=' +
          'a'.repeat(64),
      ),
    ).toEqual({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', date: '20260101', region: 'eu-west-1', service: 's3' });
    expect(parseAuthorization('Bearer x')).toBeUndefined();
  });

  it('accepts what the SDK signer signs, and rejects a wrong secret, a changed body or a changed path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('s3', 'iam', 'sts'),
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{2,20}$/),
        fc.string({ maxLength: 200 }),
        async (service, bucket, body) => {
          const { rawUrl, headers } = await signed({ service, path: `/${bucket}`, query: { policy: '' }, body });
          const base = { method: 'PUT', rawUrl, headers, body: Buffer.from(body) };
          expect(await verifySigV4({ ...base, secretAccessKey: SECRET })).toMatchObject({ ok: true });
          expect(await verifySigV4({ ...base, secretAccessKey: SECRET + 'x' })).toMatchObject({
            ok: false,
            code: 'SignatureDoesNotMatch',
          });
          expect(await verifySigV4({ ...base, body: Buffer.from(body + '!'), secretAccessKey: SECRET })).toMatchObject({
            ok: false,
            code: 'XAmzContentSHA256Mismatch',
          });
          expect(await verifySigV4({ ...base, rawUrl: `/${bucket}x?policy=`, secretAccessKey: SECRET })).toMatchObject({
            ok: false,
            code: 'SignatureDoesNotMatch',
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('names a signed header that is missing from the request', async () => {
    const { rawUrl, headers } = await signed({ service: 's3', path: '/b', body: '' });
    const { host: _host, ...rest } = headers;
    expect(
      await verifySigV4({ method: 'PUT', rawUrl, headers: rest, body: Buffer.alloc(0), secretAccessKey: SECRET }),
    ).toEqual({
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'Signed header host is missing from the request.',
    });
  });
});
