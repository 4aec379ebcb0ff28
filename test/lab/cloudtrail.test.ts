import { describe, expect, it } from 'vitest';
import { createCloudTrailHandler, recordEvent, RateLimiter } from '../../src/lab/cloudtrail.ts';
import type { LabResponse } from '../../src/lab/wire.ts';
import { asUser, labContext, labRequest } from '../helpers/lab-request.ts';

const TARGET = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents';

function setup(lookupsPerSecond = 1000, now?: () => number) {
  const ctx = labContext();
  const handler = createCloudTrailHandler(ctx, { lookupsPerSecond, ...(now && { now }) });
  const lookup = async (input: Record<string, unknown>, user = 'sentinel', region = 'us-east-1') => {
    const res: LabResponse = await handler(
      labRequest({
        method: 'POST',
        path: '/',
        headers: { host: '127.0.0.1:1', 'x-amz-target': TARGET, 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify(input),
        caller: asUser(ctx, user),
        region,
      }),
    );
    return { status: res.status, headers: res.headers, json: JSON.parse(String(res.body)) as Record<string, unknown> };
  };
  const put = (bucket: string, region = 'us-east-1') =>
    recordEvent(ctx.state, {
      req: labRequest({ path: `/${bucket}?policy`, method: 'PUT', caller: asUser(ctx, 'alice'), region }),
      eventSource: 's3.amazonaws.com',
      eventName: 'PutBucketPolicy',
      readOnly: false,
      requestParameters: {
        bucketName: bucket,
        bucketPolicy: { Version: '2012-10-17' },
        policy: '',
        Host: '127.0.0.1:1',
      },
      responseElements: null,
      resources: [{ type: 'AWS::S3::Bucket', arn: `arn:aws:s3:::${bucket}` }],
    });
  return { ctx, lookup, put };
}

describe('CloudTrail LookupEvents', () => {
  it('returns events newest first with the record as a JSON string naming the signer (docs/aws-facts.md 3.2, 3.3)', async () => {
    const { lookup, put, ctx } = setup();
    put('one');
    put('two');
    const { status, json } = await lookup({
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutBucketPolicy' }],
    });
    expect(status).toBe(200);
    const events = json.Events as Record<string, unknown>[];
    expect(events.map((e) => (e.Resources as { ResourceName: string }[])[0]?.ResourceName)).toEqual([
      'arn:aws:s3:::two',
      'arn:aws:s3:::one',
    ]);
    expect(events[0]).toMatchObject({
      EventName: 'PutBucketPolicy',
      ReadOnly: 'false',
      EventSource: 's3.amazonaws.com',
      Username: 'alice',
    });
    expect(typeof events[0]?.EventTime).toBe('number');
    const record = JSON.parse(events[0]?.CloudTrailEvent as string) as Record<string, unknown>;
    expect(record.userIdentity).toMatchObject({
      type: 'IAMUser',
      arn: ctx.state.users.get('alice')!.arn,
      userName: 'alice',
    });
    expect(record).toMatchObject({
      eventName: 'PutBucketPolicy',
      awsRegion: 'us-east-1',
      readOnly: false,
      managementEvent: true,
    });
    expect(record.requestParameters).toMatchObject({ bucketName: 'two', policy: '' });
  });

  it('keeps regions apart and filters by time', async () => {
    const { lookup, put } = setup();
    put('east', 'us-east-1');
    put('west', 'us-west-2');
    const west = await lookup({}, 'sentinel', 'us-west-2');
    expect((west.json.Events as unknown[]).length).toBe(1);
    const future = await lookup({ StartTime: Date.now() / 1000 + 60 });
    expect(future.json.Events).toEqual([]);
  });

  it('pages with NextToken and rejects a token reused with other parameters', async () => {
    const { lookup, put } = setup();
    for (let i = 0; i < 7; i++) put(`b${i}`);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await lookup({ MaxResults: 3, ...(token ? { NextToken: token } : {}) });
      seen.push(...(page.json.Events as { EventId: string }[]).map((e) => e.EventId));
      token = page.json.NextToken as string | undefined;
    } while (token);
    expect(new Set(seen).size).toBe(7);
    const first = await lookup({ MaxResults: 3 });
    const misuse = await lookup({ MaxResults: 4, NextToken: first.json.NextToken });
    expect(misuse.json.__type).toBe('InvalidNextTokenException');
  });

  it('validates the request as CloudTrail does', async () => {
    const { lookup } = setup();
    const two = await lookup({
      LookupAttributes: [
        { AttributeKey: 'EventName', AttributeValue: 'a' },
        { AttributeKey: 'Username', AttributeValue: 'b' },
      ],
    });
    expect(two.json.__type).toBe('InvalidLookupAttributesException');
    expect((await lookup({ MaxResults: 51 })).json.__type).toBe('InvalidMaxResultsException');
    expect((await lookup({ StartTime: 200, EndTime: 100 })).json.__type).toBe('InvalidTimeRangeException');
    const denied = await lookup({}, 'nobody');
    expect(denied.json.__type).toBe('AccessDeniedException');
  });

  it('throttles above two lookups per second per account and region with a 400 ThrottlingException', async () => {
    // A clock that stands still: the three calls are in one second however slowly the machine makes them.
    const { lookup } = setup(2, () => 1_000_000);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await lookup({}));
    expect(results.map((r) => r.status)).toEqual([200, 200, 400]);
    expect(results[2]?.json).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' });
    expect(results[2]?.headers?.['x-amzn-errortype']).toBe('ThrottlingException');
    expect((await lookup({}, 'sentinel', 'eu-west-1')).status).toBe(200);
  });

  it('rate limiter counts a sliding second', () => {
    const limiter = new RateLimiter(2);
    expect([
      limiter.tryTake('k', 0),
      limiter.tryTake('k', 100),
      limiter.tryTake('k', 900),
      limiter.tryTake('k', 1000),
    ]).toEqual([true, true, false, true]);
  });
});
