// SigV4 verification of requests to the lab: re-sign with the SDK's own signer and compare (STACK.md section 5).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

export interface SignatureScope {
  accessKeyId: string;
  region: string;
  service: string;
}

export type SigV4Outcome =
  | { ok: true; scope: SignatureScope }
  | { ok: false; code: 'SignatureDoesNotMatch' | 'IncompleteSignature' | 'XAmzContentSHA256Mismatch'; message: string };

/** The credential scope of an Authorization header, or undefined when the request is not SigV4-signed. */
export function parseAuthorization(auth: string | undefined): (SignatureScope & { date: string }) | undefined {
  const m = auth ? AUTH_RE.exec(auth) : null;
  if (!m) return undefined;
  return { accessKeyId: m[1] as string, date: m[2] as string, region: m[3] as string, service: m[4] as string };
}

function parseAmzDate(v: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return new Date(NaN);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

export interface VerifyInput {
  method: string;
  /** Path and query as sent. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Verify the request's SigV4 signature with the given secret. Presigned (query) signatures are not supported. */
export async function verifySigV4(input: VerifyInput): Promise<SigV4Outcome> {
  const auth = String(input.headers.authorization ?? '');
  const m = AUTH_RE.exec(auth);
  if (!m) return { ok: false, code: 'IncompleteSignature', message: 'Authorization header requires SigV4 fields.' };
  const [, accessKeyId, , region, service, signedList, signature] = m as unknown as string[];
  const signed = (signedList as string).split(';');
  const headers: Record<string, string> = {};
  for (const h of signed) {
    const v = input.headers[h];
    if (v === undefined) {
      return { ok: false, code: 'SignatureDoesNotMatch', message: `Signed header ${h} is missing from the request.` };
    }
    headers[h] = Array.isArray(v) ? v.join(',') : v;
  }
  // The signer trusts x-amz-content-sha256 as given, so check it against the body (STACK.md section 5).
  const declared = input.headers['x-amz-content-sha256'];
  if (typeof declared === 'string' && declared !== 'UNSIGNED-PAYLOAD' && !declared.startsWith('STREAMING-')) {
    const actual = createHash('sha256').update(input.body).digest('hex');
    if (declared !== actual) {
      return {
        ok: false,
        code: 'XAmzContentSHA256Mismatch',
        message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
      };
    }
  }
  const u = new URL(input.rawUrl, 'https://lab.invalid');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of u.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signingDate = parseAmzDate(String(input.headers['x-amz-date'] ?? ''));
  if (Number.isNaN(signingDate.getTime())) {
    return { ok: false, code: 'IncompleteSignature', message: 'X-Amz-Date is missing or malformed.' };
  }
  const hostHeader = String(input.headers.host ?? '');
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: accessKeyId as string,
      secretAccessKey: input.secretAccessKey,
      ...(input.sessionToken ? { sessionToken: input.sessionToken } : {}),
    },
    region: region as string,
    service: service as string,
    sha256: Sha256,
    uriEscapePath: service !== 's3',
    applyChecksum: false,
  });
  const out = await signer.sign(
    {
      method: input.method,
      protocol: 'https:',
      hostname: hostHeader.replace(/:\d+$/, ''),
      path: decodeURIComponent(u.pathname),
      query,
      headers,
      body: input.body,
    },
    { signingDate, signableHeaders: new Set(signed) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(out.headers.authorization))?.[1] ?? '';
  const a = Buffer.from(expected);
  const b = Buffer.from(signature as string);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return {
    ok: true,
    scope: { accessKeyId: accessKeyId as string, region: region as string, service: service as string },
  };
}
