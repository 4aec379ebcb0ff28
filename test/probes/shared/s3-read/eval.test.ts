// The bucket probe's anonymous-read evaluator against outcomes written from AWS's documentation (IAM User Guide
// policy elements and evaluation logic; S3 User Guide Blocking public access; docs/aws-facts.md 4.1, 4.2, 4.2b, 5).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PolicyParseError,
  aclPublicity,
  blockedByBlockPublicPolicy,
  evaluateRead,
  policyPublicity,
} from '../../../../probes/shared/s3-read/eval.ts';
import type { BucketAccessFacts, Reader } from '../../../../probes/shared/s3-read/eval.ts';
import { CASES, CORP, DISCOVERY, INTERNET, JWKS, VPCE, expandReads, readerName } from './cases.ts';

const BUCKET = 'mycluster-oidc';
const ACCOUNT = '123456789012';
const W = { bucket: BUCKET, account: ACCOUNT };
const OBJECTS = `arn:aws:s3:::${BUCKET}/*`;
const ALL_ON = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
const FIXTURE = JSON.parse(
  readFileSync(new URL('../../../fixtures/ccoctl-bucket-policy-public-read.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const facts = (policy: unknown, extra: Partial<BucketAccessFacts> = {}): BucketAccessFacts => ({
  bucket: BUCKET,
  ownerAccountId: ACCOUNT,
  policy,
  ...extra,
});
const v2012 = (...Statement: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement });
const publicRead = (extra: Record<string, unknown> = {}) => ({
  Sid: 'AllowReadPublicAccess',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: OBJECTS,
  ...extra,
});

describe('shared cases: outcomes from the documentation', () => {
  const rows = CASES.flatMap((c) =>
    expandReads(c).map((r) => ({ ...r, c, title: `${c.name} | ${readerName(r.reader)} | ${r.key}` })),
  );
  it.each(rows)('$title', ({ c, reader, key, expect: want }) => {
    const v = evaluateRead(
      facts(c.policy?.(W), {
        ...(c.bucketBlock && { bucketBlock: c.bucketBlock }),
        ...(c.accountBlock && { accountBlock: c.accountBlock }),
      }),
      key,
      reader,
    );
    expect({ reason: v.reason, allowed: v.allowed, sid: v.statement?.sid, level: v.blockedBy?.level }).toEqual({
      reason: want.reason,
      allowed: want.reason === 'allowed-by-policy',
      sid: want.sid,
      level: want.level,
    });
    expect(v.message).toMatch(/^[A-Z].*\.$/);
  });

  it.each(CASES.filter((c) => c.policy))('$name: isPublic', (c) => {
    expect(policyPublicity(c.policy!(W)).isPublic).toBe(c.isPublic);
  });

  it("the fixture is ccoctl's policy: public, and allowed for STS", () => {
    const v = evaluateRead(facts(FIXTURE), JWKS, INTERNET);
    expect(v).toMatchObject({ allowed: true, reason: 'allowed-by-policy', statement: { index: 0, effect: 'Allow' } });
    expect(v.message).toBe(
      `Statement "AllowReadPublicAccess" allows s3:GetObject on arn:aws:s3:::${BUCKET}/keys.json to everyone.`,
    );
  });
});

