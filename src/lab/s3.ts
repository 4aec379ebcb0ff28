// S3 REST-XML (path-style) for the lab: routes each request to its operation (s3-buckets.ts, s3-bucket-policy.ts,
// s3-bucket-config.ts, s3-objects.ts), authorizes it (s3-access.ts), and records bucket-level writes in CloudTrail.
import { recordEvent } from './cloudtrail.ts';
import { BUCKET_CONFIG_OPS } from './s3-bucket-config.ts';
import { BUCKET_POLICY_OPS } from './s3-bucket-policy.ts';
import { BUCKET_OPS } from './s3-buckets.ts';
import { bucketArn, objectArn } from './s3-access.ts';
import { OBJECT_OPS, behaviourFault } from './s3-objects.ts';
import {
  INTERNAL_ERROR,
  S3Failure,
  accessDenied,
  authorize,
  header,
  methodNotAllowed,
  noSuchBucket,
  s3EventData,
} from './s3-wire.ts';
import type { Operation, S3Call } from './s3-wire.ts';
import type { LabState } from './state.ts';
import { newHostId, s3Error } from './wire.ts';
import type { LabContext, LabHandler, LabResponse } from './wire.ts';

type MethodTable = Partial<Record<string, Operation>>;

const BUCKET_ROUTES: Record<string, MethodTable> = {
  '': {
    GET: BUCKET_OPS.ListObjects,
    PUT: BUCKET_OPS.CreateBucket,
    HEAD: BUCKET_OPS.HeadBucket,
    DELETE: BUCKET_OPS.DeleteBucket,
  },
  policy: {
    GET: BUCKET_POLICY_OPS.GetBucketPolicy,
    PUT: BUCKET_POLICY_OPS.PutBucketPolicy,
    DELETE: BUCKET_POLICY_OPS.DeleteBucketPolicy,
  },
  policyStatus: { GET: BUCKET_POLICY_OPS.GetBucketPolicyStatus },
  publicAccessBlock: {
    GET: BUCKET_CONFIG_OPS.GetPublicAccessBlock,
    PUT: BUCKET_CONFIG_OPS.PutPublicAccessBlock,
    DELETE: BUCKET_CONFIG_OPS.DeletePublicAccessBlock,
  },
  acl: { GET: BUCKET_CONFIG_OPS.GetBucketAcl },
  tagging: { GET: BUCKET_CONFIG_OPS.GetBucketTagging, PUT: BUCKET_CONFIG_OPS.PutBucketTagging },
  ownershipControls: { GET: BUCKET_CONFIG_OPS.GetBucketOwnershipControls },
  location: { GET: BUCKET_OPS.GetBucketLocation },
};
const OBJECT_ROUTES: MethodTable = {
  GET: OBJECT_OPS.GetObject,
  HEAD: OBJECT_OPS.HeadObject,
  PUT: OBJECT_OPS.PutObject,
  DELETE: OBJECT_OPS.DeleteObject,
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
    if (method === 'GET') return BUCKET_OPS.ListBuckets;
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

// ---------------------------------------------------------------------------------------------------------------
// Execution

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
  recordEvent(state, {
    req,
    eventSource: 's3.amazonaws.com', // docs/aws-facts.md 3.3
    eventName: op.name,
    readOnly: false,
    requestParameters: op.trail?.(call) ?? null,
    responseElements: null,
    ...(failure && { errorCode: failure.code, errorMessage: failure.message }),
    resources: call.bucketName ? [{ type: 'AWS::S3::Bucket', arn: bucketArn(call.bucketName) }] : [],
    additionalEventData: s3EventData(
      req,
      res.headers?.['x-amz-id-2'] ?? call.hostId,
      req.url.searchParams.has('X-Amz-Signature') ? 'QueryString' : 'AuthHeader',
    ),
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
