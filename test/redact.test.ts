// The redaction every output goes through: each kind of secret is replaced in plain text, in JSON text and in JSON
// inside JSON, words that only name credentials are left alone, and a redacted JSON text is still the same JSON.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactText, redactValue, redactWithReport, registerSecrets } from '../src/redact.ts';
import type { SecretKind } from '../src/redact.ts';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL29pZGMuZXhhbXBsZS5jb20iLCJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;
const RSA_PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
  type: 'pkcs1',
  format: 'pem',
}) as string;
const PEM_BODY = PEM.split('\n')[1]!;
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION = 'IQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJHMEUCIQDexample';
const KUBE = 'sha256~Hd8xZb5sOp1Cw2mUu3Q4r5T6y7U8i9O0pAsDfGhJkLz';

/** [what, text, the secret part that must go, its kind] */
const CASES: [string, string, string, SecretKind][] = [
  ['a JWT', `token ${JWT} rejected`, JWT, 'jwt'],
  [
    'a JWT header alone (a cut-off snippet)',
    'snippet: eyJhbGciOiJSUzI1NiIsImtpZCI6Im',
    'eyJhbGciOiJSUzI1NiIsImtpZCI6Im',
    'jwt',
  ],
  ['a JWT payload and signature', `…QifQ.${JWT.split('.').slice(1).join('.')}`, JWT.split('.')[2]!, 'jwt'],
  ['an OpenShift token', `token: ${KUBE}\n`, KUBE, 'kube-token'],
  ['an OpenShift token cut short', 'user:\n    token: sha256~Hd8xZb5s', 'sha256~Hd8xZb5s', 'kube-token'],
  ['a PKCS#8 PEM private key', `key:\n${PEM}`, PEM_BODY, 'private-key'],
  ['a PKCS#1 PEM private key', RSA_PEM, RSA_PEM.split('\n')[2]!, 'private-key'],
  ['a PEM private key cut off', PEM.slice(0, 80), PEM.slice(40, 80), 'private-key'],
  [
    'a base64 PEM (kubeconfig client-key-data)',
    `x: ${Buffer.from(PEM).toString('base64')}`,
    Buffer.from(PEM).toString('base64'),
    'private-key',
  ],
  [
    '<SecretAccessKey> of an STS reply',
    `<SecretAccessKey>${SECRET_KEY}</SecretAccessKey>`,
    SECRET_KEY,
    'aws-secret-key',
  ],
  ['a cut-off STS reply', `<SessionToken>${SESSION}`, SESSION, 'aws-session-token'],
  [
    'aws_secret_access_key = in a credentials file',
    `[p]\naws_secret_access_key = ${SECRET_KEY}\n`,
    SECRET_KEY,
    'aws-secret-key',
  ],
  ['AWS_SESSION_TOKEN= in an environment dump', `AWS_SESSION_TOKEN=${SESSION} x`, SESSION, 'aws-session-token'],
  ['"SecretAccessKey": in JSON text', `{"SecretAccessKey": "${SECRET_KEY}"}`, SECRET_KEY, 'aws-secret-key'],
  ['"sessionToken": in JSON text', `{"sessionToken":"${SESSION}"}`, SESSION, 'aws-session-token'],
  ['an Authorization header', `Authorization: Bearer ${SESSION}`, SESSION, 'bearer'],
];