describe('messages name the statement or the setting', () => {
  const denyOutsideVpce = v2012(publicRead(), {
    Sid: 'DenyOutsideVpce',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: OBJECTS,
    Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } },
  });

  it('a Deny unless aws:SourceVpce names the endpoint, the operator and what the caller lacks', () => {
    const v = evaluateRead(facts(denyOutsideVpce), JWKS, INTERNET);
    expect(v.message).toBe(
      'Statement "DenyOutsideVpce" denies s3:GetObject to callers outside vpce-1a2b3c4d (StringNotEquals aws:SourceVpce), ' +
        'and an anonymous caller from 198.51.100.7 has no aws:SourceVpce.',
    );
    expect(v.statement).toEqual({
      index: 1,
      sid: 'DenyOutsideVpce',
      effect: 'Deny',
      condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } },
    });
  });

  it('a statement without Sid is named by its index', () => {
    const v = evaluateRead(
      facts(v2012(publicRead(), { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: OBJECTS })),
      JWKS,
      INTERNET,
    );
    expect(v.message).toBe(
      `Statement[1] denies s3:GetObject on arn:aws:s3:::${BUCKET}/keys.json to everyone, an anonymous caller from 198.51.100.7 included.`,
    );
  });

  it('a block names the setting, the level and the public statement', () => {
    const v = evaluateRead(facts(FIXTURE, { accountBlock: { RestrictPublicBuckets: true } }), DISCOVERY, INTERNET);
    expect(v.blockedBy).toEqual({ level: 'account', levels: ['account'], setting: 'RestrictPublicBuckets' });
    expect(v.message).toBe(
      'Statement "AllowReadPublicAccess" grants s3:GetObject to an anonymous caller from 198.51.100.7, but ' +
        'RestrictPublicBuckets at the account level voids it: the bucket policy is public (Statement "AllowReadPublicAccess"), ' +
        "so only AWS service principals and the bucket owner's account may use it.",
    );
  });

  it('no grant names the Allow that came closest and the condition it misses', () => {
    const policy = v2012(
      publicRead({ Sid: 'AllowVpce', Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } } }),
    );
    const v = evaluateRead(facts(policy), JWKS, INTERNET);
    expect(v.unmet).toEqual({
      statement: expect.objectContaining({ sid: 'AllowVpce' }),
      element: 'condition',
      clause: 'StringEquals aws:SourceVpce vpce-1a2b3c4d',
    });
    expect(v.message).toBe(
      `No statement grants s3:GetObject on arn:aws:s3:::${BUCKET}/keys.json to an anonymous caller from 198.51.100.7, so S3 ` +
        'denies by default: Statement "AllowVpce" requires StringEquals aws:SourceVpce vpce-1a2b3c4d, and an anonymous ' +
        'caller from 198.51.100.7 has no aws:SourceVpce.',
    );
  });

  it('no policy at all says so', () => {
    expect(evaluateRead(facts(undefined), JWKS, INTERNET).message).toContain('(the bucket has no policy)');
  });
});

