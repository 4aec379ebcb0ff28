// Reading CloudTrail LookupEvents results (AWS-FACTS 3.2): AssumeRoleWithWebIdentity calls (3.1) and the S3 bucket
// policy / Block Public Access changes that can cut STS off from a public OIDC bucket (3.3, 4.2). Pure: no I/O and no
// SDK calls. Only the fields named here are read and copied out, so nothing else in a record (its credentials
// included) can reach the output. A field that is present with the wrong type makes the record malformed.
import type { Event } from '@aws-sdk/client-cloudtrail';
import { z } from 'zod';

/** One AssumeRoleWithWebIdentity call as CloudTrail recorded it. */
export interface AssumeEvent {
  kind: 'assume';
  eventId: string;
  /** The record's eventTime, normalized to `Date#toISOString()` so times compare as strings. */
  time: string;
  region: string;
  providerArn?: string;
  /** providerArn without `arn:<partition>:iam::<acct>:oidc-provider/`: the issuer URL without scheme. */
  issuerHost?: string;
  subject?: string;
  audience?: string;
  roleArn?: string;
  /** Absent = success. */
  errorCode?: string;
  errorMessage?: string;
  sourceIp?: string;
}

type BucketEventName =
  | 'PutBucketPolicy'
  | 'DeleteBucketPolicy'
  | 'PutBucketPublicAccessBlock'
  | 'DeleteBucketPublicAccessBlock'
  | 'PutAccountPublicAccessBlock'
  | 'DeleteAccountPublicAccessBlock';
type Scope = 'bucket' | 'account';

export interface PublicAccessBlockSettings {
  BlockPublicAcls?: boolean;
  IgnorePublicAcls?: boolean;
  BlockPublicPolicy?: boolean;
  RestrictPublicBuckets?: boolean;
}

/** A change to a bucket's policy or Block Public Access, or to the account's Block Public Access. */
export interface BucketChangeEvent {
  kind: 'bucket-change';
  eventId: string;
  time: string;
  region: string;
  eventName: BucketEventName;
  scope: Scope;
  /** Set exactly when scope is 'bucket'. */
  bucket?: string;
  actorArn?: string;
  sessionIssuerArn?: string;
  actorType?: string;
  accessKeyId?: string;
  sourceIp?: string;
  userAgent?: string;
  /** A refused change (AccessDenied) is recorded too. */
  errorCode?: string;
  /** PutBucketPolicy only: the new policy, parsed; undefined if the record does not carry it. */
  policy?: unknown;
  /** Put…PublicAccessBlock only: the settings sent (a setting left out is left out here too). */
  publicAccessBlock?: PublicAccessBlockSettings;
}

export type TrailEvent = AssumeEvent | BucketChangeEvent;

export class RecordParseError extends Error {
  readonly code = 'CLOUDTRAIL_RECORD_INVALID';
  readonly eventId: string | undefined;
  readonly field: string;

  constructor(eventId: string | undefined, field: string, problem: string) {
    super(`CloudTrail record ${eventId ?? '(no eventId)'}: ${field}: ${problem}`);
    this.name = 'RecordParseError';
    this.eventId = eventId;
    this.field = field;
  }
}

const STS = 'sts.amazonaws.com';
const S3 = 's3.amazonaws.com';
const S3_CONTROL = 's3-control.amazonaws.com';
const ASSUME = 'AssumeRoleWithWebIdentity'; // eventSource sts.amazonaws.com (AWS-FACTS 1.1, 3.1)

/** The S3 changes of interest, by CloudTrail eventName, with the event sources each is accepted from (AWS-FACTS 3.3). */
const CHANGES: Record<BucketEventName, { scope: Scope; sources: readonly string[] }> = {
  PutBucketPolicy: { scope: 'bucket', sources: [S3] },
  DeleteBucketPolicy: { scope: 'bucket', sources: [S3] },
  PutBucketPublicAccessBlock: { scope: 'bucket', sources: [S3] },
  DeleteBucketPublicAccessBlock: { scope: 'bucket', sources: [S3] },
  // AWS-FACTS 3.3: detection rules use s3.amazonaws.com, one fixture s3-control.amazonaws.com (DISAGREE): match both.
  PutAccountPublicAccessBlock: { scope: 'account', sources: [S3, S3_CONTROL] },
  DeleteAccountPublicAccessBlock: { scope: 'account', sources: [S3, S3_CONTROL] },
};
const PUTS_SETTINGS = new Set<BucketEventName>(['PutBucketPublicAccessBlock', 'PutAccountPublicAccessBlock']);
const isChange = (name: string): name is BucketEventName => Object.hasOwn(CHANGES, name);

