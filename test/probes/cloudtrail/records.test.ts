// The CloudTrail record parser (docs/aws-facts.md 3.1–3.3) against records built from the facts.
// Fixture provenance (test/fixtures/cloudtrail/):
// - sts-…-AccessDenied-eks-2023.json: the real 2023-11-08 trust-policy denial docs/aws-facts.md 3.1 cites (published in a
//   third-party repo's docs), verbatim, re-indented. It is also the EKS principalId form.
// - sts-…-success-eks.json: built on the 2024 AWS docs sample (../cloudtrail-AssumeRoleWithWebIdentity-success-
//   awsdocs-2024.json) with EKS values (docs/aws-facts.md 1.6, 3.1); the session token is a made-up marker.
// - s3-PutBucketPolicy-2025.json / -2019.json, s3-PutBucketPublicAccessBlock-2019.json: built from the record fields
//   docs/aws-facts.md 3.3 lists (2025: bucketPolicy object, policy "", Host; 2019: host/policy arrays, xmlns).
// - s3-…-AccessDenied-assumedrole.json: an AssumedRole actor with sessionContext, refused with the BlockPublicPolicy
//   message of docs/aws-facts.md 4.2.
// - s3-DeleteBucketPolicy, s3-DeleteBucketPublicAccessBlock, s3(-control)-PutAccountPublicAccessBlock, ConsoleLogin,
//   GetObject: constructed in the same shape; no real account-level record is known (docs/aws-facts.md 3.3 NOT FOUND).
import type { Event } from '@aws-sdk/client-cloudtrail';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  RecordParseError,
  groupAssumeEvents,
  parseLookupEvent,
  parseLookupEvents,
} from '../../../probes/cloudtrail/records.ts';
import type { AssumeEvent, BucketChangeEvent, TrailEvent } from '../../../probes/cloudtrail/records.ts';