describe('CloudFront readers (ccoctl --create-private-s3-bucket, docs/aws-facts.md 5)', () => {
  const OAI = 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL';
  const oaiPolicy = {
    Version: '2008-10-17',
    Id: 'PolicyForCloudFrontPrivateContent',
    Statement: [{ Effect: 'Allow', Principal: { AWS: OAI }, Action: 's3:GetObject', Resource: OBJECTS }],
  };
  const DIST = `arn:aws:cloudfront::${ACCOUNT}:distribution/EDFDVBD6EXAMPLE`;
  const oacPolicy = v2012({
    Sid: 'AllowCloudFrontServicePrincipal',
    Effect: 'Allow',
    Principal: { Service: 'cloudfront.amazonaws.com' },
    Action: 's3:GetObject',
    Resource: OBJECTS,
    Condition: { StringEquals: { 'AWS:SourceArn': DIST } },
  });
  const oai = (oaiArn: string): Reader => ({ kind: 'cloudfront-oai', oaiArn });
  const oac = (distributionArn: string): Reader => ({ kind: 'cloudfront-oac', distributionArn });

  it('private OAI policy with all four settings on: anonymous gets no grant, the OAI reads', () => {
    const f = facts(oaiPolicy, { bucketBlock: ALL_ON, accountBlock: ALL_ON });
    expect(evaluateRead(f, JWKS, INTERNET)).toMatchObject({
      allowed: false,
      reason: 'no-grant',
      unmet: { element: 'principal' },
    });
    expect(evaluateRead(f, JWKS, oai(OAI))).toMatchObject({ allowed: true, reason: 'allowed-by-policy' });
    expect(evaluateRead(f, JWKS, oai(OAI.replace('E2QWRUHAPOMQZL', 'E1111111111111')))).toMatchObject({
      reason: 'no-grant',
    });
    expect(policyPublicity(oaiPolicy)).toEqual({ isPublic: false, publicStatements: [] });
    expect(blockedByBlockPublicPolicy(f, oaiPolicy)).toBeUndefined();
  });

  it('an OAI grant is cross-account: voided by RestrictPublicBuckets once the policy is public', () => {
    const mixed = { ...oaiPolicy, Statement: [...oaiPolicy.Statement, publicRead()] };
    const v = evaluateRead(facts(mixed, { bucketBlock: { RestrictPublicBuckets: true } }), JWKS, oai(OAI));
    expect(v).toMatchObject({
      reason: 'public-access-blocked',
      statement: { index: 0 },
      blockedBy: { level: 'bucket' },
    });
  });

  it('OAC: the service principal with its distribution reads; another distribution does not', () => {
    expect(evaluateRead(facts(oacPolicy), JWKS, oac(DIST))).toMatchObject({ allowed: true, statement: { index: 0 } });
    expect(evaluateRead(facts(oacPolicy), JWKS, oac(DIST.replace('EDFDVBD6EXAMPLE', 'EOTHER')))).toMatchObject({
      reason: 'no-grant',
      unmet: { element: 'condition', clause: `StringEquals AWS:SourceArn ${DIST}` },
    });
    expect(evaluateRead(facts(oacPolicy), JWKS, INTERNET)).toMatchObject({ reason: 'no-grant' });
    expect(policyPublicity(oacPolicy).isPublic).toBe(false);
  });

  it('OAC is a service principal: RestrictPublicBuckets keeps it even under a public policy', () => {
    const v = evaluateRead(facts(FIXTURE, { bucketBlock: ALL_ON, accountBlock: ALL_ON }), JWKS, oac(DIST));
    expect(v).toMatchObject({ allowed: true, reason: 'allowed-by-policy' });
  });

  it('ArnLike matches segment by segment where StringLike spans colons (IAM UG ARN operators example)', () => {
    const value = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';
    const withOp = (op: string) =>
      v2012({
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: OBJECTS,
        Condition: { [op]: { 'aws:SourceArn': 'arn:aws:someservice:*:111122223333:finance/*' } },
      });
    expect(evaluateRead(facts(withOp('StringLike')), JWKS, oac(value)).allowed).toBe(true);
    expect(evaluateRead(facts(withOp('ArnLike')), JWKS, oac(value)).allowed).toBe(false);
  });
});

