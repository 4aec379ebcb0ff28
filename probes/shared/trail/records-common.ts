// What every CloudTrail record parser shares (cloudtrail-records.ts): the parse error, JSON helpers, the zod shape of
// the fields every record has (docs/aws-facts.md 3.1 record fields) and their reading. Pure: no I/O and no SDK calls.
import type { Event } from '@aws-sdk/client-cloudtrail';
import { z } from 'zod';

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

export type Json = Record<string, unknown>;
export const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function jsonObject(text: unknown): Json | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isJson(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Drops the undefined members, so that absent fields are absent keys. */
export const compact = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

// ---- record shapes (zod): only what is read. `text` is an optional string; null and '' count as absent. ----

export const text = z
  .string()
  .nullish()
  .transform((v) => (v ? v : undefined));
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Every record: eventID, eventTime (ISO, e.g. 2024-07-09T15:41:37Z), awsRegion … (docs/aws-facts.md 3.1 record fields). */
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

/** `resources[{accountId, type, ARN}]` (docs/aws-facts.md 3.1: AWS::IAM::Role; 3.3: AWS::S3::Bucket). */
export const ResourcesShape = z.array(z.object({ type: text, ARN: text })).nullish();

export function check<T extends z.ZodType>(shape: T, value: unknown, eventId: string | undefined): z.output<T> {
  const result = shape.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  throw new RecordParseError(eventId, field === '' ? 'record' : field, issue?.message ?? 'is invalid');
}

// ---- parsing ----

export interface Common {
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

export function commonFields(record: Json, event: Event): Common {
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

export const resourceArn = (resources: z.output<typeof ResourcesShape>, type: string): string | undefined =>
  resources?.find((r) => r.type === type && r.ARN !== undefined)?.ARN;
