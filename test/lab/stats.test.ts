// GET /_lab/v1/stats: what the lab served (requests per service, issuer documents) and LookupEvents calls per account
// and region with the most in any one second: what benchmarks read to count fetches and CloudTrail's call rate.
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallsInLastSecond } from '../../src/lab/cloudtrail.ts';
import type { Lab } from '../../src/lab/index.ts';
import { issuerDocumentOf } from '../../src/lab/stats.ts';
import type { LabStats } from '../../src/lab/stats.ts';
import { sdkConfig, startTestLab } from '../helpers/lab.ts';

describe('issuerDocumentOf', () => {
  it.each([
    ['/a-oidc/.well-known/openid-configuration', 'discovery'],
    ['/_cloudfront/E123/.well-known/openid-configuration', 'discovery'],
    ['/a-oidc/keys.json', 'jwks'],
    ['/a-oidc/keys.json.bak', undefined],
    ['/a-oidc/', undefined],
    ['/_clusters/a/openid/v1/jwks', undefined],
  ])('%s is %s', (path, kind) => expect(issuerDocumentOf(path)).toBe(kind));
});

describe('CallsInLastSecond', () => {
  it('counts the calls of the last second per key, the one being made included', () => {
    const calls = new CallsInLastSecond();
    expect([0, 100, 900].map((t) => calls.add('a', t))).toEqual([1, 2, 3]);
    expect(calls.add('b', 950)).toBe(1);
    expect(calls.add('a', 1000)).toBe(3); // the call at 0 is a second old
    expect(calls.add('a', 2500)).toBe(1);
  });
});

describe('lab stats', () => {
  let lab: Lab;
  let agent: Agent;
  beforeAll(async () => {
    lab = await startTestLab({ cloudTrailLookupsPerSecond: 1000, fleet: { clusters: [{ name: 'one' }] } });
    agent = new Agent({ connect: { ca: lab.caPem } });
  });
  afterAll(async () => {
    await agent.close();
    await lab.close();
  });

  const stats = async (): Promise<LabStats> => {
    const res = await request(`${lab.endpoint}/_lab/v1/stats`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${lab.controlToken}` },
    });
    expect(res.statusCode).toBe(200);
    return (await res.body.json()) as LabStats;
  };

  it('needs the control token', async () => {
    const res = await request(`${lab.endpoint}/_lab/v1/stats`, { dispatcher: agent });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
  });

  it('counts issuer documents served with 200, not misses, and requests per service', async () => {
    const before = await stats();
    const issuer = lab.info().clusters[0]!.issuer;
    for (const path of ['.well-known/openid-configuration', 'keys.json', 'keys.json', 'nothing.json']) {
      const res = await request(`${issuer}/${path}`, { dispatcher: agent });
      await res.body.dump();
    }
    const after = await stats();
    expect(after.issuerDocuments.discovery - before.issuerDocuments.discovery).toBe(1);
    expect(after.issuerDocuments.jwks - before.issuerDocuments.jwks).toBe(2);
    expect((after.requests.s3 ?? 0) - (before.requests.s3 ?? 0)).toBe(4);
    expect((after.requests.control ?? 0) - (before.requests.control ?? 0)).toBe(1); // the first stats call
  });

  it('counts LookupEvents calls per account and region, with the most in one second', async () => {
    const trail = new CloudTrailClient(sdkConfig(lab, 'sentinel'));
    for (let i = 0; i < 3; i++) await trail.send(new LookupEventsCommand({ MaxResults: 1 }));
    const key = `${lab.info().accountId}/${lab.info().region}`;
    const counted = (await stats()).cloudTrailLookups[key];
    expect(counted).toMatchObject({ answered: 3, throttled: 0 });
    // Three calls made one after another: all within one second unless the machine stalls.
    expect(counted?.peakPerSecond).toBeGreaterThanOrEqual(1);
    expect(counted?.peakPerSecond).toBeLessThanOrEqual(3);
  });
});
