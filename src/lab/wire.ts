// What every lab service handler receives and returns, and the AWS wire shapes of replies and errors.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { LabSession, LabUser } from './state.ts';

/** Who made the request, as established by SigV4 verification in the edge (or nobody). */
export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'user'; user: LabUser; accessKeyId: string }
  | { kind: 'session'; session: LabSession; accessKeyId: string };

export interface LabRequest {
  method: string;
  /** Path and query as received; the host part is the lab's. */
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  caller: Caller;
  /** Region from the SigV4 credential scope, else the lab's default region. */
  region: string;
  /** Service from the SigV4 credential scope, if signed. */
  signedService?: string;
  /** Apparent source: loopback callers are internet callers unless the lab-only headers say otherwise. */
  sourceIp: string;
  sourceVpce?: string;
  sourceVpc?: string;
  userAgent: string;
  requestId: string;
}

export interface LabResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Wait this long before answering (slow issuer fault). */
  delayMs?: number;
  /** Reset the connection instead of answering (issuer-down fault). */
  reset?: boolean;
}

export type LabHandler = (req: LabRequest) => LabResponse | Promise<LabResponse>;

export const newRequestId = (): string => randomUUID();
/** S3's x-amz-id-2 / HostId is an opaque base64 string. */
export const newHostId = (): string => randomBytes(48).toString('base64');

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
export const xmlParser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true });

/** Serialise an object tree to XML with a declaration. Arrays repeat their element. */
export function toXml(tree: Record<string, unknown>): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + builder.build(tree);
}

export function xmlResponse(status: number, tree: Record<string, unknown>, requestId: string): LabResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: toXml(tree),
  };
}

/** S3 REST error: plain <Error> root (docs/aws-facts.md 4.2; samples/s3-error-NoSuchBucketPolicy.xml). */
export function s3Error(
  status: number,
  code: string,
  message: string,
  requestId: string,
  extra: Record<string, string> = {},
): LabResponse {
  const hostId = newHostId();
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'x-amz-id-2': hostId },
    body: toXml({ Error: { Code: code, Message: message, ...extra, RequestId: requestId, HostId: hostId } }),
  };
}

/** awsQuery error (STS, IAM): <ErrorResponse><Error>…</Error><RequestId/> (docs/aws-facts.md 1.5). */
export function queryError(
  status: number,
  code: string,
  message: string,
  requestId: string,
  xmlns: string,
  type: 'Sender' | 'Receiver' = 'Sender',
): LabResponse {
  return xmlResponse(
    status,
    { ErrorResponse: { '@_xmlns': xmlns, Error: { Type: type, Code: code, Message: message }, RequestId: requestId } },
    requestId,
  );
}

/** awsJson1_1 error (CloudTrail): {"__type","message"} plus X-Amzn-ErrorType (docs/aws-facts.md 3.2). */
export function jsonError(status: number, code: string, message: string, requestId: string): LabResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId, 'x-amzn-errortype': code },
    body: JSON.stringify({ __type: code, message }),
  };
}

export function jsonResponse(body: unknown, requestId: string): LabResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

/** ARN of whoever signed the request, for error messages and CloudTrail. */
export function callerArn(caller: Caller): string | undefined {
  if (caller.kind === 'user') return caller.user.arn;
  if (caller.kind === 'session') return caller.session.assumedRoleArn;
  return undefined;
}

/** Parse an application/x-www-form-urlencoded body (awsQuery) into a flat map. */
export function parseForm(body: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

/** awsQuery lists arrive as `Name.member.1`, `Name.member.2`, … */
export function formList(form: Record<string, string>, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; form[`${name}.member.${i}`] !== undefined; i++) out.push(form[`${name}.member.${i}`] as string);
  return out;
}

/** What a service handler needs from the running lab. `endpoint` is set once the edge listens. */
export interface LabContext {
  state: import('./state.ts').LabState;
  /** https://127.0.0.1:PORT */
  endpoint: string;
  /** PEM of the lab CA, trusted (with the system CAs) by the lab's own outbound fetches (STS → issuer). */
  caPem: string;
}
