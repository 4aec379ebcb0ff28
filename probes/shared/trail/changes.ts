// The changes to OIDC buckets and Block Public Access as CloudTrail logs them (docs/aws-facts.md 3.3), as queries of the shared
// per-account-region scan (src/clients/trail.ts). The cloudtrail probe reports every change; the bucket probe reads
// the newest PutBucketPolicy of its bucket when the policy locks it out. Both use these same queries, so the scanner
// keeps one LookupEvents stream per event name whichever probe asks first.
import type { Event } from '@aws-sdk/client-cloudtrail';
import type { TrailQuery } from '../../../src/clients/trail.ts';
import { CHANGES, bucketChangeEvent, canonicalName, isChange } from './records-bucket.ts';
import type { BucketChangeEvent } from './records-bucket.ts';
import { commonFields, isJson, jsonObject, str } from './records-common.ts';

export type { BucketChangeEvent, BucketEventName, PublicAccessBlockSettings } from './records-bucket.ts';

export const CHANGE_EVENT_NAMES = [
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'PutBucketPublicAccessBlock',
  'DeleteBucketPublicAccessBlock',
  'PutAccountPublicAccessBlock',
  'DeleteAccountPublicAccessBlock',
] as const;

/** How far back changes are kept by default (the cloudtrail probe's changeWindowHours). */
export const DEFAULT_CHANGE_WINDOW_MS = 24 * 3_600_000;

/** A change record, or undefined for anything else and for a malformed record (the scan keeps none of those). */
export function changeEventOf(event: Event): BucketChangeEvent | undefined {
  try {
    const record = jsonObject(event.CloudTrailEvent);
    if (!isJson(event) || record === undefined) return undefined;
    const source = str(record['eventSource']) ?? str(event.EventSource);
    const rawName = str(record['eventName']) ?? str(event.EventName);
    const name = rawName === undefined ? undefined : canonicalName(rawName, source, record);
    if (name === undefined || !isChange(name) || source === undefined || !CHANGES[name].sources.includes(source))
      return undefined;
    return bucketChangeEvent(record, name, commonFields(record, event));
  } catch {
    return undefined;
  }
}

/** The query of one change event name over `windowMs`. */
export const changeQuery = (
  name: (typeof CHANGE_EVENT_NAMES)[number],
  windowMs = DEFAULT_CHANGE_WINDOW_MS,
): TrailQuery<BucketChangeEvent> => ({
  id: name,
  // The BucketChangeEvent shape (records-bucket.ts): bump when it changes, so saved items are not reused.
  format: 1,
  lookup: { AttributeKey: 'EventName', AttributeValue: name },
  windowMs,
  map: (e) => {
    const change = changeEventOf(e);
    return change?.eventName === name ? change : undefined;
  },
});
