// S3 object operations (GET/HEAD/PUT/DELETE) and the simulated issuer-host faults of a bucket's GET/HEAD.
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { blockingLevel, bucketArn, decideAccess, objectArn } from './s3-access.ts';
import type { Bucket, BucketBehaviour } from './state.ts';
import {
  INTERNAL_ERROR,
  S3Failure,
  accessDenied,
  authorize,
  deniedFailure,
  header,
  ok,
  quotedEtag,
} from './s3-wire.ts';
import type { Operation, S3Call } from './s3-wire.ts';
import { s3Error } from './wire.ts';
import type { LabResponse } from './wire.ts';

/** SDK streaming uploads arrive aws-chunked: `<hex-size>[;ext]\r\n<data>\r\n … 0\r\n[trailers]\r\n`. */
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', pos);
    const size = eol < 0 ? NaN : parseInt(body.subarray(pos, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0 || eol + 2 + size > body.length) {
      throw new S3Failure(400, 'IncompleteBody', 'The request body terminated unexpectedly');
    }
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

const PUBLIC_CANNED_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);
const GLOBAL_GROUPS = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;

/** ACL headers on PutObject: refused on ACL-disabled buckets, public ones refused under BlockPublicAcls. */
function checkObjectAcl(call: S3Call, bucket: Bucket): void {
  const acl = header(call.req, 'x-amz-acl');
  const grants = Object.entries(call.req.headers).filter(([h]) => h.startsWith('x-amz-grant-'));
  if (bucket.objectOwnership === 'BucketOwnerEnforced') {
    // docs/aws-facts.md 4.3: ACLs disabled; only the ACLs that equal "bucket owner has full control" are accepted.
    if ((acl !== undefined && acl !== 'private' && acl !== 'bucket-owner-full-control') || grants.length > 0) {
      throw new S3Failure(400, 'AccessControlListNotSupported', 'The bucket does not allow ACLs');
    }
    return;
  }
  const isPublic =
    (acl !== undefined && PUBLIC_CANNED_ACLS.has(acl)) || grants.some(([, v]) => GLOBAL_GROUPS.test(String(v)));
  if (isPublic && blockingLevel(call.state, bucket, 'BlockPublicAcls')) throw accessDenied(); // docs/aws-facts.md 4.2
}

function putObject(call: S3Call, bucket: Bucket): LabResponse {
  const { req } = call;
  if (Buffer.byteLength(call.key) > 1024) throw new S3Failure(400, 'KeyTooLongError', 'Your key is too long');
  checkObjectAcl(call, bucket);
  const tagging = header(req, 'x-amz-tagging');
  if (tagging !== undefined) authorize(call, bucket, 's3:PutObjectTagging', objectArn(bucket.name, call.key));
  const chunked =
    (header(req, 'content-encoding') ?? '').includes('aws-chunked') ||
    (header(req, 'x-amz-content-sha256') ?? '').startsWith('STREAMING-');
  const body = chunked ? decodeAwsChunked(req.body) : req.body;
  const etag = `"${createHash('md5').update(body).digest('hex')}"`;
  bucket.objects.set(call.key, {
    body,
    contentType: header(req, 'content-type') ?? 'binary/octet-stream',
    lastModified: new Date(),
    etag,
    tags: tagging ? Object.fromEntries(new URLSearchParams(tagging)) : {},
  });
  // Checksums the client sent are echoed, not verified (the edge verified the payload hash).
  const checksums = Object.fromEntries(
    Object.entries(req.headers)
      .filter(([h, v]) => h.startsWith('x-amz-checksum-') && h !== 'x-amz-checksum-type' && typeof v === 'string')
      .map(([h, v]) => [h, String(v)]),
  );
  return ok(call, 200, { etag, 'x-amz-server-side-encryption': 'AES256', ...checksums });
}

function getObject(call: S3Call, bucket: Bucket): LabResponse {
  const object = bucket.objects.get(call.key);
  if (!object) {
    // Without s3:ListBucket a missing key is indistinguishable from a forbidden one: 403 (docs/aws-facts.md 4.2).
    const canList = decideAccess(call.state, bucket, 's3:ListBucket', bucketArn(bucket.name), call.req);
    if (!canList.allowed) throw deniedFailure(call.req, canList, 's3:ListBucket', bucketArn(bucket.name));
    throw new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.', { Key: call.key });
  }
  const etag = quotedEtag(object.etag);
  const headers = {
    etag,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    'x-amz-server-side-encryption': 'AES256',
  };
  if (header(call.req, 'if-none-match') === etag) return ok(call, 304, headers);
  return ok(
    call,
    200,
    { ...headers, 'content-type': object.contentType, 'content-length': String(object.body.length) },
    object.body,
  );
}

function deleteObject(call: S3Call, bucket: Bucket): LabResponse {
  bucket.objects.delete(call.key);
  return ok(call, 204);
}

/** Replies of a slow, failing or dead issuer host (state.ts BucketBehaviour). `delayMs` is added by the handler. */
export function behaviourFault(behaviour: BucketBehaviour, requestId: string): LabResponse | undefined {
  if (behaviour.reset) return { status: 500, reset: true };
  const status = behaviour.errorStatus;
  if (status === undefined) return undefined;
  const known: Record<number, readonly [string, string]> = {
    500: INTERNAL_ERROR,
    503: ['SlowDown', 'Please reduce your request rate.'],
    403: ['AccessDenied', 'Access Denied'],
  };
  const text = STATUS_CODES[status] ?? 'Error';
  const [code, message] = known[status] ?? [text.replace(/[^A-Za-z]/g, ''), text];
  return s3Error(status, code, message, requestId);
}

export const OBJECT_OPS = {
  GetObject: { name: 'GetObject', action: 's3:GetObject', scope: 'object', faultable: true, run: getObject },
  HeadObject: { name: 'HeadObject', action: 's3:GetObject', scope: 'object', faultable: true, run: getObject },
  PutObject: { name: 'PutObject', action: 's3:PutObject', scope: 'object', run: putObject },
  DeleteObject: { name: 'DeleteObject', action: 's3:DeleteObject', scope: 'object', run: deleteObject },
} satisfies Record<string, Operation>;