describe('the request context', () => {
  const UNKNOWN: Reader = { kind: 'anonymous' };
  const ipPolicy = (op: string, cidrs: string[], effect = 'Allow') =>
    v2012(
      ...(effect === 'Deny' ? [publicRead()] : []),
      publicRead({ Sid: 'Ip', Effect: effect, Condition: { [op]: { 'aws:SourceIp': cidrs } } }),
    );

  it('an unknown public address: IpAddress matches only 0.0.0.0/0, NotIpAddress unless 0.0.0.0/0 is listed', () => {
    expect(evaluateRead(facts(ipPolicy('IpAddress', ['203.0.113.0/24'])), JWKS, UNKNOWN).reason).toBe('no-grant');
    expect(evaluateRead(facts(ipPolicy('IpAddress', ['0.0.0.0/0'])), JWKS, UNKNOWN).reason).toBe('allowed-by-policy');
    // An IPv4 address: S3's standard endpoints take no IPv6 (pinned.test.ts).
    expect(evaluateRead(facts(ipPolicy('IpAddress', ['::/0'])), JWKS, UNKNOWN).reason).toBe('no-grant');
    expect(evaluateRead(facts(ipPolicy('NotIpAddress', ['203.0.113.0/24'], 'Deny')), JWKS, UNKNOWN).reason).toBe(
      'explicit-deny',
    );
    expect(
      evaluateRead(facts(ipPolicy('NotIpAddress', ['203.0.113.0/24', '0.0.0.0/0'], 'Deny')), JWKS, UNKNOWN).reason,
    ).toBe('allowed-by-policy');
  });

  it('a bare address is a /32 and IPv6 ranges work', () => {
    expect(evaluateRead(facts(ipPolicy('IpAddress', ['203.0.113.9'])), JWKS, CORP).allowed).toBe(true);
    expect(evaluateRead(facts(ipPolicy('IpAddress', ['203.0.113.10'])), JWKS, CORP).allowed).toBe(false);
    const v6: Reader = { kind: 'anonymous', sourceIp: '2001:db8:1234:5678::1' };
    expect(evaluateRead(facts(ipPolicy('IpAddress', ['2001:DB8:1234:5678::/64'])), JWKS, v6).allowed).toBe(true);
    expect(evaluateRead(facts(ipPolicy('IpAddress', ['2001:DB8:1234:5679::/64'])), JWKS, v6).allowed).toBe(false);
  });

  it('plain HTTP: aws:SecureTransport false meets the TLS-only Deny', () => {
    const policy = v2012(publicRead(), {
      Sid: 'DenyPlainHttp',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: OBJECTS,
      Condition: { Bool: { 'aws:SecureTransport': false } },
    });
    const v = evaluateRead(facts(policy), JWKS, { ...INTERNET, secureTransport: false });
    expect(v).toMatchObject({ reason: 'explicit-deny', statement: { sid: 'DenyPlainHttp' } });
    expect(v.message).toContain('denies s3:GetObject to requests not sent over TLS');
    expect(evaluateRead(facts(policy), JWKS, INTERNET).allowed).toBe(true);
  });

  it('condition key names are case-insensitive, values are not (StringEquals)', () => {
    const p = (value: string) => v2012(publicRead({ Condition: { StringEquals: { 'AWS:SOURCEVPCE': value } } }));
    expect(evaluateRead(facts(p('vpce-1a2b3c4d')), JWKS, VPCE).allowed).toBe(true);
    expect(evaluateRead(facts(p('VPCE-1A2B3C4D')), JWKS, VPCE).allowed).toBe(false);
  });

  it('aws:PrincipalType is Anonymous for anonymous callers', () => {
    const p = v2012(publicRead({ Condition: { StringEquals: { 'aws:PrincipalType': 'Anonymous' } } }));
    expect(evaluateRead(facts(p), JWKS, INTERNET).allowed).toBe(true);
    expect(
      evaluateRead(facts(p), JWKS, { kind: 'cloudfront-oai', oaiArn: 'arn:aws:iam::cloudfront:user/X' }).allowed,
    ).toBe(false);
  });

  it('date operators compare aws:CurrentTime with the given clock', () => {
    const p = v2012(publicRead({ Condition: { DateLessThan: { 'aws:CurrentTime': '2026-12-01T00:00:00Z' } } }));
    const at = (iso: string) => evaluateRead(facts(p), JWKS, INTERNET, { now: new Date(iso) }).allowed;
    expect(at('2026-11-30T23:59:59Z')).toBe(true);
    expect(at('2026-12-01T00:00:00Z')).toBe(false);
  });
});

