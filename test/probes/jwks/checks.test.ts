// Pure checks of the jwks probe: the kid test vector, key freshness, change detection, provider audiences, AWS errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { awsCallFinding, isAwsError } from '../../../probes/shared/aws-errors.ts';
import { describe, expect, it } from 'vitest';
import * as check from '../../../probes/jwks/checks.ts';
import { readSigningKids } from '../../../probes/jwks/sources.ts';
import { clusterDefaults } from '../../../src/config/defaults.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', name), 'utf8');
const vectorPem = fixture('testvector-serviceaccount-signer.public');
const vectorKid = fixture('testvector-kid.txt').trim();

const cluster = (over: Partial<ClusterConfig> = {}): ClusterConfig => ({
  name: 'c',
  issuer: 'https://c-oidc.s3.us-east-1.amazonaws.com',
  region: 'us-east-1',
  labels: {},
  ...clusterDefaults(),
  ...over,
});

describe('kids', () => {
  it('reproduces the kid test vector from the PEM (base64url SHA-256 of the DER SPKI)', () => {
    expect(check.kidOfPem(vectorPem)).toBe(vectorKid);
    expect(JSON.parse(fixture('testvector-03-keys.json'))).toMatchObject({ keys: [{ kid: vectorKid }] });
  });

  it('takes the signing kid from publicKeyPems when that is the first configured source', async () => {
    const c = cluster({ signingKeys: { ...clusterDefaults().signingKeys, publicKeyPems: [vectorPem] } });
    await expect(readSigningKids(c, undefined)).resolves.toEqual([vectorKid]);
  });

  it('says why there are no signing keys: no source, no kube, a PEM that is not a key', async () => {
    await expect(readSigningKids(cluster(), undefined)).rejects.toThrow(/no signing-key source/);
    const fromCluster = cluster({ signingKeys: { ...clusterDefaults().signingKeys, fromCluster: true } });
    await expect(readSigningKids(fromCluster, undefined)).rejects.toMatchObject({
      code: 'KEYS_UNREADABLE',
      message: expect.stringMatching(/needs kube access/) as unknown,
    });
    const bad = cluster({ signingKeys: { ...clusterDefaults().signingKeys, publicKeyPems: ['not a pem'] } });
    await expect(readSigningKids(bad, undefined)).rejects.toMatchObject({ code: 'KEYS_UNREADABLE' });
  });

  it('reads the kids of a published JWKS and says when there are none to judge', () => {
    const body = Buffer.from(JSON.stringify({ keys: [{ kid: 'a', kty: 'RSA' }, { kty: 'RSA' }] }));
    expect(check.publishedKeysOf(body)).toMatchObject({ kids: ['a'] });
    expect(check.publishedKeysOf(Buffer.from('{"keys": ['))).toMatchObject({
      problem: expect.stringMatching(/not JSON/),
    });
    expect(check.publishedKeysOf(Buffer.from('null'))).toEqual({ problem: 'the JWKS has no "keys" array' });
  });
});

describe('keyFindings', () => {
  it('finds nothing when the published kids are exactly the cluster keys', () => {
    expect(check.keyFindings({ signingKids: ['a', 'b'], nextKid: 'n' }, ['n', 'b', 'a'])).toEqual([]);
  });

  it('fails an unpublished signing kid, warns on an unpublished next kid and on a stale published kid', () => {
    const found = check.keyFindings({ signingKids: ['new', 'old'], nextKid: 'next' }, ['old', 'gone']);
    expect(found.map((f) => [f.code, f.severity, f.subject])).toEqual([
      ['SIGNING_KEY_NOT_PUBLISHED', 'fail', 'new'],
      ['NEXT_SIGNING_KEY_NOT_PUBLISHED', 'warn', 'next'],
      ['STALE_KEY_PUBLISHED', 'warn', 'gone'],
    ]);
    expect(found[0]?.evidence).toEqual({ kid: 'new', publishedKids: ['old', 'gone'] });
  });
});

