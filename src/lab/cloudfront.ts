// CloudFront in front of a private OIDC bucket, as `ccoctl --create-private-s3-bucket` sets it up (docs/aws-facts.md 5).
// A distribution is served at `/_cloudfront/<distributionId>/<key>` on the lab's port (standing for
// https://<id>.cloudfront.net/<key>). It allows GET and HEAD, caches nothing (ccoctl's CachingDisabled policy), and
// reads each object from its origin bucket as its Origin Access Identity, decided by the bucket policy and Block
// Public Access like any S3 request (s3-access.ts). What the origin refuses is passed through as S3 wrote it.
import { createHash, randomBytes } from 'node:crypto';
import { CLOUDFRONT_PATH_PREFIX } from './clusters.ts';
import { bucketArn, decideOriginAccessIdentity, objectArn } from './s3-access.ts';
import { behaviourFault } from './s3-objects.ts';
import { noSuchBucket } from './s3-wire.ts';
import type { S3Failure } from './s3-wire.ts';
import type { Distribution } from './state.ts';
import { newHostId, s3Error } from './wire.ts';
import type { LabContext, LabHandler, LabRequest, LabResponse } from './wire.ts';

/** Split `/_cloudfront/<id>[/<key…>]`; undefined when the key cannot be decoded. */
function parsePath(pathname: string): { id: string; key: string } | undefined {
  const rest = pathname.slice(CLOUDFRONT_PATH_PREFIX.length);
  const slash = rest.indexOf('/');
  try {
    return slash < 0
      ? { id: rest, key: '' }
      : { id: rest.slice(0, slash), key: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    return undefined;
  }
}

/** Headers CloudFront adds to every reply (`x-cache` says whether the edge answered from its cache; it never does here). */
function edgeHeaders(distribution: Distribution, cache: 'Miss' | 'Error'): Record<string, string> {
  const edge = createHash('md5').update(distribution.id).digest('hex');
  return {
    'x-cache': `${cache} from cloudfront`,
    via: `1.1 ${edge}.cloudfront.net (CloudFront)`,
    'x-amz-cf-pop': 'IAD89-C1',
    'x-amz-cf-id': randomBytes(42).toString('base64url'),
  };
}

/** A reply of the origin passed through to the viewer, with CloudFront's own headers added. */
function passThrough(distribution: Distribution, origin: LabResponse, method: string): LabResponse {
  const ok = origin.status < 400;
  const res: LabResponse = {
    ...origin,
    headers: { ...origin.headers, ...edgeHeaders(distribution, ok ? 'Miss' : 'Error') },
  };
  if (method === 'HEAD') delete res.body;
  return res;
}

const originError = (failure: S3Failure, requestId: string): LabResponse =>
  s3Error(failure.status, failure.code, failure.message, requestId, failure.extra);

/** The origin's answer to the OAI's GET of `key` (an S3 GetObject; the root path is a ListObjects). */
function readOrigin(ctx: LabContext, distribution: Distribution, key: string, req: LabRequest): LabResponse {
  const { state } = ctx;
  const bucket = state.buckets.get(distribution.originBucket);
  if (!bucket) return originError(noSuchBucket(distribution.originBucket), req.requestId);
  // The origin host's simulated behaviour (issuer-slow / -error / -down faults) reaches viewers through the edge.
  const fault = behaviourFault(bucket.behaviour, req.requestId);
  if (fault) return fault;
  const denied = (): LabResponse => s3Error(403, 'AccessDenied', 'Access Denied', req.requestId);
  const canList = () =>
    decideOriginAccessIdentity(state, bucket, distribution.oaiArn, 's3:ListBucket', bucketArn(bucket.name)).allowed;
  // ListObjects is not modelled through the edge: an OIDC issuer has no index document.
  if (key === '')
    return canList() ? s3Error(404, 'NoSuchKey', 'The specified key does not exist.', req.requestId) : denied();
  const decision = decideOriginAccessIdentity(
    state,
    bucket,
    distribution.oaiArn,
    's3:GetObject',
    objectArn(bucket.name, key),
  );
  if (!decision.allowed) return denied();
  const object = bucket.objects.get(key);
  if (!object) {
    // Without s3:ListBucket a missing key is a 403, as for any S3 caller (docs/aws-facts.md 4.2).
    return canList()
      ? s3Error(404, 'NoSuchKey', 'The specified key does not exist.', req.requestId, { Key: key })
      : denied();
  }
  return {
    status: 200,
    headers: {
      'content-type': object.contentType,
      'content-length': String(object.body.length),
      etag: object.etag.startsWith('"') ? object.etag : `"${object.etag}"`,
      'last-modified': object.lastModified.toUTCString(),
      'x-amz-server-side-encryption': 'AES256',
      'accept-ranges': 'bytes',
      'x-amz-request-id': req.requestId,
      'x-amz-id-2': newHostId(),
    },
    body: object.body,
  };
}

export function createCloudFrontHandler(ctx: LabContext): LabHandler {
  return (req) => {
    const parsed = parsePath(req.url.pathname);
    const distribution = parsed ? ctx.state.distributions.get(parsed.id) : undefined;
    if (!parsed || !distribution) {
      // A lab artifact: on AWS an unknown <id>.cloudfront.net does not resolve at all.
      return {
        status: 404,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: `lab: no CloudFront distribution at ${req.url.pathname}\n`,
      };
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // ccoctl's AllowedMethods are GET and HEAD. CloudFront's wording is not in docs/aws-facts.md (observed elsewhere).
      return {
        status: 403,
        headers: { 'content-type': 'text/plain; charset=utf-8', ...edgeHeaders(distribution, 'Error') },
        body:
          'This distribution is not configured to allow the HTTP request method that was used for this request. ' +
          'The distribution supports only cachable requests.\n',
      };
    }
    const origin = readOrigin(ctx, distribution, parsed.key, req);
    const delayMs = ctx.state.buckets.get(distribution.originBucket)?.behaviour.delayMs;
    return passThrough(distribution, delayMs ? { ...origin, delayMs } : origin, req.method);
  };
}
