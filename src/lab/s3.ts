// S3 REST-XML (path-style) for the lab: buckets, objects, bucket policy, Block Public Access, ACL, tagging,
// ownership controls. Authorization is s3-access.ts; bucket-level writes are CloudTrail management events.
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { recordEvent } from './cloudtrail.ts';
import { MalformedPolicyError, parsePolicy, statementsOf } from './policy.ts';
import { bucketPolicyPublicity } from './public.ts';
import { blockingLevel, bucketArn, decideAccess, objectArn } from './s3-access.ts';
import type { ContextKeys } from './s3-access.ts';
import type { Bucket, BucketBehaviour, LabState, PublicAccessBlock } from './state.ts';
import { callerArn, newHostId, s3Error, toXml, xmlParser } from './wire.ts';
import type { LabContext, LabHandler, LabRequest, LabResponse } from './wire.ts';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An S3 error on its way to the wire; thrown inside an operation, rendered once by the handler. */
class S3Failure extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, string>;
  constructor(status: number, code: string, message: string, extra: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

// Error codes and messages as S3 sends them (AWS-FACTS 4.2, S3 API error-code list).
const noSuchBucket = (bucket: string): S3Failure =>
  new S3Failure(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
const accessDenied = (): S3Failure => new S3Failure(403, 'AccessDenied', 'Access Denied');
const malformedXml = (): S3Failure =>
  new S3Failure(
    400,
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );
const missingBody = (): S3Failure => new S3Failure(400, 'MissingRequestBodyError', 'Request Body is empty');
const INTERNAL_ERROR = ['InternalError', 'We encountered an internal error. Please try again.'] as const;

/** One request as an operation sees it. `bucketName`/`key` are '' when the path has none. */
interface S3Call {
  state: LabState;
  req: LabRequest;
  bucketName: string;
  key: string;
  query: URLSearchParams;
  hostId: string;
}

interface OperationBase {
  name: string;
  /** The IAM action the caller needs (AWS Service Authorization Reference for S3). */
  action: string;
  /** A management event: requestParameters as CloudTrail records them (AWS-FACTS 3.3). */
  trail?: (call: S3Call) => Record<string, unknown>;
}

/** Needs no existing bucket (ListBuckets, CreateBucket); authorized by the identity policy alone. */
interface ServiceOperation extends OperationBase {
  scope: 'service';
  run: (call: S3Call) => LabResponse;
}

/** Acts on an existing bucket or one of its objects; NoSuchBucket otherwise. */
interface BucketOperation extends OperationBase {
  scope: 'bucket' | 'object';
  /** Request-context keys the action adds (s3:prefix for ListBucket, …). */
  keys?: (call: S3Call) => ContextKeys;
  /** GET/HEAD of an object: subject to the bucket's simulated issuer-host behaviour. */
  faultable?: boolean;
  run: (call: S3Call, bucket: Bucket) => LabResponse;
}

type Operation = ServiceOperation | BucketOperation;

// ---------------------------------------------------------------------------------------------------------------
// Wire helpers

const header = (req: LabRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
};
const hostOf = (req: LabRequest): string => header(req, 'host') ?? req.url.host;

function ok(call: S3Call, status = 200, headers: Record<string, string> = {}, body?: string | Buffer): LabResponse {
  return {
    status,
    headers: { 'x-amz-request-id': call.req.requestId, 'x-amz-id-2': call.hostId, ...headers },
    ...(body !== undefined ? { body } : {}),
  };
}

const xmlOk = (call: S3Call, tree: Record<string, unknown>): LabResponse =>
  ok(call, 200, { 'content-type': 'application/xml' }, toXml(tree));

/** Parse an XML request body, or throw MalformedXML; `root` must be the document element. */
function xmlBody(body: Buffer, root: string): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  if (text === '') throw malformedXml();
  let parsed: unknown;
  try {
    parsed = xmlParser.parse(text);
  } catch {
    throw malformedXml();
  }
  const el = (parsed as Record<string, unknown> | undefined)?.[root];
  if (el === '') return {};
  if (el === null || typeof el !== 'object' || Array.isArray(el)) throw malformedXml();
  return el as Record<string, unknown>;
}

const asList = (v: unknown): unknown[] => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]);