type Json = Record<string, unknown>;
const readJson = (path: string): Json =>
  JSON.parse(readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8')) as Json;
const load = (name: string): Json => readJson(`cloudtrail/${name}.json`);

const AWSDOCS = readJson('cloudtrail-AssumeRoleWithWebIdentity-success-awsdocs-2024.json');
const DENIED = load('sts-AssumeRoleWithWebIdentity-AccessDenied-eks-2023');
const EKS_OK = load('sts-AssumeRoleWithWebIdentity-success-eks');
const POLICY_2025 = load('s3-PutBucketPolicy-2025');
const POLICY_2019 = load('s3-PutBucketPolicy-2019');
const POLICY_DENIED = load('s3-PutBucketPolicy-AccessDenied-assumedrole');
const DELETE_POLICY = load('s3-DeleteBucketPolicy');
const PAB_2019 = load('s3-PutBucketPublicAccessBlock-2019');
const DELETE_PAB = load('s3-DeleteBucketPublicAccessBlock');
const ACCOUNT_PAB_S3 = load('s3-PutAccountPublicAccessBlock');
const ACCOUNT_PAB_S3C = load('s3-control-PutAccountPublicAccessBlock');
const CONSOLE_LOGIN = load('signin-ConsoleLogin');
const GET_OBJECT = load('s3-GetObject');
const CCOCTL_POLICY = readJson('ccoctl-bucket-policy-public-read.json');

const AWSDOCS_TOKEN = '<encoded session token blob>';
const EKS_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLE-FAKE-SESSION-TOKEN-z9Q3kLm0pR';
const EKS_PROVIDER =
  'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

/** The value at a dotted path of a record. */
function get(record: unknown, path: string): unknown {
  let at: unknown = record;
  for (const key of path.split('.')) at = typeof at === 'object' && at !== null ? (at as Json)[key] : undefined;
  return at;
}

/** A copy of the record with each dotted path set (undefined deletes it). */
function edit(record: Json, changes: Record<string, unknown>): Json {
  const copy = structuredClone(record);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let at = copy;
    for (const key of keys) {
      if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
      at = at[key] as Json;
    }
    if (value === undefined) delete at[last];
    else at[last] = value;
  }
  return copy;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A record as LookupEvents returns it (docs/aws-facts.md 3.2): a summary plus the record as a JSON string. */
const wrap = (record: Json, over: Partial<Event> = {}): Event => ({
  EventId: str(record['eventID']),
  EventName: str(record['eventName']),
  EventTime: typeof record['eventTime'] === 'string' ? new Date(record['eventTime']) : undefined,
  EventSource: str(record['eventSource']),
  Username: str(get(record, 'userIdentity.userName')) ?? str(get(record, 'userIdentity.arn'))?.split('/').pop(),
  CloudTrailEvent: JSON.stringify(record),
  ...over,
});

const parse = (record: Json, over: Partial<Event> = {}): TrailEvent | undefined => parseLookupEvent(wrap(record, over));
const parseAssume = (record: Json): AssumeEvent => {
  const e = parse(record);
  if (e?.kind !== 'assume') throw new Error(`expected an assume event, got ${JSON.stringify(e)}`);
  return e;
};
const parseChange = (record: Json, over: Partial<Event> = {}): BucketChangeEvent => {
  const e = parse(record, over);
  if (e?.kind !== 'bucket-change') throw new Error(`expected a bucket change, got ${JSON.stringify(e)}`);
  return e;
};
/** The RecordParseError parsing throws (fails the test when it throws none or another). */
function parseError(event: Event): RecordParseError {
  try {
    parseLookupEvent(event);
  } catch (err) {
    if (err instanceof RecordParseError) return err;
    throw err;
  }
  throw new Error('expected a RecordParseError');
}

describe('AssumeRoleWithWebIdentity records (docs/aws-facts.md 3.1)', () => {
  it('reads the AWS docs 2024 success example, field by field, with no extra keys', () => {
    expect(parse(AWSDOCS)).toStrictEqual({
      kind: 'assume',
      eventId: 'aEXAMPLE-ee29-4ac0-a0ed-3f5c5EXAMPLE',
      time: '2024-07-09T15:41:37.000Z',
      region: 'us-east-2',
      providerArn: 'arn:aws:iam::444455556666:oidc-provider/<issuer url of OIDC provider>',
      issuerHost: '<issuer url of OIDC provider>',
      subject: '<id of user>',
      audience: '<id of application>',
      roleArn: 'arn:aws:iam::444455556666:role/FederatedWebIdentityRole',
      sourceIp: '192.0.2.101',
    });
  });

  it('reads the real trust-policy denial: AccessDenied, responseElements null, audience from the EKS principalId', () => {
    expect(parse(DENIED)).toStrictEqual({
      kind: 'assume',
      eventId: '899f0a00-4e04-4fab-bb35-0297ed266f62',
      time: '2023-11-08T15:09:08.000Z',
      region: 'us-west-2',
      providerArn:
        'arn:aws:iam::100000000002:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/A8242F25BFBB8F98F5321B2AE63C8B5C',
      issuerHost: 'oidc.eks.us-west-2.amazonaws.com/id/A8242F25BFBB8F98F5321B2AE63C8B5C',
      subject: 'system:serviceaccount:argo:awf-aws-executor-plugin',
      audience: 'sts.amazonaws.com',
      roleArn: 'arn:aws:iam::100000000002:role/sm-pipelines-k8s-awf-aws-executor-plugin',
      errorCode: 'AccessDenied',
      errorMessage: 'An unknown error occurred',
      sourceIp: '44.238.229.20',
    });
  });

  it('takes the role from resources[] AWS::IAM::Role when requestParameters has none', () => {
    const noParams = edit(DENIED, { requestParameters: null });
    expect(parseAssume(noParams).roleArn).toBe(
      'arn:aws:iam::100000000002:role/sm-pipelines-k8s-awf-aws-executor-plugin',
    );
    const otherResource = edit(noParams, { resources: [{ type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::b' }] });
    expect(parseAssume(otherResource)).not.toHaveProperty('roleArn');
  });

  it('reads an EKS success; responseElements supplies provider, subject and audience when userIdentity lacks them', () => {
    expect(parseAssume(EKS_OK)).toMatchObject({
      providerArn: EKS_PROVIDER,
      issuerHost: 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      subject: 'system:serviceaccount:kube-system:aws-node',
      audience: 'sts.amazonaws.com',
      roleArn: 'arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole',
      region: 'us-east-1',
    });
    const bare = edit(EKS_OK, {
      'userIdentity.identityProvider': undefined,
      'userIdentity.userName': undefined,
      'userIdentity.principalId': undefined,
      'responseElements.audience': 'my-audience',
      'responseElements.subjectFromWebIdentityToken': 'system:serviceaccount:a:b',
    });
    expect(parseAssume(bare)).toMatchObject({
      providerArn: EKS_PROVIDER,
      subject: 'system:serviceaccount:a:b',
      audience: 'my-audience',
    });
  });

  it('parses <provider>:<aud>:<sub> only when the principalId starts with the provider and ends with the subject', () => {
    const noResponse = edit(EKS_OK, { responseElements: null });
    expect(parseAssume(noResponse).audience).toBe('sts.amazonaws.com');
    const colonAudience = edit(noResponse, {
      'userIdentity.principalId': `${EKS_PROVIDER}:https://kubernetes.default.svc:system:serviceaccount:kube-system:aws-node`,
    });
    expect(parseAssume(colonAudience).audience).toBe('https://kubernetes.default.svc');
    const otherSubject = edit(noResponse, { 'userIdentity.userName': 'system:serviceaccount:x:y' });
    expect(parseAssume(otherSubject)).not.toHaveProperty('audience');
    const otherProvider = edit(noResponse, { 'userIdentity.principalId': 'arn:aws:iam::1:oidc-provider/x:aud:sub' });
    expect(parseAssume(otherProvider)).not.toHaveProperty('audience');
    const noSubject = edit(noResponse, { 'userIdentity.userName': undefined });
    expect(parseAssume(noSubject)).toMatchObject({ audience: 'sts.amazonaws.com' });
  });

  it('keeps a non-ARN provider (the 2016 Google form) without inventing an issuer host', () => {
    const google = edit(AWSDOCS, {
      userIdentity: {
        type: 'WebIdentityUser',
        principalId: 'accounts.google.com:app-1.apps.googleusercontent.com:1234567890',
        userName: '1234567890',
        identityProvider: 'accounts.google.com',
      },
      responseElements: null,
    });
    const e = parseAssume(google);
    expect(e).toMatchObject({ providerArn: 'accounts.google.com', audience: 'app-1.apps.googleusercontent.com' });
    expect(e).not.toHaveProperty('issuerHost');
  });

  it('reads the knowledge-center minimal denial (userName only) without a provider', () => {
    const minimal = edit(DENIED, {
      userIdentity: { type: 'WebIdentityUser', userName: 'system:serviceaccount:serverless:aws-sdk' },
    });
    const e = parseAssume(minimal);
    expect(e).toMatchObject({ subject: 'system:serviceaccount:serverless:aws-sdk', errorCode: 'AccessDenied' });
    expect(e).not.toHaveProperty('providerArn');
    expect(e).not.toHaveProperty('audience');
  });

  it('normalizes eventTime to toISOString, keeping the instant of an offset time', () => {
    expect(parseAssume(edit(AWSDOCS, { eventTime: '2024-07-09T17:41:37.25+02:00' })).time).toBe(
      '2024-07-09T15:41:37.250Z',
    );
  });
});

describe('S3 bucket and account changes (docs/aws-facts.md 3.3)', () => {
  it('reads the 2025 PutBucketPolicy: bucketPolicy object, IAMUser actor, no extra keys', () => {
    expect(parse(POLICY_2025)).toStrictEqual({
      kind: 'bucket-change',
      eventId: '0a1b2c3d-0001-4e5f-8a9b-2025putpolicy',
      time: '2025-02-03T10:15:42.000Z',
      region: 'us-east-2',
      eventName: 'PutBucketPolicy',
      scope: 'bucket',
      bucket: 'mycluster-oidc',
      actorArn: 'arn:aws:iam::123456789012:user/ccoctl-admin',
      actorType: 'IAMUser',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      sourceIp: '198.51.100.23',
      userAgent: 'aws-sdk-go-v2/1.32.7 os/linux lang/go#1.22.9 md/GOOS#linux md/GOARCH#amd64 api/s3#1.71.1',
      policy: CCOCTL_POLICY,
    });
  });

  it('reads the 2019 PutBucketPolicy (host and policy arrays)', () => {
    const e = parseChange(POLICY_2019);
    expect(e).toMatchObject({
      eventName: 'PutBucketPolicy',
      scope: 'bucket',
      bucket: 'legacy-oidc',
      region: 'us-east-1',
    });
    expect(e.policy).toEqual(get(POLICY_2019, 'requestParameters.bucketPolicy'));
  });

  it('reads the policy from whichever member carries it, and leaves it undefined when none does', () => {
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*' }] };
    const cases: [string, Record<string, unknown>, unknown][] = [
      ['bucketPolicy as a JSON string', { 'requestParameters.bucketPolicy': JSON.stringify(doc) }, doc],
      [
        'policy array holding JSON',
        { 'requestParameters.bucketPolicy': undefined, 'requestParameters.policy': [JSON.stringify(doc)] },
        doc,
      ],
      [
        'policy string holding JSON',
        { 'requestParameters.bucketPolicy': undefined, 'requestParameters.policy': JSON.stringify(doc) },
        doc,
      ],
      ['only policy [""]', { 'requestParameters.bucketPolicy': undefined }, undefined],
      ['bucketPolicy not JSON', { 'requestParameters.bucketPolicy': '{"Version":' }, undefined],
      [
        'bucketPolicy an array',
        { 'requestParameters.bucketPolicy': [1, 2], 'requestParameters.policy': '' },
        undefined,
      ],
    ];
    for (const [name, changes, policy] of cases) {
      const e = parseChange(edit(POLICY_2019, changes));
      expect(e.policy, name).toEqual(policy);
      if (policy === undefined) expect(e, name).not.toHaveProperty('policy');
    }
  });

  it('reads an AssumedRole actor: the session ARN, the issuing role, and the refusal', () => {
    expect(parseChange(POLICY_DENIED)).toMatchObject({
      eventName: 'PutBucketPolicy',
      bucket: 'mycluster-oidc',
      actorType: 'AssumedRole',
      actorArn: 'arn:aws:sts::123456789012:assumed-role/PlatformAdmin/jdoe',
      sessionIssuerArn: 'arn:aws:iam::123456789012:role/PlatformAdmin',
      accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
      errorCode: 'AccessDenied',
    });
    expect(parseChange(POLICY_2025)).not.toHaveProperty('sessionIssuerArn');
    expect(parseChange(POLICY_2025)).not.toHaveProperty('errorCode');
  });

  it('reads DeleteBucketPolicy without a policy', () => {
    const e = parseChange(DELETE_POLICY);
    expect(e).toMatchObject({ eventName: 'DeleteBucketPolicy', scope: 'bucket', bucket: 'mycluster-oidc' });
    expect(e).not.toHaveProperty('policy');
    expect(e).not.toHaveProperty('publicAccessBlock');
  });

  it('reads the 2019 PutBucketPublicAccessBlock, ignoring xmlns', () => {
    const e = parseChange(PAB_2019);
    expect(e).toMatchObject({ eventName: 'PutBucketPublicAccessBlock', scope: 'bucket', bucket: 'legacy-oidc' });
    expect(e.publicAccessBlock).toStrictEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(e).not.toHaveProperty('policy');
  });

  it('reads the settings ccoctl sends (docs/aws-facts.md 4.3) as "true"/"false" strings, and omits settings left out', () => {
    const ccoctl = edit(PAB_2019, {
      'requestParameters.PublicAccessBlockConfiguration': {
        BlockPublicAcls: 'true',
        IgnorePublicAcls: 'true',
        BlockPublicPolicy: 'false',
        RestrictPublicBuckets: false,
      },
    });
    expect(parseChange(ccoctl).publicAccessBlock).toStrictEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
    const partial = edit(PAB_2019, {
      'requestParameters.PublicAccessBlockConfiguration': { BlockPublicPolicy: false },
    });
    expect(parseChange(partial).publicAccessBlock).toStrictEqual({ BlockPublicPolicy: false });
  });

  it('reads DeleteBucketPublicAccessBlock', () => {
    const e = parseChange(DELETE_PAB);
    expect(e).toMatchObject({ eventName: 'DeleteBucketPublicAccessBlock', scope: 'bucket', bucket: 'mycluster-oidc' });
    expect(e).not.toHaveProperty('publicAccessBlock');
    // Only a Put…PublicAccessBlock sends settings; a stray configuration on another change is not read as one.
    const stray = { 'requestParameters.PublicAccessBlockConfiguration': { BlockPublicPolicy: true } };
    expect(parseChange(edit(DELETE_PAB, stray))).not.toHaveProperty('publicAccessBlock');
    expect(parseChange(edit(POLICY_2025, stray))).not.toHaveProperty('publicAccessBlock');
  });

  it('reads PutAccountPublicAccessBlock from s3.amazonaws.com and from s3-control.amazonaws.com', () => {
    const fromS3 = parseChange(ACCOUNT_PAB_S3);
    expect(fromS3).toMatchObject({ eventName: 'PutAccountPublicAccessBlock', scope: 'account', region: 'us-east-1' });
    expect(fromS3.publicAccessBlock).toStrictEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(fromS3).not.toHaveProperty('bucket');
    const fromControl = parseChange(ACCOUNT_PAB_S3C);
    expect(fromControl).toMatchObject({
      eventName: 'PutAccountPublicAccessBlock',
      scope: 'account',
      sessionIssuerArn: 'arn:aws:iam::123456789012:role/OrgBaseline',
      publicAccessBlock: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      },
    });
  });

  it('reads DeleteAccountPublicAccessBlock from both sources, and an account change never names a bucket', () => {
    for (const source of ['s3.amazonaws.com', 's3-control.amazonaws.com']) {
      const record = edit(ACCOUNT_PAB_S3, {
        eventName: 'DeleteAccountPublicAccessBlock',
        eventSource: source,
        'requestParameters.PublicAccessBlockConfiguration': undefined,
        'requestParameters.bucketName': 'stray',
      });
      const e = parseChange(record);
      expect(e, source).toMatchObject({ eventName: 'DeleteAccountPublicAccessBlock', scope: 'account' });
      expect(e, source).not.toHaveProperty('bucket');
      expect(e, source).not.toHaveProperty('publicAccessBlock');
    }
  });

  it('maps the API names Put/DeletePublicAccessBlock by bucketName and source', () => {
    const cases: [string, string, string | undefined, string, 'bucket' | 'account'][] = [
      ['PutPublicAccessBlock', 's3.amazonaws.com', 'legacy-oidc', 'PutBucketPublicAccessBlock', 'bucket'],
      ['PutPublicAccessBlock', 's3.amazonaws.com', undefined, 'PutAccountPublicAccessBlock', 'account'],
      ['PutPublicAccessBlock', 's3-control.amazonaws.com', 'legacy-oidc', 'PutAccountPublicAccessBlock', 'account'],
      ['DeletePublicAccessBlock', 's3.amazonaws.com', 'legacy-oidc', 'DeleteBucketPublicAccessBlock', 'bucket'],
      ['DeletePublicAccessBlock', 's3-control.amazonaws.com', undefined, 'DeleteAccountPublicAccessBlock', 'account'],
    ];
    for (const [eventName, eventSource, bucket, expected, scope] of cases) {
      const record = edit(PAB_2019, { eventName, eventSource, 'requestParameters.bucketName': bucket });
      const label = `${eventName} from ${eventSource} ${bucket ?? 'without bucket'}`;
      expect(parseChange(record), label).toMatchObject({ eventName: expected, scope });
      expect(parseChange(record).bucket, label).toBe(scope === 'bucket' ? bucket : undefined);
    }
  });

  it('takes the bucket from a one-element array or from resources[], and refuses a bucket change with no bucket', () => {
    expect(parseChange(edit(POLICY_2019, { 'requestParameters.bucketName': ['legacy-oidc'] })).bucket).toBe(
      'legacy-oidc',
    );
    const fromResources = edit(POLICY_2025, { 'requestParameters.bucketName': undefined });
    expect(parseChange(fromResources).bucket).toBe('mycluster-oidc');
    const nowhere = wrap(edit(fromResources, { resources: undefined }));
    expect(parseError(nowhere)).toMatchObject({
      field: 'requestParameters.bucketName',
      eventId: POLICY_2025['eventID'],
    });
  });

  it('ignores bucket-level names from any source but s3.amazonaws.com', () => {
    expect(parse(edit(POLICY_2025, { eventSource: 's3-control.amazonaws.com' }))).toBeUndefined();
    expect(parse(edit(DELETE_PAB, { eventSource: 'evil.example.com' }))).toBeUndefined();
  });
});

describe('events of no interest', () => {
  it('returns undefined for ConsoleLogin, GetObject, AssumeRole and a web-identity name from another source', () => {
    expect(parse(CONSOLE_LOGIN)).toBeUndefined();
    expect(parse(GET_OBJECT)).toBeUndefined();
    expect(parse(edit(AWSDOCS, { eventName: 'AssumeRole' }))).toBeUndefined();
    expect(parse(edit(AWSDOCS, { eventSource: 'iam.amazonaws.com' }))).toBeUndefined();
    expect(parse(edit(AWSDOCS, { eventName: 'constructor' }))).toBeUndefined();
    expect(parse(edit(AWSDOCS, { eventName: 'hasOwnProperty' }))).toBeUndefined();
  });

  it('does not complain about the record of an event of no interest', () => {
    expect(parse(GET_OBJECT, { CloudTrailEvent: 'not json' })).toBeUndefined();
    expect(parse(CONSOLE_LOGIN, { CloudTrailEvent: undefined })).toBeUndefined();
    expect(parse(edit(GET_OBJECT, { awsRegion: 5 }))).toBeUndefined();
  });

  it('lets the record name the event when the summary disagrees', () => {
    expect(parse(AWSDOCS, { EventName: 'GetObject', EventSource: 's3.amazonaws.com' })?.kind).toBe('assume');
    expect(
      parse(GET_OBJECT, { EventName: 'AssumeRoleWithWebIdentity', EventSource: 'sts.amazonaws.com' }),
    ).toBeUndefined();
  });
});

describe('malformed records of interest', () => {
  it('throws RecordParseError naming the eventId and CloudTrailEvent when the record is not a JSON object', () => {
    for (const CloudTrailEvent of ['{"eventID": "x"', 'null', '[1,2]', '42', undefined]) {
      const err = parseError(wrap(AWSDOCS, { CloudTrailEvent }));
      expect(err.code).toBe('CLOUDTRAIL_RECORD_INVALID');
      expect(err.field).toBe('CloudTrailEvent');
      expect(err.message).toContain('aEXAMPLE-ee29-4ac0-a0ed-3f5c5EXAMPLE');
      expect(err.message).toContain('CloudTrailEvent');
    }
  });

  it('names the field that is missing or has the wrong type', () => {
    const cases: [string, Json, string][] = [
      ['no awsRegion', edit(AWSDOCS, { awsRegion: undefined }), 'awsRegion'],
      ['eventTime not ISO', edit(AWSDOCS, { eventTime: 'Jul 9, 2024, 4:41:37 PM' }), 'eventTime'],
      ['eventTime impossible', edit(AWSDOCS, { eventTime: '2024-07-09T25:61:00Z' }), 'eventTime'],
      ['userName a number', edit(AWSDOCS, { 'userIdentity.userName': 42 }), 'userIdentity.userName'],
      ['errorCode an object', edit(DENIED, { errorCode: { code: 'AccessDenied' } }), 'errorCode'],
      ['responseElements a string', edit(AWSDOCS, { responseElements: 'oops' }), 'responseElements'],
      ['resources not a list', edit(DENIED, { resources: { type: 'AWS::IAM::Role' } }), 'resources'],
      ['resource ARN a number', edit(DENIED, { resources: [{ type: 'AWS::IAM::Role', ARN: 7 }] }), 'resources.0.ARN'],
      ['roleArn a list', edit(DENIED, { 'requestParameters.roleArn': ['a'] }), 'requestParameters.roleArn'],
      ['eventName a number', edit(AWSDOCS, { eventName: 1 }), 'eventName'],
      [
        'flag "yes"',
        edit(PAB_2019, { 'requestParameters.PublicAccessBlockConfiguration.BlockPublicPolicy': 'yes' }),
        'requestParameters.PublicAccessBlockConfiguration.BlockPublicPolicy',
      ],
      [
        'bucketName two names',
        edit(POLICY_2019, { 'requestParameters.bucketName': ['a', 'b'] }),
        'requestParameters.bucketName',
      ],
      ['actor arn a number', edit(POLICY_DENIED, { 'userIdentity.arn': 1 }), 'userIdentity.arn'],
      [
        'sessionIssuer a string',
        edit(POLICY_DENIED, { 'userIdentity.sessionContext.sessionIssuer': 'r' }),
        'userIdentity.sessionContext.sessionIssuer',
      ],
    ];
    for (const [name, record, field] of cases) {
      const summaryName = str(record['eventName']) === undefined ? { EventName: 'AssumeRoleWithWebIdentity' } : {};
      const err = parseError(wrap(record, summaryName));
      expect(err.field, name).toBe(field);
      expect(err.message, name).toContain(String(record['eventID']));
    }
  });

  it('takes eventID and eventTime from the summary when the record lacks them, and refuses when both lack them', () => {
    const bare = edit(AWSDOCS, { eventID: undefined, eventTime: undefined });
    const e = parseLookupEvent({ ...wrap(bare), EventId: 'from-summary', EventTime: new Date('2024-07-09T15:41:37Z') });
    expect(e).toMatchObject({ eventId: 'from-summary', time: '2024-07-09T15:41:37.000Z' });
    expect(parseError(wrap(bare, { EventId: 'x', EventTime: new Date(Number.NaN) })).field).toBe('eventTime');
    expect(parseError(wrap(bare, { EventId: 'x', EventTime: undefined })).field).toBe('eventTime');
    expect(parseError(wrap(bare, { EventId: undefined, EventTime: new Date() })).field).toBe('eventID');
  });

  it('refuses a record whose eventID differs from the summary EventId', () => {
    expect(parseError(wrap(AWSDOCS, { EventId: 'other-id' }))).toMatchObject({ field: 'eventID' });
  });

  it('refuses a known name with no event source at all, and a summary that is not an object', () => {
    const noSource = wrap(edit(AWSDOCS, { eventSource: undefined }), { EventSource: undefined });
    expect(parseError(noSource).field).toBe('eventSource');
    expect(parseError(null as unknown as Event).field).toBe('Event');
  });

  it('never throws anything but RecordParseError and never returns a wrongly typed field, whatever a field holds', () => {
    const paths = [
      'eventID',
      'eventTime',
      'awsRegion',
      'errorCode',
      'errorMessage',
      'sourceIPAddress',
      'userAgent',
      'userIdentity',
      'userIdentity.userName',
      'userIdentity.identityProvider',
      'userIdentity.principalId',
      'userIdentity.arn',
      'userIdentity.sessionContext',
      'requestParameters',
      'requestParameters.roleArn',
      'requestParameters.bucketName',
      'requestParameters.bucketPolicy',
      'requestParameters.policy',
      'requestParameters.PublicAccessBlockConfiguration',
      'requestParameters.PublicAccessBlockConfiguration.BlockPublicPolicy',
      'responseElements',
      'responseElements.audience',
      'resources',
    ];
    const records = [AWSDOCS, DENIED, POLICY_2025, POLICY_2019, PAB_2019, ACCOUNT_PAB_S3C];
    fc.assert(
      fc.property(
        fc.constantFrom(...records),
        fc.uniqueArray(fc.constantFrom(...paths), { minLength: 1, maxLength: 4 }),
        fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 4, maxLength: 4 }),
        (record, chosen, values) => {
          const hostile = edit(record, Object.fromEntries(chosen.map((p, i) => [p, values[i] ?? null])));
          let e: TrailEvent | undefined;
          try {
            e = parseLookupEvent(wrap(hostile, { EventId: str(record['eventID']) }));
          } catch (err) {
            expect(err).toBeInstanceOf(RecordParseError);
            return;
          }
          expect(e).toBeDefined();
          expectWellTyped(e as TrailEvent);
        },
      ),
      { numRuns: 400 },
    );
  });
});

const STRING_FIELDS = [
  'eventId',
  'time',
  'region',
  'providerArn',
  'issuerHost',
  'subject',
  'audience',
  'roleArn',
  'errorCode',
  'errorMessage',
  'sourceIp',
  'bucket',
  'actorArn',
  'sessionIssuerArn',
  'actorType',
  'accessKeyId',
  'userAgent',
];
function expectWellTyped(e: TrailEvent): void {
  const fields = e as unknown as Json;
  for (const key of STRING_FIELDS)
    if (key in fields) expect(typeof fields[key] === 'string' && fields[key] !== '', key).toBe(true);
  expect(Number.isNaN(Date.parse(e.time))).toBe(false);
  if (e.kind === 'assume') return;
  expect(e.scope === 'bucket' ? typeof e.bucket : e.bucket).toBe(e.scope === 'bucket' ? 'string' : undefined);
  if (e.policy !== undefined) expect(typeof e.policy === 'object' && !Array.isArray(e.policy)).toBe(true);
  for (const v of Object.values(e.publicAccessBlock ?? {})) expect(typeof v).toBe('boolean');
}

describe('parseLookupEvents', () => {
  it('dedupes by eventId, skips events of no interest and returns malformed ones beside the good ones', () => {
    const broken = wrap(edit(DENIED, { eventID: 'broken-1', awsRegion: 7 }));
    const { events, malformed } = parseLookupEvents([
      wrap(AWSDOCS),
      wrap(CONSOLE_LOGIN),
      wrap(DENIED),
      wrap(AWSDOCS),
      broken,
      wrap(POLICY_2025),
      broken,
      wrap(GET_OBJECT),
      wrap(DENIED, { EventId: undefined }),
    ]);
    expect(events.map((e) => e.eventId)).toEqual([AWSDOCS['eventID'], DENIED['eventID'], POLICY_2025['eventID']]);
    expect(malformed).toEqual([{ eventId: 'broken-1', reason: expect.stringMatching(/broken-1.*awsRegion/) }]);
  });

  it('reports a malformed event with no id at all without an eventId, and a non-object summary too', () => {
    const { events, malformed } = parseLookupEvents([
      { EventName: 'AssumeRoleWithWebIdentity', EventSource: 'sts.amazonaws.com', CloudTrailEvent: '{' },
      null as unknown as Event,
      wrap(EKS_OK),
    ]);
    expect(events).toHaveLength(1);
    expect(malformed).toHaveLength(2);
    for (const m of malformed) {
      expect(m).not.toHaveProperty('eventId');
      expect(m.reason).toMatch(/\(no eventId\)/);
    }
  });
});

describe('secrets', () => {
  it('never copies a session token, a secret key or a credential key id into the output', () => {
    const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const hostile = edit(EKS_OK, { 'responseElements.credentials.secretAccessKey': secretKey });
    const hostileBucket = edit(POLICY_DENIED, {
      'requestParameters.sessionToken': EKS_TOKEN,
      'userIdentity.sessionContext.sessionToken': EKS_TOKEN,
    });
    const inputs = [AWSDOCS, EKS_OK, hostile, DENIED, POLICY_2025, hostileBucket, ACCOUNT_PAB_S3C].map((r) => wrap(r));
    const input = JSON.stringify(inputs);
    for (const secret of [AWSDOCS_TOKEN, EKS_TOKEN, secretKey]) expect(input).toContain(secret);
    const output = JSON.stringify([parseLookupEvents(inputs), ...inputs.map(parseLookupEvent)]);
    expect(parseLookupEvents(inputs).events).toHaveLength(6);
    for (const secret of [AWSDOCS_TOKEN, EKS_TOKEN, secretKey, 'sessionToken', 'credentials']) {
      expect(output).not.toContain(secret);
    }
    // The temporary credentials' key id (ASIA…) is STS's answer, not the caller; only an actor's own key id is kept.
    expect(JSON.stringify(parseLookupEvent(wrap(EKS_OK)))).not.toContain('ASIAIOSFODNN7EXAMPLE');
  });
});

describe('groupAssumeEvents', () => {
  const base: AssumeEvent = {
    kind: 'assume',
    eventId: 'e0',
    time: '2025-01-01T00:00:00.000Z',
    region: 'us-east-1',
    providerArn: EKS_PROVIDER,
    roleArn: 'arn:aws:iam::111122223333:role/r',
    subject: 'system:serviceaccount:a:b',
    audience: 'sts.amazonaws.com',
  };
  const at = (eventId: string, time: string, over: Partial<AssumeEvent> = {}): AssumeEvent => ({
    ...base,
    eventId,
    time,
    ...over,
  });
  const denied = { errorCode: 'AccessDenied' };

  it('groups failures by provider, role, subject and error code, with count, newest, oldest and the newest message', () => {
    const { failures, successes } = groupAssumeEvents([
      at('f2', '2025-01-02T00:00:00.000Z', { ...denied, errorMessage: 'second' }),
      at('f1', '2025-01-01T00:00:00.000Z', { ...denied, errorMessage: 'first' }),
      at('f3', '2025-01-03T00:00:00.000Z', { ...denied, errorMessage: 'third' }),
      at('f3', '2025-01-03T00:00:00.000Z', { ...denied, errorMessage: 'third' }),
      at('f4', '2025-01-01T12:00:00.000Z', {
        errorCode: 'InvalidIdentityToken',
        errorMessage: 'Incorrect token audience',
      }),
      at('f5', '2025-01-04T00:00:00.000Z', { ...denied, subject: 'system:serviceaccount:a:c' }),
    ]);
    expect(successes).toEqual([]);
    expect(failures).toStrictEqual([
      {
        providerArn: EKS_PROVIDER,
        roleArn: base.roleArn,
        subject: 'system:serviceaccount:a:c',
        errorCode: 'AccessDenied',
        count: 1,
        newest: '2025-01-04T00:00:00.000Z',
        oldest: '2025-01-04T00:00:00.000Z',
      },
      {
        providerArn: EKS_PROVIDER,
        roleArn: base.roleArn,
        subject: base.subject,
        errorCode: 'AccessDenied',
        count: 3,
        newest: '2025-01-03T00:00:00.000Z',
        oldest: '2025-01-01T00:00:00.000Z',
        sampleMessage: 'third',
      },
      {
        providerArn: EKS_PROVIDER,
        roleArn: base.roleArn,
        subject: base.subject,
        errorCode: 'InvalidIdentityToken',
        count: 1,
        newest: '2025-01-01T12:00:00.000Z',
        oldest: '2025-01-01T12:00:00.000Z',
        sampleMessage: 'Incorrect token audience',
      },
    ]);
  });

  it('groups successes without an error code, and keeps an unknown provider apart from a known one', () => {
    const { failures, successes } = groupAssumeEvents([
      at('s1', '2025-02-01T00:00:00.000Z'),
      at('s2', '2025-02-03T00:00:00.000Z'),
      at('s3', '2025-02-02T00:00:00.000Z', { providerArn: undefined }),
      at('s4', '2025-02-01T06:00:00.000Z'),
    ]);
    expect(failures).toEqual([]);
    expect(successes).toStrictEqual([
      {
        providerArn: EKS_PROVIDER,
        roleArn: base.roleArn,
        subject: base.subject,
        count: 3,
        newest: '2025-02-03T00:00:00.000Z',
        oldest: '2025-02-01T00:00:00.000Z',
      },
      {
        roleArn: base.roleArn,
        subject: base.subject,
        count: 1,
        newest: '2025-02-02T00:00:00.000Z',
        oldest: '2025-02-02T00:00:00.000Z',
      },
    ]);
  });

  it('groups the parsed fixtures end to end', () => {
    const repeat = edit(DENIED, { eventID: 'denied-again', eventTime: '2023-11-08T16:00:00Z' });
    const { events } = parseLookupEvents([wrap(DENIED), wrap(repeat), wrap(AWSDOCS), wrap(EKS_OK), wrap(POLICY_2025)]);
    const assumes = events.filter((e): e is AssumeEvent => e.kind === 'assume');
    const { failures, successes } = groupAssumeEvents(assumes);
    expect(failures).toMatchObject([
      {
        errorCode: 'AccessDenied',
        count: 2,
        newest: '2023-11-08T16:00:00.000Z',
        oldest: '2023-11-08T15:09:08.000Z',
        sampleMessage: 'An unknown error occurred',
      },
    ]);
    expect(successes.map((g) => [g.providerArn, g.count])).toEqual([
      [EKS_PROVIDER, 1],
      [get(AWSDOCS, 'userIdentity.identityProvider'), 1],
    ]);
  });
});