/**
 * AWS-FACTS 3.3 knows these changes only by CloudTrail's names above. Should a record carry the API operation name
 * instead — S3's bucket-level PutPublicAccessBlock (4.3) or S3 Control's account-level one (4.2) — a bucketName on an
 * s3.amazonaws.com record means the bucket; anything else (no bucketName, or from s3-control) means the account.
 */
function canonicalName(name: string, source: string | undefined, record: Json | undefined): string {
  const verb = /^(Put|Delete)PublicAccessBlock$/.exec(name)?.[1];
  if (verb === undefined) return name;
  const onBucket = source === S3 && rawBucketName(record) !== undefined;
  return `${verb}${onBucket ? 'Bucket' : 'Account'}PublicAccessBlock`;
}

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function jsonObject(text: unknown): Json | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isJson(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Older records wrap some request parameters in one-element arrays (AWS-FACTS 3.3, 2019 form). */
const unwrap = (v: unknown): unknown => (Array.isArray(v) && v.length === 1 ? (v[0] as unknown) : v);
const rawBucketName = (record: Json | undefined): string | undefined => {
  const params = record?.['requestParameters'];
  return isJson(params) ? str(unwrap(params['bucketName'])) : undefined;
};

/** Drops the undefined members, so that absent fields are absent keys. */
const compact = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

// ---- record shapes (zod): only what is read. `text` is an optional string; null and '' count as absent. ----

const text = z
  .string()
  .nullish()
  .transform((v) => (v ? v : undefined));
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Every record: eventID, eventTime (ISO, e.g. 2024-07-09T15:41:37Z), awsRegion … (AWS-FACTS 3.1 record fields). */
const CommonShape = z.object({
  eventID: text,
  eventTime: z.string().regex(ISO_TIME, 'must be an ISO 8601 time').nullish(),
  awsRegion: z.string().min(1),
  eventName: text,
  eventSource: text,
  sourceIPAddress: text,
  userAgent: text,
  errorCode: text,
  errorMessage: text,
});

/** `resources[{accountId, type, ARN}]` (AWS-FACTS 3.1: AWS::IAM::Role; 3.3: AWS::S3::Bucket). */
const ResourcesShape = z.array(z.object({ type: text, ARN: text })).nullish();

/** AWS-FACTS 3.1: userIdentity of a WebIdentityUser, requestParameters.roleArn, responseElements (null on failure). */
const AssumeShape = z.object({
  userIdentity: z.object({ principalId: text, userName: text, identityProvider: text }).nullish(),
  requestParameters: z.object({ roleArn: text }).nullish(),
  responseElements: z.object({ provider: text, subjectFromWebIdentityToken: text, audience: text }).nullish(),
  resources: ResourcesShape,
});

/** AWS-FACTS 3.3: booleans in records; "true"/"false" strings tolerated. */
const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .nullish()
  .transform((v) => (v === undefined || v === null ? undefined : v === true || v === 'true'));

/** AWS-FACTS 3.3 (2019 record): PublicAccessBlockConfiguration{xmlns, four booleans}; xmlns is not read. */
const PublicAccessBlockShape = z.object({
  BlockPublicAcls: flag,
  IgnorePublicAcls: flag,
  BlockPublicPolicy: flag,
  RestrictPublicBuckets: flag,
});

/** bucketName is a string; a one-element array is tolerated, as older records wrap host and policy (AWS-FACTS 3.3). */
const bucketName = z
  .union([z.string(), z.tuple([z.string()])])
  .nullish()
  .transform((v) => str(unwrap(v)));

const BucketShape = z.object({
  userIdentity: z
    .object({
      type: text,
      arn: text,
      accessKeyId: text,
      sessionContext: z.object({ sessionIssuer: z.object({ arn: text }).nullish() }).nullish(),
    })
    .nullish(),
  requestParameters: z
    .object({
      bucketName,
      bucketPolicy: z.unknown().optional(),
      policy: z.unknown().optional(),
      PublicAccessBlockConfiguration: PublicAccessBlockShape.nullish(),
    })
    .nullish(),
  resources: ResourcesShape,
});

function check<T extends z.ZodType>(shape: T, value: unknown, eventId: string | undefined): z.output<T> {
  const result = shape.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  throw new RecordParseError(eventId, field === '' ? 'record' : field, issue?.message ?? 'is invalid');
}

// ---- parsing ----

interface Common {
  eventId: string;
  time: string;
  region: string;
  sourceIp?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
}

function eventTime(recorded: string | null | undefined, wrapper: unknown, eventId: string): string {
  const time = recorded ? Date.parse(recorded) : wrapper instanceof Date ? wrapper.getTime() : Number.NaN;
  if (Number.isNaN(time))
    throw new RecordParseError(eventId, 'eventTime', recorded ? 'is not a valid time' : 'is missing');
  return new Date(time).toISOString();
}

function commonFields(record: Json, event: Event): Common {
  const wrapperId = str(event.EventId);
  const c = check(CommonShape, record, str(record['eventID']) ?? wrapperId);
  const eventId = c.eventID ?? wrapperId;
  if (eventId === undefined) throw new RecordParseError(undefined, 'eventID', 'is missing');
  if (wrapperId !== undefined && eventId !== wrapperId)
    throw new RecordParseError(eventId, 'eventID', `differs from the LookupEvents EventId ${wrapperId}`);
  return compact({
    eventId,
    time: eventTime(c.eventTime, event.EventTime, eventId),
    region: c.awsRegion,
    sourceIp: c.sourceIPAddress,
    userAgent: c.userAgent,
    errorCode: c.errorCode,
    errorMessage: c.errorMessage,
  });
}

const resourceArn = (resources: z.output<typeof ResourcesShape>, type: string): string | undefined =>
  resources?.find((r) => r.type === type && r.ARN !== undefined)?.ARN;

/** The IAM OIDC provider ARN's resource part is the issuer URL without https:// (AWS-FACTS 3.1, 2.1). */
const issuerHostOf = (providerArn: string | undefined): string | undefined =>
  providerArn === undefined ? undefined : /^arn:aws[\w-]*:iam::\d{12}:oidc-provider\/(.+)$/.exec(providerArn)?.[1];

/** principalId is `<provider>:<aud>:<sub>` (AWS-FACTS 3.1); sub may hold colons, so it is cut off by value. */
function audienceFromPrincipal(principalId?: string, provider?: string, subject?: string): string | undefined {
  if (principalId === undefined || provider === undefined || !principalId.startsWith(`${provider}:`)) return undefined;
  const rest = principalId.slice(provider.length + 1);
  if (subject === undefined) return rest.includes(':') ? str(rest.slice(0, rest.indexOf(':'))) : undefined;
  return rest.endsWith(`:${subject}`) ? str(rest.slice(0, -(subject.length + 1))) : undefined;
}

function assumeEvent(record: Json, c: Common): AssumeEvent {
  const r = check(AssumeShape, record, c.eventId);
  const who = r.userIdentity;
  const response = r.responseElements;
  const providerArn = who?.identityProvider ?? response?.provider;
  const subject = who?.userName ?? response?.subjectFromWebIdentityToken;
  return compact({
    kind: 'assume',
    eventId: c.eventId,
    time: c.time,
    region: c.region,
    providerArn,
    issuerHost: issuerHostOf(providerArn),
    subject,
    audience: response?.audience ?? audienceFromPrincipal(who?.principalId, providerArn, subject),
    roleArn: r.requestParameters?.roleArn ?? resourceArn(r.resources, 'AWS::IAM::Role'),
    errorCode: c.errorCode,
    errorMessage: c.errorMessage,
    sourceIp: c.sourceIp,
  });
}

/** PutBucketPolicy's policy: `bucketPolicy` is an object in newer records; else a JSON string in either member. */
function policyOf(params: { bucketPolicy?: unknown; policy?: unknown } | null | undefined): unknown {
  for (const candidate of [params?.bucketPolicy, params?.policy].map(unwrap)) {
    if (isJson(candidate)) return candidate;
    const parsed = jsonObject(candidate);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

/** The bucket of a bucket-scoped change: requestParameters.bucketName, else the AWS::S3::Bucket resource. */
function bucketOf(r: z.output<typeof BucketShape>, eventId: string): string {
  const fromArn = resourceArn(r.resources, 'AWS::S3::Bucket')?.replace(/^arn:aws[\w-]*:s3:::/, '');
  const bucket = r.requestParameters?.bucketName ?? str(fromArn);
  if (bucket === undefined) throw new RecordParseError(eventId, 'requestParameters.bucketName', 'is missing');
  return bucket;
}

function bucketChangeEvent(record: Json, eventName: BucketEventName, c: Common): BucketChangeEvent {
  const r = check(BucketShape, record, c.eventId);
  const { scope } = CHANGES[eventName];
  const who = r.userIdentity;
  const settings = r.requestParameters?.PublicAccessBlockConfiguration;
  return compact({
    kind: 'bucket-change',
    eventId: c.eventId,
    time: c.time,
    region: c.region,
    eventName,
    scope,
    bucket: scope === 'bucket' ? bucketOf(r, c.eventId) : undefined,
    actorArn: who?.arn,
    sessionIssuerArn: who?.sessionContext?.sessionIssuer?.arn,
    actorType: who?.type,
    accessKeyId: who?.accessKeyId,
    sourceIp: c.sourceIp,
    userAgent: c.userAgent,
    errorCode: c.errorCode,
    policy: eventName === 'PutBucketPolicy' ? policyOf(r.requestParameters) : undefined,
    publicAccessBlock: PUTS_SETTINGS.has(eventName) && settings ? compact(settings) : undefined,
  });
}

/** Whether a record is one of ours; a known name with no event source at all is malformed. */
function isOfInterest(name: string | undefined, source: string | undefined, eventId: string | undefined): boolean {
  const sources = name === ASSUME ? [STS] : name !== undefined && isChange(name) ? CHANGES[name].sources : undefined;
  if (sources === undefined) return false;
  if (source === undefined) throw new RecordParseError(eventId, 'eventSource', 'is missing');
  return sources.includes(source);
}

/** Parse one LookupEvents `Event` (its CloudTrailEvent is a JSON string, AWS-FACTS 3.2). Returns undefined for events
 * of no interest; throws RecordParseError for a malformed record of interest. The record's own eventName, eventSource
 * and eventID win over the LookupEvents summary, which is used only where the record lacks them. */
export function parseLookupEvent(event: Event): TrailEvent | undefined {
  if (!isJson(event)) throw new RecordParseError(undefined, 'Event', 'is not an object');
  const record = jsonObject(event.CloudTrailEvent);
  const eventId = str(record?.['eventID']) ?? str(event.EventId);
  const source = str(record?.['eventSource']) ?? str(event.EventSource);
  const rawName = str(record?.['eventName']) ?? str(event.EventName);
  const name = rawName === undefined ? undefined : canonicalName(rawName, source, record);
  if (!isOfInterest(name, source, eventId)) return undefined;
  if (record === undefined) throw new RecordParseError(eventId, 'CloudTrailEvent', 'is not a JSON object');
  const common = commonFields(record, event);
  return name !== undefined && isChange(name) ? bucketChangeEvent(record, name, common) : assumeEvent(record, common);
}

/** Parse many, deduplicated by eventId (pages and lookback windows overlap), skipping (and returning) malformed ones. */
export function parseLookupEvents(events: Event[]): {
  events: TrailEvent[];
  malformed: { eventId?: string; reason: string }[];
} {
  const seen = new Set<string>();
  const parsed: TrailEvent[] = [];
  const malformed: { eventId?: string; reason: string }[] = [];
  for (const event of events) {
    const summaryId = isJson(event) ? str(event.EventId) : undefined;
    if (summaryId !== undefined && seen.has(summaryId)) continue;
    try {
      const one = parseLookupEvent(event);
      if (one === undefined || seen.has(one.eventId)) continue;
      seen.add(one.eventId);
      parsed.push(one);
    } catch (err) {
      const eventId = err instanceof RecordParseError ? (err.eventId ?? summaryId) : summaryId;
      if (eventId !== undefined) seen.add(eventId);
      malformed.push(compact({ eventId, reason: err instanceof Error ? err.message : String(err) }));
    }
  }
  return { events: parsed, malformed };
}

// ---- grouping ----

export interface AssumeGroup {
  providerArn?: string;
  roleArn?: string;
  subject?: string;
  errorCode?: string;
  count: number;
  newest: string;
  oldest: string;
  /** The errorMessage of the newest failure that has one. */
  sampleMessage?: string;
}

const later = (a: string, b: string): boolean => Date.parse(a) > Date.parse(b);

function addTo(groups: Map<string, AssumeGroup>, e: AssumeEvent): void {
  const key = JSON.stringify([e.providerArn, e.roleArn, e.subject, e.errorCode].map((v) => v ?? null));
  const group = groups.get(key);
  if (group === undefined) {
    const { providerArn, roleArn, subject, errorCode, time, errorMessage: sampleMessage } = e;
    groups.set(
      key,
      compact({ providerArn, roleArn, subject, errorCode, count: 1, newest: time, oldest: time, sampleMessage }),
    );
    return;
  }
  group.count += 1;
  if (later(e.time, group.newest)) {
    group.newest = e.time;
    if (e.errorMessage !== undefined) group.sampleMessage = e.errorMessage;
  }
  if (later(group.oldest, e.time)) group.oldest = e.time;
}

const byNewest = (groups: Map<string, AssumeGroup>): AssumeGroup[] =>
  [...groups.values()].sort((a, b) => Date.parse(b.newest) - Date.parse(a.newest) || b.count - a.count);

/** Failures grouped by (providerArn, roleArn, subject, errorCode), successes by (providerArn, roleArn, subject); each
 * with its count and newest and oldest time, newest group first. An eventId seen twice counts once. */
export function groupAssumeEvents(events: AssumeEvent[]): { failures: AssumeGroup[]; successes: AssumeGroup[] } {
  const failures = new Map<string, AssumeGroup>();
  const successes = new Map<string, AssumeGroup>();
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    addTo(e.errorCode === undefined ? successes : failures, e);
  }
  return { failures: byNewest(failures), successes: byNewest(successes) };
}