/** S3 URL-encodes keys in listings when asked (encoding-type=url). */
const encodeKey = (key: string, encode: boolean): string => (encode ? encodeURIComponent(key) : key);

const quotedEtag = (etag: string): string => (etag.startsWith('"') ? etag : `"${etag}"`);

/** Stable canonical user id of the lab account (S3's Owner ID is a 64-hex canonical id). */
const canonicalId = (accountId: string): string =>
  createHash('sha256').update(`lab-canonical-user:${accountId}`).digest('hex');

// ---------------------------------------------------------------------------------------------------------------
// Public Access Block XML, shared with s3control.ts

const PAB_SETTINGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

/** A <PublicAccessBlockConfiguration> body; absent settings are false. Undefined when it is not that document. */
export function parsePublicAccessBlockXml(body: Buffer): PublicAccessBlock | undefined {
  let el: Record<string, unknown>;
  try {
    el = xmlBody(body, 'PublicAccessBlockConfiguration');
  } catch {
    return undefined;
  }
  const out: PublicAccessBlock = {
    BlockPublicAcls: false,
    IgnorePublicAcls: false,
    BlockPublicPolicy: false,
    RestrictPublicBuckets: false,
  };
  for (const setting of PAB_SETTINGS) {
    const v = el[setting];
    if (v === undefined) continue;
    if (v !== 'true' && v !== 'false') return undefined;
    out[setting] = v === 'true';
  }
  return out;
}

export const publicAccessBlockXml = (pab: PublicAccessBlock, xmlns: string): Record<string, unknown> => ({
  PublicAccessBlockConfiguration: {
    '@_xmlns': xmlns,
    ...Object.fromEntries(PAB_SETTINGS.map((s) => [s, String(pab[s])])),
  },
});

/** CloudTrail's rendering of a PublicAccessBlockConfiguration request body (AWS-FACTS 3.3). */
export function publicAccessBlockTrail(body: Buffer, xmlns: string): Record<string, unknown> {
  const pab = parsePublicAccessBlockXml(body);
  if (!pab) return {};
  const { RestrictPublicBuckets, BlockPublicPolicy, BlockPublicAcls, IgnorePublicAcls } = pab;
  return {
    PublicAccessBlockConfiguration: {
      xmlns,
      RestrictPublicBuckets,
      BlockPublicPolicy,
      BlockPublicAcls,
      IgnorePublicAcls,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Buckets

/** Bucket naming rules (S3 User Guide "General purpose bucket naming rules"). */
function validBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !/^(xn--|sthree-|amzn-s3-demo-)/.test(name) &&
    !/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)
  );
}

function locationConstraintOf(req: LabRequest): string | undefined {
  if (req.body.toString('utf8').trim() === '') return undefined;
  const v = xmlBody(req.body, 'CreateBucketConfiguration').LocationConstraint;
  if (v !== undefined && typeof v !== 'string') throw malformedXml();
  return v === '' ? undefined : v;
}

const OWNERSHIPS = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'] as const;

