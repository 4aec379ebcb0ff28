// What every S3 operation shares: the call it receives, the error it throws, and the reply and XML-body helpers.
import { createHash } from 'node:crypto';
import { deniedMessage } from './authz.ts';
import { decideAccess } from './s3-access.ts';
import type { AccessDecision, ContextKeys } from './s3-access.ts';
import type { Bucket, LabState } from './state.ts';
import { callerArn, toXml, xmlParser } from './wire.ts';
import type { LabRequest, LabResponse } from './wire.ts';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An S3 error on its way to the wire; thrown inside an operation, rendered once by the handler. */
export class S3Failure extends Error {
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

// Error codes and messages as S3 sends them (docs/aws-facts.md 4.2, S3 API error-code list).
export const noSuchBucket = (bucket: string): S3Failure =>
  new S3Failure(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
export const accessDenied = (): S3Failure => new S3Failure(403, 'AccessDenied', 'Access Denied');
export const malformedXml = (): S3Failure =>
  new S3Failure(
    400,
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );
export const missingBody = (): S3Failure => new S3Failure(400, 'MissingRequestBodyError', 'Request Body is empty');
export const noSuchPublicAccessBlock = (extra: Record<string, string> = {}): S3Failure =>
  new S3Failure(
    404,
    'NoSuchPublicAccessBlockConfiguration',
    'The public access block configuration was not found',
    extra,
  );
export const methodNotAllowed = (method: string, resourceType: string): S3Failure =>
  new S3Failure(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
    Method: method,
    ResourceType: resourceType,
  });
export const INTERNAL_ERROR = ['InternalError', 'We encountered an internal error. Please try again.'] as const;

/** One request as an operation sees it. `bucketName`/`key` are '' when the path has none. */
export interface S3Call {
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
  /** A management event: requestParameters as CloudTrail records them (docs/aws-facts.md 3.3). */
  trail?: (call: S3Call) => Record<string, unknown>;
}

/** Needs no existing bucket (ListBuckets, CreateBucket); authorized by the identity policy alone. */
export interface ServiceOperation extends OperationBase {
  scope: 'service';
  run: (call: S3Call) => LabResponse;
}

/** Acts on an existing bucket or one of its objects; NoSuchBucket otherwise. */
export interface BucketOperation extends OperationBase {
  scope: 'bucket' | 'object';
  /** Request-context keys the action adds (s3:prefix for ListBucket, …). */
  keys?: (call: S3Call) => ContextKeys;
  /** GET/HEAD of an object: subject to the bucket's simulated issuer-host behaviour. */
  faultable?: boolean;
  run: (call: S3Call, bucket: Bucket) => LabResponse;
}

export type Operation = ServiceOperation | BucketOperation;

/**
 * The AccessDenied of a refused request. A signed caller of the bucket owner's account (every signed lab caller) gets
 * the enhanced message naming the kind of policy that refused; anonymous callers and those outside the account get
 * the bare `Access Denied` (docs/aws-facts.md 4.4). CloudTrail records the same message (s3.ts).
 */
export function deniedFailure(req: LabRequest, decision: AccessDecision, action: string, resource: string): S3Failure {
  const arn = callerArn(req.caller);
  if (arn === undefined || decision.denial === undefined) return accessDenied();
  const shown = resource === '*' ? undefined : `"${resource}"`;
  return new S3Failure(403, 'AccessDenied', deniedMessage(arn, action, shown, decision.denial));
}

export function authorize(
  call: S3Call,
  bucket: Bucket | undefined,
  action: string,
  resource: string,
  keys?: ContextKeys,
): void {
  const decision = decideAccess(call.state, bucket, action, resource, call.req, keys);
  if (!decision.allowed) throw deniedFailure(call.req, decision, action, resource);
}

export const header = (req: LabRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
};
export const hostOf = (req: LabRequest): string => header(req, 'host') ?? req.url.host;

export function ok(
  call: S3Call,
  status = 200,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): LabResponse {
  return {
    status,
    headers: { 'x-amz-request-id': call.req.requestId, 'x-amz-id-2': call.hostId, ...headers },
    ...(body !== undefined ? { body } : {}),
  };
}

export const xmlOk = (call: S3Call, tree: Record<string, unknown>): LabResponse =>
  ok(call, 200, { 'content-type': 'application/xml' }, toXml(tree));

/** Parse an XML request body, or throw MalformedXML; `root` must be the document element. */
export function xmlBody(body: Buffer, root: string): Record<string, unknown> {
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

export const asList = (v: unknown): unknown[] => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]);

export const quotedEtag = (etag: string): string => (etag.startsWith('"') ? etag : `"${etag}"`);

/** Stable canonical user id of the lab account (S3's Owner ID is a 64-hex canonical id). */
export const canonicalId = (accountId: string): string =>
  createHash('sha256').update(`lab-canonical-user:${accountId}`).digest('hex');

/** requestParameters of a bucket management event: the bucket, the Host, and the subresource marker. */
export const bucketTrail =
  (extra: Record<string, unknown>) =>
  (call: S3Call): Record<string, unknown> => ({ bucketName: call.bucketName, Host: hostOf(call.req), ...extra });

/** CloudTrail additionalEventData of an S3 (or S3 Control) request (docs/aws-facts.md 3.3). */
export function s3EventData(
  req: LabRequest,
  hostId: string,
  authenticationMethod: 'AuthHeader' | 'QueryString',
): Record<string, unknown> {
  return {
    ...(req.caller.kind !== 'anonymous' && { SignatureVersion: 'SigV4', AuthenticationMethod: authenticationMethod }),
    CipherSuite: 'TLS_AES_128_GCM_SHA256',
    bytesTransferredIn: req.body.length,
    'x-amz-id-2': hostId,
  };
}