describe('changeFinding', () => {
  const now = { publishedKids: ['a', 'c'], discoverySha256: 'd1', jwksSha256: 'j2' };

  it('says nothing on a first run or when nothing changed', () => {
    expect(check.changeFinding(undefined, now, 'u')).toBeUndefined();
    expect(check.changeFinding({ ...now }, now, 'u')).toBeUndefined();
  });

  it('lists the kids added and removed', () => {
    const f = check.changeFinding({ publishedKids: ['a', 'b'], discoverySha256: 'd1', jwksSha256: 'j1' }, now, 'u');
    expect(f).toMatchObject({
      code: 'JWKS_CHANGED',
      severity: 'info',
      subject: 'u',
      evidence: { added: ['c'], removed: ['b'], discoveryChanged: false },
    });
  });

  it('reports a changed discovery document with the same kids', () => {
    const f = check.changeFinding({ ...now, discoverySha256: 'd0' }, now, 'u');
    expect(f?.evidence).toEqual({ added: [], removed: [], discoveryChanged: true });
    expect(f?.message).toMatch(/discovery document changed/);
  });
});

describe('service accounts and the provider', () => {
  it('picks the verify service account: explicit, else the first role, else the first CredentialsRequest', () => {
    const roles = clusterDefaults().roles;
    const withRole = { ...roles, list: [{ arn: 'arn:aws:iam::1:role/r', serviceAccount: 'ns1/sa1' }] };
    expect(check.verifyServiceAccountOf(cluster())).toBeUndefined();
    expect(check.verifyServiceAccountOf(cluster({ roles: withRole }))).toEqual({ namespace: 'ns1', name: 'sa1' });
    const explicit = { ...clusterDefaults().signingKeys, verifyServiceAccount: 'ns0/sa0' };
    expect(check.verifyServiceAccountOf(cluster({ roles: withRole, signingKeys: explicit }))).toEqual({
      namespace: 'ns0',
      name: 'sa0',
    });
    const cr = { name: 'cr', secretNamespace: 'ns2', secretName: 's', serviceAccounts: ['sa2', 'sa3'] };
    expect(check.verifyServiceAccountOf(cluster({ roles: { ...roles, credentialsRequests: [cr] } }))).toEqual({
      namespace: 'ns2',
      name: 'sa2',
    });
    expect(check.parseServiceAccount('no-slash')).toBeUndefined();
  });

  it('names the provider after the issuer without https:// and reports each missing audience', () => {
    const arn = check.providerArnOf('111122223333', 'https://oidc.example.com/id/ABC');
    expect(arn).toBe('arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/ABC');
    const found = check.audienceFindings(arn, ['openshift', 'sts.amazonaws.com'], ['sts.amazonaws.com']);
    expect(found.map((f) => [f.code, f.subject])).toEqual([['OIDC_PROVIDER_AUDIENCE_MISSING', 'openshift']]);
  });

  it('maps AccessDenied to a missing permission naming the action and anything else to AWS_UNAVAILABLE', () => {
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied' });
    expect(awsCallFinding(denied, 'iam:GetOpenIDConnectProvider', 'arn')).toMatchObject({
      code: 'AWS_PERMISSION_MISSING',
      severity: 'unknown',
      evidence: { action: 'iam:GetOpenIDConnectProvider' },
    });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    expect(awsCallFinding(throttled, 'iam:GetOpenIDConnectProvider', 'arn').code).toBe('AWS_UNAVAILABLE');
    expect(isAwsError(Object.assign(new Error('x'), { name: 'NoSuchEntityException' }), 'NoSuchEntity')).toBe(true);
    expect(isAwsError(Object.assign(new Error('x'), { name: 'NoSuchEntity' }), 'NoSuchEntity')).toBe(true);
    const unauthorized = Object.assign(new Error('no'), { name: 'UnauthorizedOperation' });
    expect(awsCallFinding(unauthorized, 'iam:GetRole', 'arn').code).toBe('AWS_PERMISSION_MISSING');
  });
});