describe('redactText', () => {
  it.each(CASES)('replaces %s by its marker', (_what, text, secret, kind) => {
    const { text: out, kinds } = redactWithReport(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(`[REDACTED:${kind}]`);
    expect(kinds[kind]).toBeGreaterThan(0);
  });

  it.each(CASES)('replaces %s inside JSON and JSON inside JSON, which stay valid', (_what, text, secret, kind) => {
    const once = JSON.stringify({ message: text, after: 'kept' });
    const twice = JSON.stringify({ body: once, status: 'fail' });
    for (const json of [once, twice]) {
      const out = redactText(json);
      expect(out).not.toContain(secret);
      expect(out).toContain(`[REDACTED:${kind}]`);
      expect(() => JSON.parse(out) as unknown).not.toThrow();
    }
    expect((JSON.parse(redactText(twice)) as { status: string }).status).toBe('fail');
  });

  it('leaves text without secrets as it is: names of fields, kids, ARNs, certificates, thumbprints', () => {
    const cert = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBkTCB\n-----END CERTIFICATE-----\n').toString('base64');
    for (const text of [
      'credentials received (AccessKeyId, SecretAccessKey, SessionToken) were discarded',
      'kid eyJabc, role arn:aws:iam::123456789012:role/ebs-csi',
      `certificate-authority-data: ${cert}`,
      'thumbprint 9e99a48a9960b14926bb7f3b02e22da2b0ab7280',
      'the call needs Authorization: Bearer <token>',
      '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
    ])
      expect(redactWithReport(text)).toEqual({ text, kinds: {} });
  });

  it('never lets one match run across JSON strings: a BEGIN here and an END there hide nothing between', () => {
    const json = JSON.stringify({
      a: '-----BEGIN PRIVATE KEY-----',
      findings: [{ code: 'DISCOVERY_ISSUER_MISMATCH' }],
      b: 'x-----END PRIVATE KEY-----',
    });
    const out = JSON.parse(redactText(json)) as { a: string; findings: unknown[]; b: string };
    expect(out.findings).toEqual([{ code: 'DISCOVERY_ISSUER_MISMATCH' }]);
    expect(out.a).toBe('[REDACTED:private-key]');
  });

  it('keeps any JSON value the same JSON after redaction, secrets planted anywhere (property)', () => {
    const secret = fc.constantFrom(JWT, KUBE, PEM, `<SecretAccessKey>${SECRET_KEY}`, `aws_session_token=${SESSION}`);
    const text = fc.oneof(
      fc.string(),
      fc.tuple(fc.string(), secret, fc.string()).map((p) => p.join('')),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        const out = JSON.parse(redactText(JSON.stringify(value))) as unknown;
        // Same shape: the value walked with every string replaced by its redaction.
        expect(out).toEqual(redactValue(value).value);
      }),
      { numRuns: 300 },
    );
  });
});

describe('redactValue', () => {
  it('replaces the value of secret fields whatever it is, and redacts every string, without changing the input', () => {
    const input = {
      Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: SECRET_KEY, SessionToken: { nested: SESSION } },
      list: [`a ${JWT}`, 3, null, true],
      'client-key-data': 'LS0tLS1…',
    };
    const copy = structuredClone(input);
    const { value, kinds } = redactValue(input);
    expect(value).toEqual({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLE',
        SecretAccessKey: '[REDACTED:aws-secret-key]',
        SessionToken: '[REDACTED:aws-session-token]',
      },
      list: ['a [REDACTED:jwt]', 3, null, true],
      'client-key-data': '[REDACTED:private-key]',
    });
    expect(kinds).toEqual({ 'aws-secret-key': 1, 'aws-session-token': 1, jwt: 1, 'private-key': 1 });
    expect(input).toEqual(copy);
  });
});

describe('registered secrets', () => {
  it('replaces a configured secret wherever it occurs, keeps JSON valid, and ignores values too short to be safe', () => {
    registerSecrets(['https://hooks.slack.com/services/T1/B1/zzzzSECRETzzzz', 'pd-routing-key-abcdef0123', 'short']);
    const json = JSON.stringify({
      msg: 'posting to https://hooks.slack.com/services/T1/B1/zzzzSECRETzzzz',
      key: 'pd-routing-key-abcdef0123',
    });
    const { text, kinds } = redactWithReport(json);
    expect(JSON.parse(text)).toEqual({
      msg: 'posting to [REDACTED:configured-secret]',
      key: '[REDACTED:configured-secret]',
    });
    expect(kinds).toEqual({ 'configured-secret': 2 });
    expect(redactText('a short word')).toBe('a short word');
  });
});
