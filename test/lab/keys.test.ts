import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ccoctlKeysJson } from '../../src/lab/clusters.ts';
import { generateSigningKey, kidOf } from '../../src/lab/keys.ts';
import type { SigningKey } from '../../src/lab/state.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe('cluster signing keys', () => {
  it('reproduces the kid test vector: base64url(SHA-256(DER SPKI))', () => {
    const publicKey = createPublicKey(fixture('testvector-serviceaccount-signer.public'));
    expect(kidOf(publicKey)).toBe(fixture('testvector-kid.txt').trim());
  });

  it('publishes keys.json exactly as ccoctl does (field order, 4-space indent)', async () => {
    const publicKey = createPublicKey(fixture('testvector-serviceaccount-signer.public'));
    const key = { publicKey, kid: kidOf(publicKey) } as SigningKey;
    expect(await ccoctlKeysJson([key])).toBe(fixture('testvector-03-keys.json').trimEnd());
  });

  it('generates RSA keys whose kid matches their public key', async () => {
    const key = await generateSigningKey(2048);
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(kidOf(createPublicKey(key.publicPem))).toBe(key.kid);
  });
});