describe('policy variables (Version 2012-10-17 only)', () => {
  const withResource = (resource: string, Version?: string) => ({
    ...(Version !== undefined && { Version }),
    Statement: [publicRead({ Resource: `arn:aws:s3:::${BUCKET}/${resource}` })],
  });

  it('are substituted under 2012-10-17 and literal under 2008-10-17 or without Version', () => {
    const read = (p: unknown) => evaluateRead(facts(p), 'Anonymous/doc', INTERNET).allowed;
    expect(read(withResource('${aws:PrincipalType}/*', '2012-10-17'))).toBe(true);
    expect(read(withResource('${aws:PrincipalType}/*', '2008-10-17'))).toBe(false);
    expect(read(withResource('${aws:PrincipalType}/*'))).toBe(false);
  });

  it('an absent key matches nothing unless a default is given', () => {
    expect(evaluateRead(facts(withResource('${aws:username}/*', '2012-10-17')), 'nobody/doc', INTERNET).allowed).toBe(
      false,
    );
    expect(
      evaluateRead(facts(withResource("${aws:username, 'nobody'}/*", '2012-10-17')), 'nobody/doc', INTERNET).allowed,
    ).toBe(true);
  });

  it('${*} is a literal asterisk, not a wildcard', () => {
    const p = withResource('${*}', '2012-10-17');
    expect(evaluateRead(facts(p), '*', INTERNET).allowed).toBe(true);
    expect(evaluateRead(facts(p), JWKS, INTERNET).allowed).toBe(false);
  });
});

describe('bucket ACLs', () => {
  it('AllUsers READ on the bucket lists it but grants no s3:GetObject (S3 API PutBucketAcl GrantRead)', () => {
    const f = facts(undefined, {
      aclGrants: [
        { grantee: 'Owner', permission: 'FULL_CONTROL' },
        { grantee: 'AllUsers', permission: 'READ' },
      ],
    });
    const v = evaluateRead(f, JWKS, INTERNET);
    expect(v).toMatchObject({ allowed: false, reason: 'no-grant' });
    expect(v.message).toContain("the bucket ACL's AllUsers grant lets them list the bucket, not read its objects");
  });

  it('AllUsers and AuthenticatedUsers grants are public; IgnorePublicAcls levels are named', () => {
    expect(
      aclPublicity({
        aclGrants: [{ grantee: 'AuthenticatedUsers', permission: 'READ' }],
        bucketBlock: { IgnorePublicAcls: true },
        accountBlock: { IgnorePublicAcls: true },
      }),
    ).toEqual({
      isPublic: true,
      publicGrants: [{ grantee: 'AuthenticatedUsers', permission: 'READ' }],
      ignoredAt: ['bucket', 'account'],
    });
    expect(aclPublicity({ aclGrants: [{ grantee: 'Owner', permission: 'FULL_CONTROL' }] }).isPublic).toBe(false);
  });
});

