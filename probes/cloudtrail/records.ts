// Reading CloudTrail LookupEvents results (docs/aws-facts.md 3.2): AssumeRoleWithWebIdentity calls (3.1) and the S3 bucket
// policy / Block Public Access changes that can cut STS off from a public OIDC bucket (3.3, 4.2). Pure: no I/O and no
// SDK calls. Only the fields named in the record shapes (cloudtrail-records-common.ts, -assume.ts, -bucket.ts) are read
// and copied out, so nothing else in a record (its credentials included) can reach the output. A field that is present
// with the wrong type makes the record malformed. Grouping is in cloudtrail-records-groups.ts.
import type { Event } from '@aws-sdk/client-cloudtrail';
import { ASSUME, STS, assumeEvent } from './records-assume.ts';
import type { AssumeEvent } from './records-assume.ts';
import { CHANGES, bucketChangeEvent, canonicalName, isChange } from '../shared/trail/records-bucket.ts';
import type { BucketChangeEvent } from '../shared/trail/records-bucket.ts';
import { RecordParseError, commonFields, compact, isJson, jsonObject, str } from '../shared/trail/records-common.ts';

export type { AssumeEvent } from './records-assume.ts';
export type { BucketChangeEvent, PublicAccessBlockSettings } from '../shared/trail/records-bucket.ts';
export { RecordParseError } from '../shared/trail/records-common.ts';
export { groupAssumeEvents } from './records-groups.ts';
export type { AssumeGroup } from './records-groups.ts';

export type TrailEvent = AssumeEvent | BucketChangeEvent;

/** Whether a record is one of ours; a known name with no event source at all is malformed. */
function isOfInterest(name: string | undefined, source: string | undefined, eventId: string | undefined): boolean {
  const sources = name === ASSUME ? [STS] : name !== undefined && isChange(name) ? CHANGES[name].sources : undefined;
  if (sources === undefined) return false;
  if (source === undefined) throw new RecordParseError(eventId, 'eventSource', 'is missing');
  return sources.includes(source);
}

/** Parse one LookupEvents `Event` (its CloudTrailEvent is a JSON string, docs/aws-facts.md 3.2). Returns undefined for events
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
