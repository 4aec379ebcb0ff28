// The address classes and the URL verdict behind the jwks_uri policy (probes/shared/fetch-policy.ts).
import { describe, expect, it } from 'vitest';
import { addressClass, documentGuard, documentUrlVerdict, issuerGuard } from '../../../probes/shared/fetch-policy.ts';
import { jsonSyntaxReason, parseJsonBody } from '../../../probes/shared/json-body.ts';

describe('addressClass', () => {
  it.each([
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['169.254.10.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['52.216.8.1', 'public'],
    ['172.32.0.1', 'public'],
    ['2600:1f18::1', 'public'],
    ['64:ff9b::3418:801', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(addressClass(address)).toBe(kind);
  });

  it('throws on something that is not an IP address', () => {
    expect(() => addressClass('example.com')).toThrow(TypeError);
  });
});

describe('documentGuard', () => {
  it('refuses loopback and private addresses unless allowed, metadata and link-local always', () => {
    const strict = documentGuard(false);
    const lenient = documentGuard(true);
    expect(strict.refuse('52.216.8.1')).toBeUndefined();
    expect(strict.refuse('127.0.0.1')).toMatch(/loopback/);
    expect(strict.refuse('10.0.0.1')).toMatch(/private/);
    expect(lenient.refuse('127.0.0.1')).toBeUndefined();
    expect(lenient.refuse('10.0.0.1')).toBeUndefined();
    for (const guard of [strict, lenient]) {
      expect(guard.refuse('169.254.169.254')).toMatch(/metadata/);
      expect(guard.refuse('fe80::1')).toMatch(/link-local/);
    }
    expect(strict.id).not.toBe(lenient.id);
  });
});

describe('documentUrlVerdict', () => {
  const issuer = 'https://127.0.0.1:4566/prod-oidc';
  const configured = { issuer, labels: {} };

  it("fetches the issuer's own origin without a guard, and other https hosts with one", () => {
    expect(documentUrlVerdict(`${issuer}/keys.json`, configured, false)).toEqual({ fetch: true });
    expect(documentUrlVerdict('https://127.0.0.1:4566/other/keys.json', configured, false)).toEqual({ fetch: true });
    expect(documentUrlVerdict('https://keys.example.com/keys.json', configured, false)).toEqual({
      fetch: true,
      guard: documentGuard(false),
    });
  });

  it("guards even the issuer's own origin when discovery found the issuer", () => {
    const discovered = { issuer, labels: { discovered: 'prod' } };
    expect(documentUrlVerdict(`${issuer}/keys.json`, discovered, false)).toEqual({
      fetch: true,
      guard: documentGuard(false),
    });
    expect(issuerGuard(discovered, true)).toBe(documentGuard(true));
    expect(issuerGuard(configured, false)).toBeUndefined();
  });

  it('refuses http, and an IP address of a refused class on another origin', () => {
    expect(documentUrlVerdict('http://127.0.0.1:4566/prod-oidc/keys.json', configured, true)).toMatchObject({
      fetch: false,
      insecure: true,
    });
    expect(documentUrlVerdict('https://127.0.0.1:4567/keys.json', configured, false)).toMatchObject({
      fetch: false,
      insecure: false,
      address: '127.0.0.1',
      addressClass: 'loopback',
    });
    expect(documentUrlVerdict('https://127.0.0.1:4567/keys.json', configured, true)).toMatchObject({ fetch: true });
    expect(documentUrlVerdict('https://2852039166/x', configured, true)).toMatchObject({
      fetch: false,
      address: '169.254.169.254',
      addressClass: 'metadata',
    });
    expect(documentUrlVerdict('not a url', configured, true)).toMatchObject({ fetch: false, insecure: false });
  });
});

describe('parseJsonBody', () => {
  it('says why a body is not JSON without quoting it', () => {
    for (const body of [
      'AKIAIOSFODNN7EXAMPLE role-credentials',
      '{"Code":"Success","Token":"secret-xyz"',
      '{"a":1,}',
    ]) {
      const parsed = parseJsonBody(Buffer.from(body));
      expect(parsed).toHaveProperty('problem');
      const problem = (parsed as { problem: string }).problem;
      for (const word of ['AKIA', 'role-credentials', 'secret-xyz', 'Success']) expect(problem).not.toContain(word);
    }
    expect(parseJsonBody('{"a":1,}')).toEqual({
      problem: 'Expected double-quoted property name at line 1, column 8',
    });
    expect(parseJsonBody('{"a":')).toEqual({ problem: 'it ends before the JSON does' });
    expect(parseJsonBody('{"a":1}')).toEqual({ value: { a: 1 } });
    expect(jsonSyntaxReason(new Error('anything else'))).toBe('not valid JSON');
  });
});
