// What-if for bucket policies against the lab's live bucket settings, through the agent's API route: ccoctl's policy
// is safe, a Deny unless aws:SourceVpce breaks the issuer (naming the statement), a public policy under
// BlockPublicPolicy would be refused by S3, an invalid policy or a cluster without a bucket is a coded error.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../../src/agent.ts';
import type { Agent } from '../../../src/agent.ts';
import { loadText, tempDir } from '../../config/temp-config.ts';
import { OPEN_ACCESS_YAML } from '../../helpers/api-access.ts';
import { ccoctlReadStatement, denyOutsideVpceStatement, policyOf } from '../../helpers/policies.ts';

const BUCKET = 'prod-east-oidc';
let agent: Agent;
let app: FastifyInstance;

beforeAll(async () => {
  const config = loadText(
    `lab:\n  dataDir: ${tempDir()}\n  fleet:\n    keyPool: 1\n    clusters:\n      - name: prod-east\n      - name: cf\n        topology: cloudfront\nstorage:\n  inMemory: true\nserver:\n${OPEN_ACCESS_YAML}`,
  );
  agent = await createAgent(config, pino({ level: 'silent' }));
  app = await agent.api();
});
beforeEach(() => agent.lab!.heal());
afterAll(async () => {
  await app.close();
  await agent.stop();
});

const ccoctl = (bucket = BUCKET) => policyOf(ccoctlReadStatement(bucket));
const withDenyOutsideVpce = () => policyOf(ccoctlReadStatement(BUCKET), denyOutsideVpceStatement(BUCKET));

const simulate = (cluster: string, body: unknown) =>
  app.inject({ method: 'POST', url: `/api/v1/clusters/${cluster}/bucket-policy/simulate`, payload: body as object });

describe('POST /api/v1/clusters/:name/bucket-policy/simulate', () => {
  it("ccoctl's public-read policy keeps the issuer readable, with no change to the current one", async () => {
    const res = await simulate('prod-east', ccoctl());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      cluster: 'prod-east',
      bucket: BUCKET,
      wouldBreak: false,
      findings: [],
      documents: [
        { key: '.well-known/openid-configuration', allowed: true, statement: 'AllowReadPublicAccess' },
        { key: 'keys.json', allowed: true },
      ],
    });
    expect(res.json()).not.toHaveProperty('refusedByBlockPublicPolicy');
  });

  it('a Deny unless aws:SourceVpce would break the issuer, naming the statement, and shows the diff', async () => {
    const res = await simulate('prod-east', withDenyOutsideVpce());
    const body = res.json<{
      wouldBreak: boolean;
      documents: { statement?: string; reason: string }[];
      findings: { code: string }[];
      diff: string;
    }>();
    expect(body.wouldBreak).toBe(true);
    expect(body.documents.map((d) => [d.reason, d.statement])).toEqual([
      ['explicit-deny', 'DenyOutsideVpce'],
      ['explicit-deny', 'DenyOutsideVpce'],
    ]);
    expect(body.findings.map((f) => f.code)).toEqual(['BUCKET_ANONYMOUS_READ_DENIED']);
    expect(body.diff).toMatch(/^\+ .*DenyOutsideVpce/m);
    // Nothing was put: the live bucket still serves STS.
    const again = await simulate('prod-east', ccoctl());
    expect(again.json<{ diff?: string }>().diff).toBeUndefined();
  });

  it('a public policy under the bucket BlockPublicPolicy: S3 would refuse it, and RestrictPublicBuckets voids it', async () => {
    await agent.lab!.applyFault({ cluster: 'prod-east', fault: 'block-public-access' });
    const body = (await simulate('prod-east', ccoctl())).json<{
      wouldBreak: boolean;
      refusedByBlockPublicPolicy?: { level: string };
    }>();
    expect(body.refusedByBlockPublicPolicy).toEqual({ level: 'bucket' });
    expect(body.wouldBreak).toBe(true);
  });

  it('a CloudFront issuer: dropping the OAI grant breaks it, keeping it is safe', async () => {
    const oai = agent.lab!.info().clusters.find((c) => c.name === 'cf')!.oaiArn!;
    const keep = {
      Version: '2008-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: oai }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::cf-oidc/*' },
      ],
    };
    expect((await simulate('cf', keep)).json()).toMatchObject({ wouldBreak: false });
    expect((await simulate('cf', ccoctl('cf-oidc'))).json()).toMatchObject({ wouldBreak: true });
  });

  it('answers coded errors: invalid policy 400, unknown cluster 404', async () => {
    const invalid = await simulate('prod-east', {
      Statement: [{ Effect: 'Maybe', Principal: '*', Action: 's3:GetObject', Resource: '*' }],
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({
      error: { code: 'BUCKET_POLICY_INVALID', message: expect.stringContaining('Effect') },
    });
    const notObject = await app.inject({
      method: 'POST',
      url: '/api/v1/clusters/prod-east/bucket-policy/simulate',
      payload: '[1]',
      headers: { 'content-type': 'application/json' },
    });
    expect(notObject.statusCode).toBe(400);
    const unknown = await simulate('nope', ccoctl());
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'CLUSTER_NOT_FOUND' } });
  });
});