describe('policyPublicity: "The meaning of public" (S3 UG; docs/aws-facts.md 4.1)', () => {
  const statement = (extra: Record<string, unknown>) => ({
    Effect: 'Allow',
    Resource: '*',
    Action: 's3:PutObject',
    ...extra,
  });
  const one = (extra: Record<string, unknown>, Version = '2012-10-17') => ({ Version, Statement: [statement(extra)] });
  const cond = (c: Record<string, unknown>) => one({ Principal: '*', Condition: c });
  const ROWS: [string, unknown, boolean][] = [
    ['Principal "*" (documented example)', one({ Principal: '*' }), true],
    ['Principal {"AWS": "*"}', one({ Principal: { AWS: '*' } }), true],
    [
      'Federated graph.facebook.com (documented example)',
      one({ Principal: { Federated: 'graph.facebook.com' } }),
      true,
    ],
    ['StringLike aws:SourceVpc vpc-* (documented example)', cond({ StringLike: { 'aws:SourceVpc': 'vpc-*' } }), true],
    [
      'StringEquals aws:SourceVpc vpc-91237329 (documented example)',
      cond({ StringEquals: { 'aws:SourceVpc': 'vpc-91237329' } }),
      false,
    ],
    ['StringEquals aws:SourceVpce fixed', cond({ StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }), false],
    ['aws:SourceIp 10.0.0.0/8', cond({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), false],
    ['aws:SourceIp 203.0.113.0/24', cond({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }), false],
    ['aws:SourceIp 0.0.0.0/0', cond({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }), true],
    ['aws:SourceIp 0.0.0.0/1 (documented example)', cond({ IpAddress: { 'aws:SourceIp': '0.0.0.0/1' } }), true],
    ['aws:SourceIp a /8 and a /7', cond({ IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '12.0.0.0/7'] } }), true],
    ['aws:SourceIp IPv6 /32', cond({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }), false],
    ['aws:SourceIp IPv6 /31', cond({ IpAddress: { 'aws:SourceIp': '2001:db8::/31' } }), true],
    ['NotIpAddress admits everyone else', cond({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), true],
    [
      'StringNotEquals aws:SourceVpce admits everyone else',
      cond({ StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } }),
      true,
    ],
    [
      'StringEqualsIfExists admits callers without the key',
      cond({ StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1' } }),
      true,
    ],
    ['aws:SecureTransport is not a listed key', cond({ Bool: { 'aws:SecureTransport': 'true' } }), true],
    [
      'ArnEquals aws:SourceArn fixed',
      cond({ ArnEquals: { 'aws:SourceArn': 'arn:aws:cloudfront::1:distribution/E1' } }),
      false,
    ],
    ['StringEquals aws:SourceAccount fixed', cond({ StringEquals: { 'aws:SourceAccount': '111122223333' } }), false],
    ['StringEquals aws:PrincipalOrgID fixed', cond({ StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }), false],
    ['a policy variable is not a fixed value', cond({ StringEquals: { 'aws:SourceVpc': '${aws:SourceVpc}' } }), true],
    [
      '${...} under 2008-10-17 is literal text, so fixed',
      {
        Version: '2008-10-17',
        Statement: [statement({ Principal: '*', Condition: { StringEquals: { 'aws:SourceVpc': '${x}' } } })],
      },
      false,
    ],
    [
      's3:DataAccessPointArn with a wildcard access point name and a fixed account',
      cond({ ArnLike: { 's3:DataAccessPointArn': 'arn:aws:s3:us-west-2:123456789012:accesspoint/*' } }),
      false,
    ],
    [
      's3:DataAccessPointArn with a wildcard account',
      cond({ ArnLike: { 's3:DataAccessPointArn': 'arn:aws:s3:us-west-2:*:accesspoint/*' } }),
      true,
    ],
    ['a fixed AWS account principal', one({ Principal: { AWS: '111122223333' } }), false],
    ['a service principal', one({ Principal: { Service: 'cloudtrail.amazonaws.com' } }), false],
    ['NotPrincipal with Allow', one({ NotPrincipal: { AWS: '111122223333' } }), true],
    ['a Deny grants nothing', one({ Effect: 'Deny', Principal: '*' }), false],
  ];
  it.each(ROWS)('%s', (_name, policy, isPublic) => {
    expect(policyPublicity(policy).isPublic).toBe(isPublic);
  });

  it('one public statement makes the policy public and is the one listed (S3 UG mixed-grants example)', () => {
    const policy = v2012(
      statement({ Sid: 'CloudTrail', Principal: { Service: 'cloudtrail.amazonaws.com' } }),
      statement({ Sid: 'Account2', Principal: { AWS: '111122223333' } }),
      statement({ Principal: '*' }),
    );
    expect(policyPublicity(policy)).toEqual({
      isPublic: true,
      publicStatements: [{ index: 2, reason: expect.stringContaining('Principal "*" without a condition') }],
    });
  });

  it('no policy is not public', () => {
    expect(policyPublicity(undefined)).toEqual({ isPublic: false, publicStatements: [] });
  });
});

describe('blockedByBlockPublicPolicy', () => {
  const nonPublic = v2012(publicRead({ Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } } }));
  it('refuses a public policy at the level that has the setting on', () => {
    expect(blockedByBlockPublicPolicy({ bucketBlock: { BlockPublicPolicy: true } }, FIXTURE)).toMatchObject({
      level: 'bucket',
      levels: ['bucket'],
    });
    expect(blockedByBlockPublicPolicy({ accountBlock: ALL_ON, bucketBlock: {} }, FIXTURE)).toMatchObject({
      level: 'account',
    });
    expect(blockedByBlockPublicPolicy({ accountBlock: ALL_ON, bucketBlock: ALL_ON }, FIXTURE)).toMatchObject({
      level: 'bucket',
      levels: ['bucket', 'account'],
      publicStatements: [expect.objectContaining({ sid: 'AllowReadPublicAccess' })],
    });
  });
  it('accepts a non-public policy, and anything without the setting', () => {
    expect(blockedByBlockPublicPolicy({ bucketBlock: ALL_ON }, nonPublic)).toBeUndefined();
    expect(blockedByBlockPublicPolicy({ bucketBlock: { RestrictPublicBuckets: true } }, FIXTURE)).toBeUndefined();
  });
  it('throws PolicyParseError for a malformed policy', () => {
    expect(() => blockedByBlockPublicPolicy({ bucketBlock: ALL_ON }, { Statement: 'x' })).toThrow(PolicyParseError);
  });
});

