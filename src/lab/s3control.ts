// S3 Control for the lab: the account-level Block Public Access configuration (docs/aws-facts.md 4.2).
import { authorizeIdentity } from './authz.ts';
import { recordEvent } from './cloudtrail.ts';
import { parsePublicAccessBlockXml, publicAccessBlockTrail, publicAccessBlockXml } from './s3-bucket-config.ts';
import {
  INTERNAL_ERROR,
  S3Failure,
  accessDenied,
  malformedXml,
  noSuchPublicAccessBlock,
  s3EventData,
} from './s3-wire.ts';
import { newHostId, toXml } from './wire.ts';
import type { LabContext, LabHandler, LabRequest, LabResponse } from './wire.ts';

export const S3_CONTROL_NS = 'http://awss3control.amazonaws.com/doc/2018-08-20/';
const PUBLIC_ACCESS_BLOCK_PATH = '/v20180820/configuration/publicAccessBlock';

/** S3 Control errors are wrapped: <ErrorResponse><Error>…</Error><RequestId/><HostId/> (docs/aws-facts.md 4.2). */
function controlError(status: number, code: string, message: string, requestId: string): LabResponse {
  const hostId = newHostId();
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'x-amz-id-2': hostId },
    body: toXml({ ErrorResponse: { Error: { Code: code, Message: message }, RequestId: requestId, HostId: hostId } }),
  };
}

const reply = (req: LabRequest, status: number, body?: string): LabResponse => ({
  status,
  headers: {
    'x-amz-request-id': req.requestId,
    'x-amz-id-2': newHostId(),
    ...(body !== undefined && { 'content-type': 'application/xml' }),
  },
  ...(body !== undefined && { body }),
});

const ACTIONS: Partial<Record<string, { eventName: string; action: string }>> = {
  GET: { eventName: 'GetAccountPublicAccessBlock', action: 's3:GetAccountPublicAccessBlock' },
  PUT: { eventName: 'PutAccountPublicAccessBlock', action: 's3:PutAccountPublicAccessBlock' },
  // DeletePublicAccessBlock (account) is authorized by s3:PutAccountPublicAccessBlock (S3 Control API reference).
  DELETE: { eventName: 'DeleteAccountPublicAccessBlock', action: 's3:PutAccountPublicAccessBlock' },
};

export function createS3ControlHandler(ctx: LabContext): LabHandler {
  const { state } = ctx;

  function run(req: LabRequest, action: string): LabResponse {
    // The account in the signed x-amz-account-id header must be the caller's own.
    if (req.headers['x-amz-account-id'] !== state.accountId || req.caller.kind === 'anonymous') throw accessDenied();
    // Account-level actions have no resource type: IAM evaluates them against "*".
    if (!authorizeIdentity(state, req.caller, action, '*').allowed) throw accessDenied();
    if (req.method === 'GET') {
      if (!state.accountPublicAccessBlock) throw noSuchPublicAccessBlock();
      return reply(req, 200, toXml(publicAccessBlockXml(state.accountPublicAccessBlock, S3_CONTROL_NS)));
    }
    if (req.method === 'PUT') {
      const pab = parsePublicAccessBlockXml(req.body);
      if (!pab) throw malformedXml();
      state.accountPublicAccessBlock = pab;
      return reply(req, 200);
    }
    state.accountPublicAccessBlock = undefined;
    return reply(req, 204);
  }

  return (req) => {
    const op = ACTIONS[req.method];
    if (req.url.pathname.replace(/\/$/, '') !== PUBLIC_ACCESS_BLOCK_PATH || !op) {
      return controlError(
        501,
        'NotImplemented',
        'The lab models only the account PublicAccessBlock API',
        req.requestId,
      );
    }
    let failure: S3Failure | undefined;
    let res: LabResponse;
    try {
      res = run(req, op.action);
    } catch (err) {
      failure = err instanceof S3Failure ? err : new S3Failure(500, ...INTERNAL_ERROR);
      res = controlError(failure.status, failure.code, failure.message, req.requestId);
    }
    if (req.method !== 'GET') {
      try {
        // Management events; eventSource s3.amazonaws.com (docs/aws-facts.md 3.3: sources disagree, this is the majority).
        recordEvent(state, {
          req,
          eventSource: 's3.amazonaws.com',
          eventName: op.eventName,
          readOnly: false,
          requestParameters: {
            Host: String(req.headers.host ?? req.url.host),
            ...(req.method === 'PUT' && publicAccessBlockTrail(req.body, S3_CONTROL_NS)),
          },
          responseElements: null,
          ...(failure && { errorCode: failure.code, errorMessage: failure.message }),
          additionalEventData: s3EventData(req, res.headers?.['x-amz-id-2'] ?? '', 'AuthHeader'),
        });
      } catch {
        // The reply stands even if the lab's trail could not take the event.
      }
    }
    return res;
  };
}
