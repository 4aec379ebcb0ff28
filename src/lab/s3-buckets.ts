// S3 bucket operations: create, head, delete, list buckets, list objects (V1 and V2), location.
import type { Bucket } from './state.ts';
import {
  S3_NS,
  S3Failure,
  canonicalId,
  header,
  hostOf,
  malformedXml,
  ok,
  quotedEtag,
  xmlBody,
  xmlOk,
} from './s3-wire.ts';
import type { Operation, S3Call } from './s3-wire.ts';
import type { LabRequest, LabResponse } from './wire.ts';

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
    // docs/aws-facts.md 4.3
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
    // New buckets: all four Block Public Access settings on, ACLs disabled (docs/aws-facts.md 4.3, April 2023).
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

/** S3 URL-encodes keys in listings when asked (encoding-type=url). */
const encodeKey = (key: string, encode: boolean): string => (encode ? encodeURIComponent(key) : key);

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

export const BUCKET_OPS = {
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
} satisfies Record<string, Operation>;
