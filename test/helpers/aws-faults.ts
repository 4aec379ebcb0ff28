// A hostile AWS endpoint: an HTTPS proxy in front of the lab that passes every call through unchanged (the lab
// verifies the signatures, which cover the Host header the proxy keeps) unless a fault is set, and then answers the
// calls it matches the way AWS fails, in each service's own wire format: throttling, 500, 503 (AWS's or a load
// balancer's HTML), a TCP reset, the caller's credentials expired, its clock off, access denied.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeOf } from '../../src/lab/edge.ts';
import type { Lab } from '../../src/lab/index.ts';
import { createLabTls } from '../../src/lab/tls.ts';
import { jsonError, newRequestId, queryError, s3Error } from '../../src/lab/wire.ts';
import type { LabResponse } from '../../src/lab/wire.ts';

export const AWS_FAULTS = [
  'throttle',
  'http500',
  'http503',
  /** A 503 with an HTML body, as a load balancer in front of the service answers. */
  'http503-html',
  'reset',
  /** The caller's session token expired (ExpiredToken / ExpiredTokenException). */
  'expired',
  /** The caller's signature is too old: its clock is off (RequestExpired, RequestTimeTooSkewed for S3). */
  'request-expired',
  'denied',
] as const;
export type AwsFault = (typeof AWS_FAULTS)[number];

/** What the proxy saw of one call. */
export interface AwsCall {
  service: string;
  /** e.g. iam:GetRole, s3:GetBucketPolicy, sts:AssumeRoleWithWebIdentity, cloudtrail:LookupEvents */
  action: string;
  /** The access key id the call was signed with; undefined for an unsigned call. */
  signedBy?: string;
  /** The fault it was answered with, if any. */
  fault?: AwsFault;
}

export interface FaultRule {
  fault: AwsFault;
  /** Which calls get it; default every call. */
  when?: (call: AwsCall) => boolean;
}

export interface AwsFaultProxy {
  /** https://127.0.0.1:PORT: the endpoint to give the agent's accounts. */
  endpoint: string;
  /** The proxy's CA: the accounts' caFile. */
  caFile: string;
  /** Every call since the last reset. */
  calls: AwsCall[];
  set(rule: FaultRule | undefined): void;
  close(): Promise<void>;
}

const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

const S3_ACTIONS: Record<string, string> = {
  policy: 'GetBucketPolicy',
  policyStatus: 'GetBucketPolicyStatus',
  publicAccessBlock: 'GetBucketPublicAccessBlock',
  acl: 'GetBucketAcl',
};

function describeCall(req: IncomingMessage, body: Buffer): AwsCall {
  const url = new URL(req.url ?? '/', 'https://proxy.invalid');
  const service = routeOf(url.pathname, req.headers, body);
  const auth = String(req.headers.authorization ?? '');
  const signedBy = /Credential=([^/]+)\//.exec(auth)?.[1];
  let action: string;
  if (service === 'iam' || service === 'sts')
    action = `${service}:${new URLSearchParams(body.toString('utf8')).get('Action') ?? '?'}`;
  else if (service === 'cloudtrail') action = `cloudtrail:${String(req.headers['x-amz-target']).split('.').pop()}`;
  else if (service === 's3control') action = `s3:${req.method === 'GET' ? 'Get' : req.method}AccountPublicAccessBlock`;
  else {
    const sub = [...url.searchParams.keys()].find((k) => k in S3_ACTIONS);
    action = `s3:${sub !== undefined ? S3_ACTIONS[sub] : `${req.method} ${url.pathname}`}`;
  }
  return { service, action, ...(signedBy !== undefined && { signedBy }) };
}

const HTML_503 = '<html><head><title>503 Service Temporarily Unavailable</title></head><body>busy</body></html>';

/** The answer AWS gives for `fault` in the wire format of `service`. */
function faultAnswer(fault: Exclude<AwsFault, 'reset'>, call: AwsCall): LabResponse {
  const id = newRequestId();
  if (fault === 'http503-html') return { status: 503, headers: { 'content-type': 'text/html' }, body: HTML_503 };
  const [code, status, message] = ((): [string, number, string] => {
    const json = call.service === 'cloudtrail';
    const s3 = call.service === 's3' || call.service === 's3control';
    switch (fault) {
      case 'throttle':
        return s3
          ? ['SlowDown', 503, 'Please reduce your request rate.']
          : [json ? 'ThrottlingException' : 'Throttling', 400, 'Rate exceeded'];
      case 'http500':
        return s3
          ? ['InternalError', 500, 'We encountered an internal error. Please try again.']
          : [json ? 'InternalFailure' : 'ServiceFailure', 500, 'Service failure'];
      case 'http503':
        return ['ServiceUnavailable', 503, 'Service is unable to handle request.'];
      case 'expired':
        return s3
          ? ['ExpiredToken', 400, 'The provided token has expired.']
          : [
              json ? 'ExpiredTokenException' : 'ExpiredToken',
              json ? 400 : 403,
              'The security token included in the request is expired',
            ];
      case 'request-expired':
        return s3
          ? ['RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.']
          : json
            ? [
                'InvalidSignatureException',
                400,
                'Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z',
              ]
            : ['RequestExpired', 400, 'Request has expired.'];
      case 'denied': {
        const who = `arn:aws:iam::111122223333:user/${call.signedBy ?? 'anonymous'}`;
        return s3
          ? ['AccessDenied', 403, 'Access Denied']
          : [
              json ? 'AccessDeniedException' : 'AccessDenied',
              json ? 400 : 403,
              `User: ${who} is not authorized to perform: ${call.action}`,
            ];
      }
    }
  })();
  if (call.service === 'cloudtrail') return jsonError(status, code, message, id);
  if (call.service === 'iam') return queryError(status, code, message, id, IAM_XMLNS);
  if (call.service === 'sts') return queryError(status, code, message, id, STS_XMLNS);
  if (call.service === 's3control') {
    const res = s3Error(status, code, message, id);
    return { ...res, body: `<ErrorResponse>${String(res.body).replace(/^<\?xml[^>]*>\n?/, '')}</ErrorResponse>` };
  }
  return s3Error(status, code, message, id);
}

/** A proxy in front of `lab` that answers with faults by `set` rules and passes everything else through. */
export async function startAwsFaultProxy(lab: Lab): Promise<AwsFaultProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-aws-faults-'));
  const tls = await createLabTls(dir);
  const caFile = join(dir, 'proxy-ca.pem');
  writeFileSync(caFile, tls.caPem);
  const upstream = new URL(lab.endpoint);
  const calls: AwsCall[] = [];
  let rule: FaultRule | undefined;
  const sockets = new Set<Socket>();

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const call = describeCall(req, body);
      calls.push(call);
      if (rule && (rule.when?.(call) ?? true)) {
        call.fault = rule.fault;
        if (rule.fault === 'reset') {
          // A TLS socket cannot be reset; its TCP socket can.
          const raw = (req.socket as Socket & { _parent?: Socket })._parent ?? req.socket;
          raw.resetAndDestroy();
          return;
        }
        const answer = faultAnswer(rule.fault, call);
        res.writeHead(answer.status, { date: new Date().toUTCString(), ...answer.headers }).end(answer.body);
        return;
      }
      const forward = httpsRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          ca: lab.caPem,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caFile,
    calls,
    set(next) {
      rule = next;
      calls.length = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
