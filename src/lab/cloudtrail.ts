// CloudTrail: the lab records its own management events and answers LookupEvents (awsJson1_1) over them.
import { randomUUID } from 'node:crypto';
import { authorizeIdentity } from './authz.ts';
import { LOOKUP_LOG_SIZE } from './state.ts';
import type { LabState, TrailEvent } from './state.ts';
import { jsonError, jsonResponse } from './wire.ts';
import type { LabContext, LabHandler, LabRequest } from './wire.ts';

export interface RecordInput {
  req: LabRequest;
  eventSource: string;
  eventName: string;
  readOnly: boolean;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  errorCode?: string;
  errorMessage?: string;
  resources?: { type: string; arn: string; accountId?: string }[];
  /** Overrides the identity derived from the signer (e.g. WebIdentityUser for STS). */
  userIdentity?: Record<string, unknown>;
  additionalEventData?: Record<string, unknown>;
  /** Defaults to the request's region; IAM events belong to us-east-1. */
  region?: string;
}

/** userIdentity of a signed request (docs/aws-facts.md 3.3 records; IAMUser / AssumedRole shapes). */
function identityOf(state: LabState, req: LabRequest): Record<string, unknown> {
  const c = req.caller;
  if (c.kind === 'user' && c.user.root) {
    // The root user's records: type Root, its principal id the account id, no userName (CloudTrail userIdentity).
    return {
      type: 'Root',
      principalId: c.user.userId,
      arn: c.user.arn,
      accountId: state.accountId,
      accessKeyId: c.accessKeyId,
    };
  }
  if (c.kind === 'user') {
    return {
      type: 'IAMUser',
      principalId: c.user.userId,
      arn: c.user.arn,
      accountId: state.accountId,
      accessKeyId: c.accessKeyId,
      userName: c.user.name,
    };
  }
  if (c.kind === 'session') {
    return {
      type: 'AssumedRole',
      principalId: c.session.assumedRoleId,
      arn: c.session.assumedRoleArn,
      accountId: state.accountId,
      accessKeyId: c.accessKeyId,
      sessionContext: { sessionIssuer: { type: 'Role', arn: c.session.roleArn, accountId: state.accountId } },
    };
  }
  return { type: 'AWSAccount', principalId: '', accountId: 'anonymous' };
}

/** Append one event in the real record's shape (docs/aws-facts.md 3.1, 3.3) and return it. */
export function recordEvent(state: LabState, e: RecordInput): TrailEvent {
  const eventId = randomUUID();
  const eventTime = new Date();
  const region = e.region ?? e.req.region;
  const userIdentity = e.userIdentity ?? identityOf(state, e.req);
  const record: Record<string, unknown> = {
    eventVersion: '1.11',
    userIdentity,
    eventTime: eventTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: e.eventSource,
    eventName: e.eventName,
    awsRegion: region,
    sourceIPAddress: e.req.sourceVpce ? e.req.sourceIp || '192.0.2.0' : e.req.sourceIp,
    userAgent: e.req.userAgent,
    ...(e.errorCode ? { errorCode: e.errorCode, errorMessage: e.errorMessage ?? '' } : {}),
    requestParameters: e.requestParameters,
    responseElements: e.responseElements,
    ...(e.additionalEventData ? { additionalEventData: e.additionalEventData } : {}),
    requestID: e.req.requestId,
    eventID: eventId,
    readOnly: e.readOnly,
    resources: (e.resources ?? []).map((r) => ({
      accountId: r.accountId ?? state.accountId,
      type: r.type,
      ARN: r.arn,
    })),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: state.accountId,
    ...(e.req.sourceVpce ? { vpcEndpointId: e.req.sourceVpce } : {}),
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: String(e.req.headers.host ?? ''),
    },
  };
  // LookupEvents' Username: the user name, a session's name, or "root" for the root user.
  const username =
    typeof userIdentity.userName === 'string'
      ? userIdentity.userName
      : e.req.caller.kind === 'session'
        ? e.req.caller.session.assumedRoleArn.split('/').pop()
        : userIdentity.type === 'Root'
          ? 'root'
          : undefined;
  const event: TrailEvent = {
    eventId,
    eventName: e.eventName,
    eventSource: e.eventSource,
    eventTime,
    region,
    readOnly: e.readOnly,
    ...(username !== undefined ? { username } : {}),
    ...(e.req.caller.kind !== 'anonymous' ? { accessKeyId: e.req.caller.accessKeyId } : {}),
    resources: (e.resources ?? []).map((r) => ({ ResourceType: r.type, ResourceName: r.arn })),
    record,
  };
  state.trail.push(event);
  return event;
}