describe('hostile and malformed policies: PolicyParseError / policy-invalid, never a crash', () => {
  const stmt = (extra: Record<string, unknown>) => ({ Statement: [publicRead(extra)] });
  const ROWS: [string, unknown, string][] = [
    ['null', null, '(policy): must be a JSON object'],
    ['a number', 42, '(policy): must be a JSON object'],
    ['an array', [], '(policy): must be a JSON object'],
    ['text that is not JSON', '{"Statement": [', '(policy): not JSON'],
    ['Statement a string', { Statement: 'Allow' }, 'Statement: must be a statement object'],
    ['Statement missing', { Version: '2012-10-17' }, 'Statement: must be a statement object'],
    ['a statement that is a number', { Statement: [1] }, 'Statement[0]: must be an object'],
    ['Version unknown', { Version: '2020-01-01', Statement: [] }, 'Version: must be'],
    ['an unknown policy element', { Statement: [], Extra: 1 }, 'Extra: unknown policy element'],
    ['an unknown statement element', stmt({ Principals: '*' }), 'Statement[0].Principals: unknown statement element'],
    ['Effect in lower case', stmt({ Effect: 'allow' }), 'Statement[0].Effect: must be "Allow" or "Deny"'],
    [
      'Principal and NotPrincipal',
      stmt({ NotPrincipal: '*' }),
      'Statement[0]: needs exactly one of Principal or NotPrincipal',
    ],
    [
      'no Action',
      { Statement: [{ Effect: 'Allow', Principal: '*', Resource: '*' }] },
      'needs exactly one of Action or NotAction',
    ],
    [
      'a partial principal wildcard',
      stmt({ Principal: { AWS: 'arn:aws:iam::*:root' } }),
      'Statement[0].Principal.AWS: wildcard',
    ],
    [
      'an unknown principal type',
      stmt({ Principal: { Group: 'x' } }),
      'Statement[0].Principal.Group: unknown principal type',
    ],
    ['Principal a number', stmt({ Principal: 7 }), 'Statement[0].Principal: must be "*" or an object'],
    ['Action a number', stmt({ Action: 42 }), 'Statement[0].Action: must be a string or a non-empty list'],
    ['Action an empty list', stmt({ Action: [] }), 'Statement[0].Action: must be a string or a non-empty list'],
    [
      'Action without a service',
      stmt({ Action: 'GetObject' }),
      'Statement[0].Action: "GetObject" is not service:action',
    ],
    [
      'Resource not an ARN',
      stmt({ Resource: 'mycluster-oidc/*' }),
      'Statement[0].Resource: "mycluster-oidc/*" is not an ARN',
    ],
    ['Condition a string', stmt({ Condition: 'x' }), 'Statement[0].Condition: Condition must be an object'],
    [
      'an unknown operator',
      stmt({ Condition: { StringEqualz: { a: 'b' } } }),
      'Statement[0].Condition.StringEqualz: unknown condition operator',
    ],
    ['NullIfExists', stmt({ Condition: { NullIfExists: { a: 'true' } } }), 'unknown condition operator NullIfExists'],
    [
      'an operator named constructor',
      stmt({ Condition: { constructor: { a: 'b' } } }),
      'unknown condition operator constructor',
    ],
    [
      'an empty operator block',
      stmt({ Condition: { StringEquals: {} } }),
      'Statement[0].Condition.StringEquals: must be an object',
    ],
    [
      'a value that is an object',
      stmt({ Condition: { StringEquals: { 'aws:SourceVpce': { x: 1 } } } }),
      'Statement[0].Condition.StringEquals["aws:SourceVpce"]: value must be a string or a non-empty list of strings',
    ],
    ['a nested list', stmt({ Condition: { StringEquals: { k: [['a']] } } }), 'value must be a string'],
    [
      'a CIDR with /33',
      stmt({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } }),
      '"10.0.0.0/33" is not a valid ip value',
    ],
    [
      'an address out of range',
      stmt({ Condition: { IpAddress: { 'aws:SourceIp': '300.1.1.1' } } }),
      '"300.1.1.1" is not a valid ip',
    ],
    [
      'a CIDR with two slashes',
      stmt({ Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8/8' } } }),
      'is not a valid ip',
    ],
    ['Null maybe', stmt({ Condition: { Null: { 'aws:SourceVpce': 'maybe' } } }), '"maybe" is not a valid null value'],
    [
      'NumericEquals abc',
      stmt({ Condition: { NumericEquals: { 's3:max-keys': 'abc' } } }),
      '"abc" is not a valid numeric',
    ],
    [
      'DateLessThan garbage',
      stmt({ Condition: { DateLessThan: { 'aws:CurrentTime': 'soon' } } }),
      '"soon" is not a valid date',
    ],
  ];

  it.each(ROWS)('%s', (_name, policy, problem) => {
    let thrown: unknown;
    try {
      policyPublicity(policy);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PolicyParseError);
    expect((thrown as PolicyParseError).code).toBe('BUCKET_POLICY_INVALID');
    expect((thrown as PolicyParseError).message).toContain(problem);
    const v = evaluateRead(facts(policy), JWKS, INTERNET);
    expect(v).toMatchObject({ allowed: false, reason: 'policy-invalid' });
    expect(v.message).toContain(problem);
  });

  it('a Resource of thousands of wildcards against a long key answers at once (no regular-expression blow-up)', () => {
    const resource = `arn:aws:s3:::${BUCKET}/${'*a'.repeat(2000)}b`;
    const started = performance.now();
    const v = evaluateRead(facts(v2012(publicRead({ Resource: resource }))), 'a'.repeat(5000), INTERNET);
    expect(v.reason).toBe('no-grant');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a JSON text policy is read the same as the parsed one', () => {
    expect(evaluateRead(facts(JSON.stringify(FIXTURE)), JWKS, INTERNET).allowed).toBe(true);
  });

  it('an empty Statement list grants nothing', () => {
    expect(evaluateRead(facts({ Version: '2012-10-17', Statement: [] }), JWKS, INTERNET).reason).toBe('no-grant');
  });

  it('Resource "*" and arn:aws:s3:::* match every object (S3 refuses the first at PUT, but it reads as "all")', () => {
    expect(evaluateRead(facts(v2012(publicRead({ Resource: '*' }))), JWKS, INTERNET).allowed).toBe(true);
    expect(evaluateRead(facts(v2012(publicRead({ Resource: 'arn:aws:s3:::*' }))), JWKS, INTERNET).allowed).toBe(true);
    expect(evaluateRead(facts(v2012(publicRead({ Resource: 'arn:aws:s3:::other/*' }))), JWKS, INTERNET).allowed).toBe(
      false,
    );
  });

  it('a single statement object (not a list) is read', () => {
    expect(evaluateRead(facts({ Version: '2012-10-17', Statement: publicRead() }), JWKS, INTERNET).allowed).toBe(true);
  });
});
