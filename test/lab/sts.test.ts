// STS handler: AssumeRoleWithWebIdentity against a real local HTTPS issuer (discovery + JWKS), and GetCallerIdentity.
// Expected codes, messages and shapes come from docs/aws-facts.md sections 1 and 3.1.
import { createHash, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK } from 'jose';
import type { JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/lab/state.ts';
import { createStsHandler } from '../../src/lab/sts.ts';
import { createLabTls } from '../../src/lab/tls.ts';
import type { Caller, LabContext, LabHandler } from '../../src/lab/wire.ts';
import { labContext, labRequest } from '../helpers/lab-request.ts';
import { at, xmlParser } from '../helpers/xml.ts';

const COULD_NOT_RETRIEVE =
  "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SUBJECT = 'system:serviceaccount:openshift-ingress-operator:ingress-operator';
const ROLE_NAME = 'demo-openshift-ingress-operator-cloud-credentials';

interface SigningPair {
  privateKey: KeyObject;
  kid: string;
  jwk: JWK;
}

async function rsaKey(): Promise<SigningPair> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // kid = base64url(SHA-256(DER SPKI)) as kube-apiserver and ccoctl compute it (docs/aws-facts.md 6).
  const kid = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
  return { privateKey, kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** What the fake issuer serves at a path: status, JSON body, delay. */
interface Route {
  status?: number;
  body?: unknown;
  delayMs?: number;
}

let server: Server;
let caPem: string;
let issuer: string;
let providerUrl: string;
let providerArn: string;
const routes = new Map<string, Route>();
const seenHeaders: IncomingHttpHeaders[] = [];
let key: SigningPair;
let otherKey: SigningPair;

beforeAll(async () => {
  const tls = await createLabTls(mkdtempSync(join(tmpdir(), 'sts-test-')));
  caPem = tls.caPem;
  server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    seenHeaders.push(req.headers);
    const route = routes.get(req.url ?? '') ?? { status: 404, body: { message: 'not found' } };
    setTimeout(() => {
      res.writeHead(route.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(route.body ?? {}));
    }, route.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  issuer = `https://127.0.0.1:${port}/demo-oidc`;
  providerUrl = issuer.slice('https://'.length);
  providerArn = `arn:aws:iam::111122223333:oidc-provider/${providerUrl}`;
  [key, otherKey] = await Promise.all([rsaKey(), rsaKey()]);
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

let ctx: LabContext;
let sts: LabHandler;
let role: Role;

function serveIssuer(keys: JWK[], jwksUri = `${issuer}/keys.json`): void {
  routes.set('/demo-oidc/.well-known/openid-configuration', {
    body: {
      issuer,
      jwks_uri: jwksUri,
      response_types_supported: ['id_token'],
      id_token_signing_alg_values_supported: ['RS256'],
    },
  });
  routes.set('/demo-oidc/keys.json', { body: { keys } });
}

beforeEach(() => {
  ctx = { ...labContext(), caPem };
  sts = createStsHandler(ctx, { fetchBudgetMs: 1000 });
  routes.clear();
  seenHeaders.length = 0;
  serveIssuer([key.jwk]);
  ctx.state.providers.set(providerArn, {
    arn: providerArn,
    url: providerUrl,
    clientIds: ['openshift', 'sts.amazonaws.com'],
    thumbprints: [],
    createdAt: new Date(),
    tags: [],
  });
  // ccoctl's trust policy: Federated provider, StringEquals on <url>:sub only (docs/aws-facts.md 5).
  role = {
    name: ROLE_NAME,
    arn: `arn:aws:iam::111122223333:role/${ROLE_NAME}`,
    roleId: 'AROAEXAMPLEROLEID0001',
    path: '/',
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: providerArn },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${providerUrl}:sub`]: [SUBJECT] } },
        },
      ],
    }),
    description: '',
    maxSessionDuration: 3600,
    createdAt: new Date(),
    tags: [],
    policies: new Map(),
  };
  ctx.state.roles.set(role.name, role);
});

interface TokenSpec {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  expIn?: number;
  iat?: boolean;
  kid?: string | null;
  signWith?: KeyObject;
  alg?: string;
}

const now = (): number => Math.floor(Date.now() / 1000);

async function token(spec: TokenSpec = {}): Promise<string> {
  const t = now();
  const jwt = new SignJWT({ 'kubernetes.io': { namespace: 'openshift-ingress-operator' } })
    .setProtectedHeader({
      alg: spec.alg ?? 'RS256',
      ...(spec.kid === null ? {} : { kid: spec.kid ?? key.kid }),
    })
    .setIssuer(spec.iss ?? issuer)
    .setSubject(spec.sub ?? SUBJECT)
    .setAudience(spec.aud ?? ['openshift'])
    .setExpirationTime(t + (spec.expIn ?? 3600));
  if (spec.iat !== false) jwt.setIssuedAt(t);
  return jwt.sign(spec.signWith ?? key.privateKey);
}

async function call(params: Record<string, string>, caller: Caller = { kind: 'anonymous' }) {
  const res = await sts(
    labRequest({
      method: 'POST',
      path: '/',
      headers: {
        host: 'sts.us-east-2.amazonaws.com',
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      },
      body: new URLSearchParams({ Version: '2011-06-15', ...params }).toString(),
      caller,
      region: 'us-east-2',
    }),
  );
  const xml = xmlParser.parse(String(res.body)) as Record<string, Record<string, unknown>>;
  return { status: res.status, headers: res.headers ?? {}, xml, text: String(res.body) };
}

async function assume(params: Record<string, string> = {}, tokenSpec: TokenSpec = {}) {
  return call({
    Action: 'AssumeRoleWithWebIdentity',
    RoleArn: role.arn,
    RoleSessionName: 'ingress-session',
    WebIdentityToken: await token(tokenSpec),
    ...params,
  });
}

/** The awsQuery error body (docs/aws-facts.md 1.5): ErrorResponse/Error{Type,Code,Message} + sibling RequestId. */
function errorOf(r: { xml: Record<string, Record<string, unknown>> }) {
  const er = r.xml.ErrorResponse as { '@_xmlns': string; Error: Record<string, string>; RequestId: string };
  expect(er['@_xmlns']).toBe(XMLNS);
  expect(er.RequestId).toMatch(/^[0-9a-f-]{36}$/);
  return er.Error;
}

async function expectError(
  promise: ReturnType<typeof call>,
  status: number,
  code: string,
  message: string | RegExp,
): Promise<void> {
  const r = await promise;
  expect(r.status).toBe(status);
  const e = errorOf(r);
  expect(e.Type).toBe('Sender');
  expect(e.Code).toBe(code);
  if (typeof message === 'string') expect(e.Message).toBe(message);
  else expect(e.Message).toMatch(message);
}

describe('AssumeRoleWithWebIdentity success', () => {
  it('returns every docs/aws-facts.md 1.6 field, stores the session and logs a CloudTrail record', async () => {
    const jwt = await token();
    const r = await call({
      Action: 'AssumeRoleWithWebIdentity',
      RoleArn: role.arn,
      RoleSessionName: 'ingress-session',
      WebIdentityToken: jwt,
      DurationSeconds: '900',
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/xml');
    const resp = r.xml.AssumeRoleWithWebIdentityResponse as Record<string, unknown>;
    expect(resp['@_xmlns']).toBe(XMLNS);
    const result = resp.AssumeRoleWithWebIdentityResult as Record<string, Record<string, string> | string>;
    expect(result.SubjectFromWebIdentityToken).toBe(SUBJECT);
    expect(result.Audience).toBe('openshift');
    expect(result.Provider).toBe(providerArn);
    expect(result.AssumedRoleUser).toEqual({
      Arn: `arn:aws:sts::111122223333:assumed-role/${ROLE_NAME}/ingress-session`,
      AssumedRoleId: 'AROAEXAMPLEROLEID0001:ingress-session',
    });
    const creds = result.Credentials as Record<string, string>;
    expect(creds.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(creds.SecretAccessKey).toHaveLength(40);
    expect(creds.SessionToken?.length).toBeGreaterThan(100);
    expect(creds.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const expiresIn = (Date.parse(creds.Expiration ?? '') - Date.now()) / 1000;
    expect(expiresIn).toBeGreaterThan(890);
    expect(expiresIn).toBeLessThanOrEqual(900);
    expect((resp.ResponseMetadata as Record<string, string>).RequestId).toMatch(/^[0-9a-f-]{36}$/);

    const session = ctx.state.sessions.get(creds.AccessKeyId ?? '');
    expect(session).toMatchObject({
      secretAccessKey: creds.SecretAccessKey,
      sessionToken: creds.SessionToken,
      roleArn: role.arn,
      assumedRoleArn: `arn:aws:sts::111122223333:assumed-role/${ROLE_NAME}/ingress-session`,
    });

    // The fetch is anonymous and carries none of the lab-only source headers.
    expect(seenHeaders).toHaveLength(2);
    for (const h of seenHeaders) {
      expect(h.authorization).toBeUndefined();
      expect(Object.keys(h).filter((name) => name.startsWith('x-lab-'))).toEqual([]);
    }

    expect(ctx.state.trail).toHaveLength(1);
    const ev = ctx.state.trail[0]!;
    const record = ev.record;
    expect(record).toMatchObject({
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRoleWithWebIdentity',
      awsRegion: 'us-east-2',
      readOnly: true,
      userIdentity: {
        type: 'WebIdentityUser',
        principalId: `${providerArn}:openshift:${SUBJECT}`,
        userName: SUBJECT,
        identityProvider: providerArn,
      },
      requestParameters: { roleArn: role.arn, roleSessionName: 'ingress-session', durationSeconds: 900 },
      responseElements: {
        credentials: { accessKeyId: creds.AccessKeyId, sessionToken: creds.SessionToken },
        subjectFromWebIdentityToken: SUBJECT,
        assumedRoleUser: { assumedRoleId: 'AROAEXAMPLEROLEID0001:ingress-session', arn: session?.assumedRoleArn },
        provider: providerArn,
        audience: 'openshift',
      },
      additionalEventData: { identityProviderConnectionVerificationMethod: 'IAMTrustStore' },
      resources: [{ accountId: '111122223333', type: 'AWS::IAM::Role', ARN: role.arn }],
    });
    const expiration = (record.responseElements as { credentials: { expiration: string } }).credentials.expiration;
    expect(expiration).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M$/);
    const serialized = JSON.stringify(record);
    expect(serialized).not.toContain(jwt);
    expect(serialized).not.toContain(creds.SecretAccessKey);
  });

  it('lets GetCallerIdentity signed with the issued session name the assumed role', async () => {
    const r = await assume();
    const creds = at(r.xml, 'AssumeRoleWithWebIdentityResponse.AssumeRoleWithWebIdentityResult.Credentials') as Record<
      string,
      string
    >;
    const session = ctx.state.sessions.get(creds.AccessKeyId ?? '')!;
    const who = await call(
      { Action: 'GetCallerIdentity' },
      { kind: 'session', session, accessKeyId: session.accessKeyId },
    );
    expect(who.status).toBe(200);
    expect(at(who.xml, 'GetCallerIdentityResponse.GetCallerIdentityResult')).toEqual({
      Arn: `arn:aws:sts::111122223333:assumed-role/${ROLE_NAME}/ingress-session`,
      UserId: 'AROAEXAMPLEROLEID0001:ingress-session',
      Account: '111122223333',
    });
  });

  it('accepts a token expired by less than the 5-minute skew (docs/aws-facts.md 1.3)', async () => {
    expect((await assume({}, { expIn: -100 })).status).toBe(200);
  });

  it('matches an empty kid exactly when the JWK publishes kid "" (PIW #12)', async () => {
    serveIssuer([{ ...key.jwk, kid: '' }]);
    expect((await assume({}, { kid: '' })).status).toBe(200);
  });

  it('accepts ES256 tokens (docs/aws-facts.md 1.2) and an audience array with one registered client ID', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    serveIssuer([{ ...(await exportJWK(publicKey)), kid: 'ec-key', alg: 'ES256' }]);
    const r = await assume(
      {},
      { alg: 'ES256', kid: 'ec-key', signWith: privateKey, aud: ['other', 'sts.amazonaws.com'] },
    );
    expect(r.status).toBe(200);
    expect(at(r.xml, 'AssumeRoleWithWebIdentityResponse.AssumeRoleWithWebIdentityResult.Audience')).toBe(
      'sts.amazonaws.com',
    );
  });
});

describe('AssumeRoleWithWebIdentity token failures (docs/aws-facts.md 1.3)', () => {
  it('no IAM provider for iss', async () => {
    const other = 'https://oidc.example.com/id/ABC';
    await expectError(
      assume({}, { iss: other }),
      400,
      'InvalidIdentityToken',
      `No OpenIDConnect provider found in your account for ${other}`,
    );
    expect(ctx.state.trail).toHaveLength(0);
  });

  it('JWKS without the token kid', async () => {
    serveIssuer([otherKey.jwk]);
    await expectError(assume(), 400, 'InvalidIdentityToken', COULD_NOT_RETRIEVE);
    // docs/aws-facts.md 3.1 (KC-IIT): this failure never reaches CloudTrail.
    expect(ctx.state.trail).toHaveLength(0);
  });

  it('JWK without a kid member does not match a token with kid "" (absent is not empty)', async () => {
    const { kid: _kid, ...noKid } = key.jwk;
    serveIssuer([noKid]);
    await expectError(assume({}, { kid: '' }), 400, 'InvalidIdentityToken', COULD_NOT_RETRIEVE);
  });

  it('issuer certificate from a CA STS does not trust', async () => {
    const stranger = await createLabTls(mkdtempSync(join(tmpdir(), 'sts-stranger-')));
    ctx = { ...ctx, caPem: stranger.caPem };
    sts = createStsHandler(ctx, { fetchBudgetMs: 1000 });
    await expectError(assume(), 400, 'InvalidIdentityToken', COULD_NOT_RETRIEVE);
    expect(seenHeaders).toHaveLength(0); // refused at the handshake: no request reached the issuer
  });

  it('discovery document answers 403', async () => {
    routes.set('/demo-oidc/.well-known/openid-configuration', { status: 403, body: { Code: 'AccessDenied' } });
    await expectError(assume(), 400, 'InvalidIdentityToken', COULD_NOT_RETRIEVE);
    expect(ctx.state.trail).toHaveLength(0);
  });

  it('jwks_uri is http://', async () => {
    serveIssuer([key.jwk], `${issuer.replace('https://', 'http://')}/keys.json`);
    await expectError(assume(), 400, 'InvalidIdentityToken', COULD_NOT_RETRIEVE);
    expect(seenHeaders).toHaveLength(1); // the JWKS is never fetched
  });

  it('issuer slower than the fetch budget', async () => {
    sts = createStsHandler(ctx, { fetchBudgetMs: 300 });
    // Far slower than the budget, so that the bound below leaves seconds for a loaded machine.
    routes.set('/demo-oidc/keys.json', { body: { keys: [key.jwk] }, delayMs: 6000 });
    const started = Date.now();
    await expectError(assume(), 400, 'InvalidIdentityToken', COULD_NOT_RETRIEVE);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('signature made with another key under the published kid', async () => {
    await expectError(assume({}, { signWith: otherKey.privateKey }), 400, 'InvalidIdentityToken', /\S/);
    const r = await assume({}, { signWith: otherKey.privateKey });
    expect(errorOf(r).Message).not.toBe(COULD_NOT_RETRIEVE);
  });

  it('not a JWT', async () => {
    await expectError(
      call({
        Action: 'AssumeRoleWithWebIdentity',
        RoleArn: role.arn,
        RoleSessionName: 'ab',
        WebIdentityToken: 'not-a-jwt',
      }),
      400,
      'InvalidIdentityToken',
      /\S/,
    );
  });

  it('expired beyond the 5-minute skew', async () => {
    const exp = now() - 400;
    const r = await assume({}, { expIn: -400 });
    expect(r.status).toBe(400);
    const e = errorOf(r);
    expect(e.Code).toBe('ExpiredTokenException');
    const m = /^Token expired: current date\/time (\d+) must be before the expiration date\/time (\d+)$/.exec(
      e.Message ?? '',
    );
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - now())).toBeLessThanOrEqual(2);
    expect(Math.abs(Number(m![2]) - exp)).toBeLessThanOrEqual(1);
  });

  it('missing iat', async () => {
    await expectError(assume({}, { iat: false }), 400, 'InvalidIdentityToken', /iat/);
  });

  it('incorrect audience', async () => {
    await expectError(
      assume({}, { aud: 'some-other-client' }),
      400,
      'InvalidIdentityToken',
      'Incorrect token audience',
    );
    expect(ctx.state.trail).toHaveLength(0);
  });
});

describe('AssumeRoleWithWebIdentity role and trust policy', () => {
  it('trust subject mismatch: 403 AccessDenied and a CloudTrail AccessDenied record', async () => {
    await expectError(
      assume({}, { sub: 'system:serviceaccount:default:intruder' }),
      403,
      'AccessDenied',
      'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    );
    expect(ctx.state.sessions.size).toBe(0);
    expect(ctx.state.trail).toHaveLength(1);
    expect(ctx.state.trail[0]!.record).toMatchObject({
      eventName: 'AssumeRoleWithWebIdentity',
      eventSource: 'sts.amazonaws.com',
      errorCode: 'AccessDenied',
      errorMessage: 'An unknown error occurred',
      responseElements: null,
      readOnly: true,
      awsRegion: 'us-east-2',
      userIdentity: { type: 'WebIdentityUser', userName: 'system:serviceaccount:default:intruder' },
      resources: [{ type: 'AWS::IAM::Role', ARN: role.arn }],
    });
  });

  it('role that does not exist: 403 AccessDenied', async () => {
    await expectError(
      assume({ RoleArn: 'arn:aws:iam::111122223333:role/no-such-role' }),
      403,
      'AccessDenied',
      'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    );
  });
});

describe('AssumeRoleWithWebIdentity parameters (docs/aws-facts.md 1.2)', () => {
  it('DurationSeconds below 900 and above 43200', async () => {
    await expectError(
      assume({ DurationSeconds: '899' }),
      400,
      'ValidationError',
      "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    await expectError(
      assume({ DurationSeconds: '43201' }),
      400,
      'ValidationError',
      "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
    );
  });

  it('DurationSeconds above the role MaxSessionDuration (samples/sts-error-ValidationError-duration.xml)', async () => {
    await expectError(
      assume({ DurationSeconds: '7200' }),
      400,
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
    role.maxSessionDuration = 7200;
    expect((await assume({ DurationSeconds: '7200' })).status).toBe(200);
  });

  it('RoleSessionName pattern and length', async () => {
    await expectError(
      assume({ RoleSessionName: 'bad name' }),
      400,
      'ValidationError',
      "1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    await expectError(
      assume({ RoleSessionName: 'a' }),
      400,
      'ValidationError',
      "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
  });

  it('missing required parameter', async () => {
    await expectError(
      call({ Action: 'AssumeRoleWithWebIdentity', RoleSessionName: 'ab', WebIdentityToken: await token() }),
      400,
      'MissingParameter',
      'The request must contain the parameter RoleArn',
    );
  });
});

describe('other STS actions', () => {
  it('GetCallerIdentity for an IAM user', async () => {
    const alice = ctx.state.users.get('alice')!;
    const r = await call(
      { Action: 'GetCallerIdentity' },
      { kind: 'user', user: alice, accessKeyId: alice.accessKeyId },
    );
    expect(at(r.xml, 'GetCallerIdentityResponse.GetCallerIdentityResult')).toEqual({
      Arn: 'arn:aws:iam::111122223333:user/alice',
      UserId: alice.userId,
      Account: '111122223333',
    });
  });

  it('unknown action', async () => {
    await expectError(
      call({ Action: 'AssumeRoleWithSAML' }),
      400,
      'InvalidAction',
      'Could not find operation AssumeRoleWithSAML for version 2011-06-15',
    );
  });
});
