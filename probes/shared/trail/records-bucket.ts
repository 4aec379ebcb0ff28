// Reading one S3 bucket policy / Block Public Access change record (docs/aws-facts.md 3.3, 4.2) into a BucketChangeEvent.
// Pure: no I/O and no SDK calls.
import { z } from 'zod';
import {
  RecordParseError,
  ResourcesShape,
  check,
  compact,
  isJson,
  jsonObject,
  resourceArn,
  str,
  text,
} from './records-common.ts';
import type { Common, Json } from './records-common.ts';

export type BucketEventName =
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

const S3 = 's3.amazonaws.com';
const S3_CONTROL = 's3-control.amazonaws.com';

/** The S3 changes of interest, by CloudTrail eventName, with the event sources each is accepted from (docs/aws-facts.md 3.3). */
export const CHANGES: Record<BucketEventName, { scope: Scope; sources: readonly string[] }> = {
  PutBucketPolicy: { scope: 'bucket', sources: [S3] },
  DeleteBucketPolicy: { scope: 'bucket', sources: [S3] },
  PutBucketPublicAccessBlock: { scope: 'bucket', sources: [S3] },
  DeleteBucketPublicAccessBlock: { scope: 'bucket', sources: [S3] },
  // docs/aws-facts.md 3.3: detection rules use s3.amazonaws.com, one fixture s3-control.amazonaws.com (DISAGREE): match both.
  PutAccountPublicAccessBlock: { scope: 'account', sources: [S3, S3_CONTROL] },
  DeleteAccountPublicAccessBlock: { scope: 'account', sources: [S3, S3_CONTROL] },
};
const PUTS_SETTINGS = new Set<BucketEventName>(['PutBucketPublicAccessBlock', 'PutAccountPublicAccessBlock']);
export const isChange = (name: string): name is BucketEventName => Object.hasOwn(CHANGES, name);

/**
 * docs/aws-facts.md 3.3 knows these changes only by CloudTrail's names above. Should a record carry the API operation name
 * instead — S3's bucket-level PutPublicAccessBlock (4.3) or S3 Control's account-level one (4.2) — a bucketName on an
 * s3.amazonaws.com record means the bucket; anything else (no bucketName, or from s3-control) means the account.
 */
export function canonicalName(name: string, source: string | undefined, record: Json | undefined): string {
  const verb = /^(Put|Delete)PublicAccessBlock$/.exec(name)?.[1];
  if (verb === undefined) return name;
  const onBucket = source === S3 && rawBucketName(record) !== undefined;
  return `${verb}${onBucket ? 'Bucket' : 'Account'}PublicAccessBlock`;
}

/** Older records wrap some request parameters in one-element arrays (docs/aws-facts.md 3.3, 2019 form). */
const unwrap = (v: unknown): unknown => (Array.isArray(v) && v.length === 1 ? (v[0] as unknown) : v);
const rawBucketName = (record: Json | undefined): string | undefined => {
  const params = record?.['requestParameters'];
  return isJson(params) ? str(unwrap(params['bucketName'])) : undefined;
};

/** docs/aws-facts.md 3.3: booleans in records; "true"/"false" strings tolerated. */
const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .nullish()
  .transform((v) => (v === undefined || v === null ? undefined : v === true || v === 'true'));

/** docs/aws-facts.md 3.3 (2019 record): PublicAccessBlockConfiguration{xmlns, four booleans}; xmlns is not read. */
const PublicAccessBlockShape = z.object({
  BlockPublicAcls: flag,
  IgnorePublicAcls: flag,
  BlockPublicPolicy: flag,
  RestrictPublicBuckets: flag,
});

/** bucketName is a string; a one-element array is tolerated, as older records wrap host and policy (docs/aws-facts.md 3.3). */
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

export function bucketChangeEvent(record: Json, eventName: BucketEventName, c: Common): BucketChangeEvent {
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