const ATTRIBUTE_KEYS = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
] as const;
type AttributeKey = (typeof ATTRIBUTE_KEYS)[number];

function matches(ev: TrailEvent, key: AttributeKey, value: string): boolean {
  switch (key) {
    case 'EventId':
      return ev.eventId === value;
    case 'EventName':
      return ev.eventName === value;
    case 'ReadOnly':
      return String(ev.readOnly) === value;
    case 'Username':
      return ev.username === value;
    case 'ResourceType':
      return ev.resources.some((r) => r.ResourceType === value);
    case 'ResourceName':
      return ev.resources.some((r) => r.ResourceName === value);
    case 'EventSource':
      return ev.eventSource === value;
    case 'AccessKeyId':
      return ev.accessKeyId === value;
  }
}

/** A fixed-window limiter: at most `perSecond` calls in any one-second window, per key. */
export class RateLimiter {
  readonly #perSecond: number;
  readonly #calls = new Map<string, number[]>();
  constructor(perSecond: number) {
    this.#perSecond = perSecond;
  }
  tryTake(key: string, now = Date.now()): boolean {
    const recent = (this.#calls.get(key) ?? []).filter((t) => now - t < 1000);
    if (recent.length >= this.#perSecond) {
      this.#calls.set(key, recent);
      return false;
    }
    recent.push(now);
    this.#calls.set(key, recent);
    return true;
  }
}

/** Calls per key in the last second, counting every call (what a caller sends, whether answered or not). */
export class CallsInLastSecond {
  readonly #calls = new Map<string, number[]>();
  /** Record a call now and return how many calls the key had in the last second, this one included. */
  add(key: string, now = Date.now()): number {
    const recent = (this.#calls.get(key) ?? []).filter((t) => now - t < 1000);
    recent.push(now);
    this.#calls.set(key, recent);
    return recent.length;
  }
}

interface LookupInput {
  LookupAttributes?: { AttributeKey?: string; AttributeValue?: string }[];
  StartTime?: number | string;
  EndTime?: number | string;
  EventCategory?: string;
  MaxResults?: number;
  NextToken?: string;
}

function toDate(v: number | string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export interface CloudTrailOptions {
  /** LookupEvents calls per second per account and region (docs/aws-facts.md 3.2: two). */
  lookupsPerSecond?: number;
  /**
   * The clock of the throttle (ms). Default Date.now. A test that must not hinge on real timing gives its own: a clock
   * that stands still puts every call in one second.
   */
  now?: () => number;
}

/** CloudTrail_20131101 (JSON 1.1). Only LookupEvents is modelled. */
export function createCloudTrailHandler(ctx: LabContext, opts: CloudTrailOptions = {}): LabHandler {
  const limiter = new RateLimiter(opts.lookupsPerSecond ?? 2);
  const now = opts.now ?? Date.now;
  const lastSecond = new CallsInLastSecond();
  /** NextToken -> the parameters it was issued for and the offset, as AWS requires identical parameters. */
  const tokens = new Map<string, { params: string; offset: number }>();
  return (req) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.split('.').pop();
    if (op !== 'LookupEvents') {
      return jsonError(400, 'UnknownOperationException', `Unknown operation ${op ?? ''}`, req.requestId);
    }
    const authz = authorizeIdentity(ctx.state, req.caller, 'cloudtrail:LookupEvents', '*');
    if (!authz.allowed) return jsonError(400, 'AccessDeniedException', authz.message, req.requestId);
    // docs/aws-facts.md 3.2: two lookups per second per account per region, else ThrottlingException (400 preferred).
    const key = `${ctx.state.accountId}/${req.region}`;
    const count = ctx.state.lookups.get(key) ?? { answered: 0, throttled: 0 };
    ctx.state.lookups.set(key, count);
    const at = now();
    ctx.state.lookupPeaks.set(key, Math.max(ctx.state.lookupPeaks.get(key) ?? 0, lastSecond.add(key, at)));
    if (!limiter.tryTake(key, at)) {
      count.throttled++;
      return jsonError(400, 'ThrottlingException', 'Rate exceeded', req.requestId);
    }
    count.answered++;
    let input: LookupInput;
    try {
      input = JSON.parse(req.body.toString('utf8') || '{}') as LookupInput;
    } catch {
      return jsonError(400, 'SerializationException', 'Request body is not valid JSON', req.requestId);
    }
    const attrs = input.LookupAttributes ?? [];
    if (attrs.length > 1) {
      return jsonError(
        400,
        'InvalidLookupAttributesException',
        'You cannot specify more than one lookup attribute.',
        req.requestId,
      );
    }
    const attr = attrs[0];
    if (attr && !ATTRIBUTE_KEYS.includes(attr.AttributeKey as AttributeKey)) {
      return jsonError(
        400,
        'InvalidLookupAttributesException',
        `Invalid attribute key: ${attr.AttributeKey ?? ''}`,
        req.requestId,
      );
    }
    if (input.EventCategory !== undefined && input.EventCategory !== 'insight') {
      return jsonError(400, 'InvalidEventCategoryException', 'Event category is not valid.', req.requestId);
    }
    const max = input.MaxResults ?? 50;
    if (!Number.isInteger(max) || max < 1 || max > 50) {
      return jsonError(400, 'InvalidMaxResultsException', 'MaxResults must be between 1 and 50.', req.requestId);
    }
    const start = toDate(input.StartTime);
    const end = toDate(input.EndTime);
    if (start && end && start > end) {
      return jsonError(400, 'InvalidTimeRangeException', 'Start time must be before end time.', req.requestId);
    }
    ctx.state.lookupLog.push({
      at: new Date(at),
      region: req.region,
      ...(attr && { attribute: `${attr.AttributeKey ?? ''}=${attr.AttributeValue ?? ''}` }),
      ...(start && { startTime: start }),
      ...(end && { endTime: end }),
      nextPage: input.NextToken !== undefined,
    });
    if (ctx.state.lookupLog.length > LOOKUP_LOG_SIZE) ctx.state.lookupLog.shift();
    const params = JSON.stringify({ attr, s: input.StartTime, e: input.EndTime, c: input.EventCategory, max });
    let offset = 0;
    if (input.NextToken !== undefined) {
      const t = tokens.get(input.NextToken);
      if (!t || t.params !== params) {
        return jsonError(400, 'InvalidNextTokenException', 'Invalid NextToken.', req.requestId);
      }
      offset = t.offset;
    }
    // Insights are not modelled: an insight lookup finds nothing.
    const all =
      input.EventCategory === 'insight'
        ? []
        : ctx.state.trail
            .filter((ev) => ev.region === req.region)
            .filter((ev) => !start || ev.eventTime >= start)
            .filter((ev) => !end || ev.eventTime <= end)
            .filter((ev) => !attr || matches(ev, attr.AttributeKey as AttributeKey, attr.AttributeValue ?? ''))
            .reverse(); // most recent first
    const page = all.slice(offset, offset + max);
    let nextToken: string | undefined;
    if (offset + max < all.length) {
      nextToken = randomUUID();
      tokens.set(nextToken, { params, offset: offset + max });
    }
    return jsonResponse(
      {
        Events: page.map((ev) => ({
          EventId: ev.eventId,
          EventName: ev.eventName,
          ReadOnly: String(ev.readOnly),
          ...(ev.accessKeyId ? { AccessKeyId: ev.accessKeyId } : {}),
          EventTime: ev.eventTime.getTime() / 1000,
          EventSource: ev.eventSource,
          ...(ev.username ? { Username: ev.username } : {}),
          Resources: ev.resources,
          CloudTrailEvent: JSON.stringify(ev.record),
        })),
        ...(nextToken ? { NextToken: nextToken } : {}),
      },
      req.requestId,
    );
  };
}