function createBucket(call: S3Call): LabResponse {
  const { state, req, bucketName: name } = call;
  if (!validBucketName(name)) {
    throw new S3Failure(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
  }
  const constraint = locationConstraintOf(req);
  const ownership = header(req, 'x-amz-object-ownership') ?? 'BucketOwnerEnforced';
  if (!(OWNERSHIPS as readonly string[]).includes(ownership)) {
    throw new S3Failure(400, 'InvalidArgument', 'Invalid x-amz-object-ownership header');
  }
  if (state.buckets.has(name)) {
    // "For legacy compatibility, if you re-create an existing bucket that you already own in the North Virginia
    // Region, Amazon S3 returns 200 OK" (S3 API BucketAlreadyOwnedByYou).
    if (req.region === 'us-east-1') return ok(call, 200, { location: `/${name}` });
    throw new S3Failure(
      409,
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      { BucketName: name },
    );
  }
  if (constraint === 'us-east-1' || (constraint !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(constraint))) {
    throw new S3Failure(400, 'InvalidLocationConstraint', 'The specified location-constraint is not valid', {
      LocationConstraint: constraint,
    });
  }
  if (req.region !== 'us-east-1' && constraint !== req.region) {
    throw new S3Failure(
      400,
      'IllegalLocationConstraintException',
      `The ${constraint ?? 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    );
  }
  const acl = header(req, 'x-amz-acl');
  const grants = Object.keys(req.headers).some((h) => h.startsWith('x-amz-grant-'));
  if (ownership === 'BucketOwnerEnforced' && ((acl !== undefined && acl !== 'private') || grants)) {
    // AWS-FACTS 4.3
    throw new S3Failure(
      400,
      'InvalidBucketAclWithObjectOwnership',
      "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    );
  }
  state.buckets.set(name, {
    name,
    region: constraint ?? 'us-east-1',
    createdAt: new Date(),
    // New buckets: all four Block Public Access settings on, ACLs disabled (AWS-FACTS 4.3, April 2023).
    publicAccessBlock: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
    objectOwnership: ownership as Bucket['objectOwnership'],
    objects: new Map(),
    tags: {},
    behaviour: {},
  });
  return ok(call, 200, { location: `/${name}` });
}

function createBucketTrail(call: S3Call): Record<string, unknown> {
  let constraint: string | undefined;
  try {
    constraint = locationConstraintOf(call.req);
  } catch {
    constraint = undefined;
  }
  const ownership = header(call.req, 'x-amz-object-ownership');
  return {
    bucketName: call.bucketName,
    Host: hostOf(call.req),
    ...(constraint !== undefined && { CreateBucketConfiguration: { xmlns: S3_NS, LocationConstraint: constraint } }),
    ...(ownership !== undefined && { 'x-amz-object-ownership': ownership }),
  };
}

function listBuckets(call: S3Call): LabResponse {
  const buckets = [...call.state.buckets.values()].sort((a, b) => a.name.localeCompare(b.name));
  return xmlOk(call, {
    ListAllMyBucketsResult: {
      '@_xmlns': S3_NS,
      Owner: { ID: canonicalId(call.state.accountId) },
      Buckets:
        buckets.length === 0
          ? ''
          : {
              Bucket: buckets.map((b) => ({
                Name: b.name,
                CreationDate: b.createdAt.toISOString(),
                BucketRegion: b.region,
              })),
            },
    },
  });
}

function listObjects(call: S3Call, bucket: Bucket): LabResponse {
  const q = call.query;
  const v2 = q.get('list-type') === '2';
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const encode = q.get('encoding-type') === 'url';
  const maxKeysRaw = q.get('max-keys');
  const maxKeys = maxKeysRaw === null ? 1000 : Number(maxKeysRaw);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new S3Failure(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
  }
  const token = q.get('continuation-token');
  const after = v2
    ? token !== null
      ? Buffer.from(token, 'base64url').toString('utf8')
      : (q.get('start-after') ?? '')
    : (q.get('marker') ?? '');

  const contents: string[] = [];
  const commonPrefixes: string[] = [];
  let last = '';
  let truncated = false;
  for (const key of [...bucket.objects.keys()].sort()) {
    if (!key.startsWith(prefix) || key <= after) continue;
    // Resuming after a common prefix skips the keys it rolled up.
    if (delimiter && after.endsWith(delimiter) && key.startsWith(after)) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const rolled = cut >= 0 ? key.slice(0, cut + delimiter.length) : undefined;
    if (rolled !== undefined && rolled === commonPrefixes.at(-1)) continue;
    if (contents.length + commonPrefixes.length >= Math.min(maxKeys, 1000)) {
      truncated = true;
      break;
    }
    if (rolled !== undefined) commonPrefixes.push(rolled);
    else contents.push(key);
    last = rolled ?? key;
  }
  const entries = contents.map((key) => {
    const o = bucket.objects.get(key)!;
    return {
      Key: encodeKey(key, encode),
      LastModified: o.lastModified.toISOString(),
      ETag: quotedEtag(o.etag),
      Size: o.body.length,
      StorageClass: 'STANDARD',
    };
  });
  const common = {
    Name: bucket.name,
    Prefix: encodeKey(prefix, encode),
    ...(delimiter && { Delimiter: encodeKey(delimiter, encode) }),
    MaxKeys: maxKeys,
    ...(encode && { EncodingType: 'url' }),
    IsTruncated: truncated,
    ...(entries.length > 0 && { Contents: entries }),
    ...(commonPrefixes.length > 0 && { CommonPrefixes: commonPrefixes.map((p) => ({ Prefix: encodeKey(p, encode) })) }),
  };
  const paging = v2
    ? {
        KeyCount: contents.length + commonPrefixes.length,
        ...(token !== null && { ContinuationToken: token }),
        ...(truncated && { NextContinuationToken: Buffer.from(last).toString('base64url') }),
        ...(q.has('start-after') && { StartAfter: encodeKey(q.get('start-after') ?? '', encode) }),
      }
    : { Marker: encodeKey(after, encode), ...(truncated && delimiter && { NextMarker: encodeKey(last, encode) }) };
  return xmlOk(call, { ListBucketResult: { '@_xmlns': S3_NS, ...common, ...paging } });
}

function deleteBucket(call: S3Call, bucket: Bucket): LabResponse {
  if (bucket.objects.size > 0) {
    throw new S3Failure(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', {
      BucketName: bucket.name,
    });
  }
  call.state.buckets.delete(bucket.name);
  return ok(call, 204);
}

// ---------------------------------------------------------------------------------------------------------------
// Bucket policy

/** S3 accepts only Resources that name this bucket or objects in it ("Policy has invalid resource"). */
function resourcesNameBucket(resources: string[], bucket: string): boolean {
  return resources.every((r) => {
    const m = /^arn:aws:s3:::([^/]+)(\/.*)?$/.exec(r);
    if (!m) return false;
    const pattern = new RegExp(
      '^' +
        (m[1] as string)
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.') +
        '$',
    );
    return pattern.test(bucket);
  });
}

function putBucketPolicy(call: S3Call, bucket: Bucket): LabResponse {
  const text = call.req.body.toString('utf8');
  if (text.trim() === '') throw missingBody();
  if (!text.trimStart().startsWith('{')) {
    throw new S3Failure(400, 'MalformedPolicy', "Policies must be valid JSON and the first byte must be '{'");
  }
  let doc;
  try {
    doc = parsePolicy(text, 'resource');
  } catch (err) {
    if (err instanceof MalformedPolicyError) throw new S3Failure(400, 'MalformedPolicy', err.message);
    throw err;
  }
  for (const st of statementsOf(doc)) {
    const resources = [st.Resource ?? st.NotResource ?? []].flat();
    if (!resourcesNameBucket(resources, bucket.name)) {
      throw new S3Failure(400, 'MalformedPolicy', 'Policy has invalid resource');
    }
  }
  // BlockPublicPolicy on the bucket or the account rejects a public policy (AWS-FACTS 4.2, observed message).
  if (blockingLevel(call.state, bucket, 'BlockPublicPolicy') && bucketPolicyPublicity(doc).isPublic) {
    throw new S3Failure(
      403,
      'AccessDenied',
      `User: ${callerArn(call.req.caller) ?? 'anonymous'} is not authorized to perform: s3:PutBucketPolicy on resource: "${bucketArn(bucket.name)}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
    );
  }
  bucket.policy = text;
  return ok(call, 204);
}

function putBucketPolicyTrail(call: S3Call): Record<string, unknown> {
  let bucketPolicy: unknown;
  try {
    bucketPolicy = JSON.parse(call.req.body.toString('utf8'));
  } catch {
    bucketPolicy = undefined;
  }
  return {
    bucketName: call.bucketName,
    ...(bucketPolicy !== undefined && { bucketPolicy }),
    policy: '',
    Host: hostOf(call.req),
  };
}

function storedPolicyOrThrow(bucket: Bucket): string {
  if (bucket.policy === undefined) {
    throw new S3Failure(404, 'NoSuchBucketPolicy', 'The bucket policy does not exist', { BucketName: bucket.name });
  }
  return bucket.policy;
}

function getBucketPolicyStatus(call: S3Call, bucket: Bucket): LabResponse {
  const text = storedPolicyOrThrow(bucket);
  let isPublic: boolean;
  try {
    isPublic = bucketPolicyPublicity(parsePolicy(text, 'resource')).isPublic;
  } catch {
    isPublic = true; // S3 assumes a policy is public until shown otherwise (AWS-FACTS 4.1)
  }
  return xmlOk(call, { PolicyStatus: { '@_xmlns': S3_NS, IsPublic: isPublic } });
}

// ---------------------------------------------------------------------------------------------------------------
// Tags

function parseTagging(req: LabRequest): Record<string, string> {
  const tagSet = xmlBody(req.body, 'Tagging').TagSet;
  const tags: Record<string, string> = {};
  const list = asList(tagSet === '' || tagSet === undefined ? undefined : (tagSet as Record<string, unknown>).Tag);
  if (list.length > 50) throw new S3Failure(400, 'BadRequest', 'Bucket tag count cannot be greater than 50');
  for (const tag of list) {
    const { Key: key, Value: value = '' } = (tag ?? {}) as { Key?: unknown; Value?: unknown };
    if (typeof key !== 'string' || typeof value !== 'string') throw malformedXml();
    if (key in tags) throw new S3Failure(400, 'InvalidTag', 'Cannot provide multiple Tags with the same key');
    if (key.length > 128) throw new S3Failure(400, 'InvalidTag', 'The TagKey you have provided is too long, max 128');
    if (value.length > 256) {
      throw new S3Failure(400, 'InvalidTag', 'The TagValue you have provided is too long, max 256');
    }
    if (key.startsWith('aws:')) throw new S3Failure(400, 'InvalidTag', 'Your TagKey cannot be prefixed with aws:');
    tags[key] = value;
  }
  return tags;
}

function putBucketTaggingTrail(call: S3Call): Record<string, unknown> {
  let tags: Record<string, string> | undefined;
  try {
    tags = parseTagging(call.req);
  } catch {
    tags = undefined;
  }
  return {
    bucketName: call.bucketName,
    Host: hostOf(call.req),
    tagging: '',
    ...(tags && {
      Tagging: { xmlns: S3_NS, TagSet: { Tag: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } },
    }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Objects

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
    // AWS-FACTS 4.3: ACLs disabled; only the ACLs that equal "bucket owner has full control" are accepted.
    if ((acl !== undefined && acl !== 'private' && acl !== 'bucket-owner-full-control') || grants.length > 0) {
      throw new S3Failure(400, 'AccessControlListNotSupported', 'The bucket does not allow ACLs');
    }
    return;
  }
  const isPublic =
    (acl !== undefined && PUBLIC_CANNED_ACLS.has(acl)) || grants.some(([, v]) => GLOBAL_GROUPS.test(String(v)));
  if (isPublic && blockingLevel(call.state, bucket, 'BlockPublicAcls')) throw accessDenied(); // AWS-FACTS 4.2
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
    // Without s3:ListBucket a missing key is indistinguishable from a forbidden one: 403 (AWS-FACTS 4.2).
    const canList = decideAccess(call.state, bucket, 's3:ListBucket', bucketArn(bucket.name), call.req);
    if (!canList.allowed) throw accessDenied();
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
function behaviourFault(behaviour: BucketBehaviour, requestId: string): LabResponse | undefined {
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

// ---------------------------------------------------------------------------------------------------------------
// Operation table

const bucketTrail =
  (extra: Record<string, unknown>) =>
  (call: S3Call): Record<string, unknown> => ({ bucketName: call.bucketName, Host: hostOf(call.req), ...extra });

const OPS = {
  ListBuckets: { name: 'ListBuckets', action: 's3:ListAllMyBuckets', scope: 'service', run: listBuckets },
  CreateBucket: {
    name: 'CreateBucket',
    action: 's3:CreateBucket',
    scope: 'service',
    trail: createBucketTrail,
    run: createBucket,
  },
  HeadBucket: {
    name: 'HeadBucket',
    action: 's3:ListBucket',
    scope: 'bucket',
    run: (call, b) => ok(call, 200, { 'x-amz-bucket-region': b.region, 'x-amz-access-point-alias': 'false' }),
  },
  DeleteBucket: { name: 'DeleteBucket', action: 's3:DeleteBucket', scope: 'bucket', run: deleteBucket },
  ListObjects: {
    name: 'ListObjects',
    action: 's3:ListBucket',
    scope: 'bucket',
    keys: (call) => ({
      's3:prefix': call.query.get('prefix') ?? undefined,
      's3:delimiter': call.query.get('delimiter') ?? undefined,
      's3:max-keys': call.query.get('max-keys') ?? undefined,
    }),
    run: listObjects,
  },
  GetBucketLocation: {
    name: 'GetBucketLocation',
    action: 's3:GetBucketLocation',
    scope: 'bucket',
    // us-east-1 buckets report an empty LocationConstraint.
    run: (call, b) =>
      xmlOk(call, { LocationConstraint: { '@_xmlns': S3_NS, '#text': b.region === 'us-east-1' ? '' : b.region } }),
  },
  GetBucketPolicy: {
    name: 'GetBucketPolicy',
    action: 's3:GetBucketPolicy',
    scope: 'bucket',
    run: (call, b) => ok(call, 200, { 'content-type': 'application/json' }, storedPolicyOrThrow(b)),
  },
  PutBucketPolicy: {
    name: 'PutBucketPolicy',
    action: 's3:PutBucketPolicy',
    scope: 'bucket',
    trail: putBucketPolicyTrail,
    run: putBucketPolicy,
  },
  DeleteBucketPolicy: {
    name: 'DeleteBucketPolicy',
    action: 's3:DeleteBucketPolicy',
    scope: 'bucket',
    trail: bucketTrail({ policy: '' }),
    run: (call, b) => {
      delete b.policy;
      return ok(call, 204);
    },
  },
  GetBucketPolicyStatus: {
    name: 'GetBucketPolicyStatus',
    action: 's3:GetBucketPolicyStatus',
    scope: 'bucket',
    run: getBucketPolicyStatus,
  },
  GetPublicAccessBlock: {
    name: 'GetBucketPublicAccessBlock',
    action: 's3:GetBucketPublicAccessBlock',
    scope: 'bucket',
    run: (call, b) => {
      if (!b.publicAccessBlock) {
        throw new S3Failure(
          404,
          'NoSuchPublicAccessBlockConfiguration',
          'The public access block configuration was not found',
          { BucketName: b.name },
        );
      }
      return xmlOk(call, publicAccessBlockXml(b.publicAccessBlock, S3_NS));
    },
  },
  PutPublicAccessBlock: {
    name: 'PutBucketPublicAccessBlock',
    action: 's3:PutBucketPublicAccessBlock',
    scope: 'bucket',
    trail: (call) => ({
      ...bucketTrail({ publicAccessBlock: '' })(call),
      ...publicAccessBlockTrail(call.req.body, S3_NS),
    }),
    run: (call, b) => {
      const pab = parsePublicAccessBlockXml(call.req.body);
      if (!pab) throw malformedXml();
      b.publicAccessBlock = pab;
      return ok(call, 200);
    },
  },
  DeletePublicAccessBlock: {
    name: 'DeleteBucketPublicAccessBlock',
    // DeletePublicAccessBlock is authorized by s3:PutBucketPublicAccessBlock (S3 API reference).
    action: 's3:PutBucketPublicAccessBlock',
    scope: 'bucket',
    trail: bucketTrail({ publicAccessBlock: '' }),
    run: (call, b) => {
      delete b.publicAccessBlock;
      return ok(call, 204);
    },
  },
  GetBucketAcl: {
    name: 'GetBucketAcl',
    action: 's3:GetBucketAcl',
    scope: 'bucket',
    run: (call) => {
      const owner = { ID: canonicalId(call.state.accountId) };
      return xmlOk(call, {
        AccessControlPolicy: {
          '@_xmlns': S3_NS,
          Owner: owner,
          AccessControlList: {
            Grant: {
              Grantee: {
                '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
                '@_xsi:type': 'CanonicalUser',
                ...owner,
              },
              Permission: 'FULL_CONTROL',
            },
          },
        },
      });
    },
  },
  GetBucketTagging: {
    name: 'GetBucketTagging',
    action: 's3:GetBucketTagging',
    scope: 'bucket',
    run: (call, b) => {
      const tags = Object.entries(b.tags);
      if (tags.length === 0) {
        throw new S3Failure(404, 'NoSuchTagSet', 'The TagSet does not exist', { BucketName: b.name });
      }
      return xmlOk(call, {
        Tagging: { '@_xmlns': S3_NS, TagSet: { Tag: tags.map(([Key, Value]) => ({ Key, Value })) } },
      });
    },
  },
  PutBucketTagging: {
    name: 'PutBucketTagging',
    action: 's3:PutBucketTagging',
    scope: 'bucket',
    trail: putBucketTaggingTrail,
    run: (call, b) => {
      b.tags = parseTagging(call.req);
      return ok(call, 204);
    },
  },
  GetBucketOwnershipControls: {
    name: 'GetBucketOwnershipControls',
    action: 's3:GetBucketOwnershipControls',
    scope: 'bucket',
    run: (call, b) =>
      xmlOk(call, { OwnershipControls: { '@_xmlns': S3_NS, Rule: { ObjectOwnership: b.objectOwnership } } }),
  },
  GetObject: { name: 'GetObject', action: 's3:GetObject', scope: 'object', faultable: true, run: getObject },
  HeadObject: { name: 'HeadObject', action: 's3:GetObject', scope: 'object', faultable: true, run: getObject },
  PutObject: { name: 'PutObject', action: 's3:PutObject', scope: 'object', run: putObject },
  DeleteObject: { name: 'DeleteObject', action: 's3:DeleteObject', scope: 'object', run: deleteObject },
} satisfies Record<string, Operation>;

type MethodTable = Partial<Record<string, Operation>>;

const BUCKET_ROUTES: Record<string, MethodTable> = {
  '': { GET: OPS.ListObjects, PUT: OPS.CreateBucket, HEAD: OPS.HeadBucket, DELETE: OPS.DeleteBucket },
  policy: { GET: OPS.GetBucketPolicy, PUT: OPS.PutBucketPolicy, DELETE: OPS.DeleteBucketPolicy },
  policyStatus: { GET: OPS.GetBucketPolicyStatus },
  publicAccessBlock: {
    GET: OPS.GetPublicAccessBlock,
    PUT: OPS.PutPublicAccessBlock,
    DELETE: OPS.DeletePublicAccessBlock,
  },
  acl: { GET: OPS.GetBucketAcl },
  tagging: { GET: OPS.GetBucketTagging, PUT: OPS.PutBucketTagging },
  ownershipControls: { GET: OPS.GetBucketOwnershipControls },
  location: { GET: OPS.GetBucketLocation },
};
const OBJECT_ROUTES: MethodTable = {
  GET: OPS.GetObject,
  HEAD: OPS.HeadObject,
  PUT: OPS.PutObject,
  DELETE: OPS.DeleteObject,
};

/** Subresources S3 has that the lab does not model: answered NotImplemented rather than misread as plain GETs. */
const UNMODELLED_SUBRESOURCES = [
  'accelerate', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'logging', 'metadataTable', 'metrics', 'notification', 'object-lock', 'replication',
  'requestPayment', 'restore', 'retention', 'select', 'torrent', 'uploadId', 'uploads', 'versioning', 'versions',
  'website',
]; // prettier-ignore

function route(call: S3Call): Operation {
  const { method } = call.req;
  if (call.bucketName === '') {
    if (method === 'GET') return OPS.ListBuckets;
    throw methodNotAllowed(method, 'SERVICE');
  }
  const unmodelled = UNMODELLED_SUBRESOURCES.find((s) => call.query.has(s));
  const modelled = Object.keys(BUCKET_ROUTES).find((s) => s !== '' && call.query.has(s));
  if (unmodelled !== undefined || (call.key !== '' && modelled !== undefined)) {
    throw new S3Failure(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented');
  }
  const table = call.key !== '' ? OBJECT_ROUTES : (BUCKET_ROUTES[modelled ?? ''] as MethodTable);
  const op = table[method];
  if (!op) throw methodNotAllowed(method, call.key !== '' ? 'OBJECT' : 'BUCKET');
  return op;
}

const methodNotAllowed = (method: string, resourceType: string): S3Failure =>
  new S3Failure(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
    Method: method,
    ResourceType: resourceType,
  });

// ---------------------------------------------------------------------------------------------------------------
// Execution

function authorize(
  call: S3Call,
  bucket: Bucket | undefined,
  action: string,
  resource: string,
  keys?: ContextKeys,
): void {
  if (!decideAccess(call.state, bucket, action, resource, call.req, keys).allowed) throw accessDenied();
}

const POLICY_OPS = new Set(['GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy']);

function execute(op: Operation, call: S3Call): LabResponse {
  const expectedOwner = header(call.req, 'x-amz-expected-bucket-owner');
  if (expectedOwner !== undefined && expectedOwner !== call.state.accountId) throw accessDenied();
  const resource =
    call.key !== '' ? objectArn(call.bucketName, call.key) : call.bucketName ? bucketArn(call.bucketName) : '*';
  if (op.scope === 'service') {
    authorize(call, undefined, op.action, resource);
    return op.run(call);
  }
  const bucket = call.state.buckets.get(call.bucketName);
  if (!bucket) throw noSuchBucket(call.bucketName);
  if (op.faultable) {
    const fault = behaviourFault(bucket.behaviour, call.req.requestId);
    if (fault) return fault;
  }
  authorize(call, bucket, op.action, resource, op.keys?.(call));
  // A principal outside the owner's account that is allowed a bucket-policy action gets 405 (S3 API PutBucketPolicy).
  if (call.req.caller.kind === 'anonymous' && POLICY_OPS.has(op.name))
    throw methodNotAllowed(call.req.method, 'BUCKET');
  return op.run(call, bucket);
}

/** Split `/<bucket>[/<key…>]`; a trailing slash after the bucket means no key (the SDK sends `/b/?policy=`). */
function parsePath(pathname: string): { bucketName: string; key: string } {
  const rest = pathname.replace(/^\//, '');
  const slash = rest.indexOf('/');
  try {
    return slash < 0
      ? { bucketName: decodeURIComponent(rest), key: '' }
      : { bucketName: decodeURIComponent(rest.slice(0, slash)), key: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    throw new S3Failure(400, 'InvalidURI', "Couldn't parse the specified URI.");
  }
}

function recordTrail(state: LabState, op: Operation, call: S3Call, res: LabResponse, failure?: S3Failure): void {
  const req = call.req;
  const signed = req.caller.kind !== 'anonymous';
  recordEvent(state, {
    req,
    eventSource: 's3.amazonaws.com', // AWS-FACTS 3.3
    eventName: op.name,
    readOnly: false,
    requestParameters: op.trail?.(call) ?? null,
    responseElements: null,
    ...(failure && { errorCode: failure.code, errorMessage: failure.message }),
    resources: call.bucketName ? [{ type: 'AWS::S3::Bucket', arn: bucketArn(call.bucketName) }] : [],
    additionalEventData: {
      ...(signed && {
        SignatureVersion: 'SigV4',
        AuthenticationMethod: req.url.searchParams.has('X-Amz-Signature') ? 'QueryString' : 'AuthHeader',
      }),
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: req.body.length,
      'x-amz-id-2': res.headers?.['x-amz-id-2'] ?? call.hostId,
    },
  });
}

/** Drop the body of a HEAD reply (HEAD errors carry only the status and headers). */
const forHead = (res: LabResponse): LabResponse => {
  const { body: _body, ...rest } = res;
  return rest;
};

export function createS3Handler(ctx: LabContext): LabHandler {
  const { state } = ctx;
  return (req) => {
    let op: Operation | undefined;
    let call: S3Call | undefined;
    let failure: S3Failure | undefined;
    let res: LabResponse;
    try {
      const { bucketName, key } = parsePath(req.url.pathname);
      call = { state, req, bucketName, key, query: req.url.searchParams, hostId: newHostId() };
      op = route(call);
      res = execute(op, call);
    } catch (err) {
      failure = err instanceof S3Failure ? err : new S3Failure(500, ...INTERNAL_ERROR);
      res = s3Error(failure.status, failure.code, failure.message, req.requestId, failure.extra);
    }
    const delayMs =
      op && op.scope !== 'service' && op.faultable && call
        ? state.buckets.get(call.bucketName)?.behaviour.delayMs
        : undefined;
    if (delayMs) res = { ...res, delayMs };
    if (op?.trail && call) {
      try {
        recordTrail(state, op, call, res, failure);
      } catch {
        // The reply stands even if the lab's trail could not take the event.
      }
    }
    return req.method === 'HEAD' ? forHead(res) : res;
  };
}
