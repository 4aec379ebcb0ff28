// The issuer probe on documents STS cannot use: JWKS keys STS would refuse (named by index and kid, the first ten one
// by one), and discovery documents that lack what STS reads. Hostile hosts and documents are in test/probes/hostile/.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabTls } from '../../../src/lab/tls.ts';
import { HostileHosts, servingJwks } from '../../helpers/hostile.ts';
import { codes, http, issuerProbe, runProbe } from '../hostile/probes.ts';

let hosts: HostileHosts;

beforeAll(async () => {
  hosts = new HostileHosts(await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-documents-'))));
});
afterAll(async () => {
  await http.close();
  await hosts.close();
});

const rsaJwk = (bits: number): Record<string, unknown> =>
  generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
const goodKey = { ...rsaJwk(2048), kid: 'good', alg: 'RS256', use: 'sig' };

const run = async (jwks: unknown) => {
  const { issuer } = await hosts.https(servingJwks(jwks));
  return (await runProbe(issuerProbe, issuer, hosts.tls.caPem)).value;
};

describe('issuer probe on documents STS cannot use', () => {
  const ec = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'ec' };

  it.each([
    ['an empty key list', { keys: [] }, 'JWKS has no keys'],
    ['no keys array', { key: [goodKey] }, 'no "keys" array'],
    ['a key without kid', { keys: [goodKey, { ...goodKey, kid: undefined }] }, 'key 1 has no kid'],
    ['a 1024-bit RSA key', { keys: [{ ...rsaJwk(1024), kid: 'weak' }] }, 'key 0 (kid weak) is an RSA key of 1024 bits'],
    ['an alg STS does not accept', { keys: [{ ...goodKey, alg: 'PS256' }] }, 'has alg PS256'],
    ['a key that does not import', { keys: [{ ...goodKey, e: undefined }] }, 'does not import'],
    ['101 RSA keys', { keys: Array.from({ length: 101 }, (_, i) => ({ ...goodKey, kid: `k${i}` })) }, '101 RSA keys'],
    ['an EC key on a curve STS does not take', { keys: [{ ...ec, crv: 'constructor' }] }, 'on curve constructor'],
  ])('flags a JWKS with %s', async (_name, jwks, message) => {
    const out = await run(jwks);
    expect(codes(out)).toEqual(['JWKS_INVALID']);
    expect(out.findings[0]?.message).toContain(message);
  });

  it('accepts an EC P-256 key without alg and names the index and kid of a bad key', async () => {
    const out = await run({ keys: [ec, goodKey, { ...goodKey, kid: 'bad', alg: 'HS256' }] });
    expect(codes(out)).toEqual(['JWKS_INVALID']);
    expect(out.findings[0]).toMatchObject({ subject: 'bad', evidence: { index: 2, kid: 'bad' } });
    expect(out.observations?.kids).toEqual(['ec', 'good', 'bad']);
  });

  it('reports the first ten bad keys one by one and counts the rest', async () => {
    const out = await run({ keys: Array.from({ length: 15 }, (_, i) => ({ ...goodKey, kid: `k${i}`, alg: 'none' })) });
    expect(out.findings).toHaveLength(11);
    expect(out.findings[9]?.evidence).toMatchObject({ index: 9, kid: 'k9' });
    expect(out.findings[10]?.message).toBe('5 more keys of the JWKS have problems.');
  });

  it('flags a discovery document without RS256 or required fields', async () => {
    const { issuer } = await hosts.https((_req, res, iss) =>
      res.end(
        JSON.stringify({ issuer: iss, jwks_uri: `${iss}/keys.json`, id_token_signing_alg_values_supported: ['ES256'] }),
      ),
    );
    const out = (await runProbe(issuerProbe, issuer, hosts.tls.caPem)).value;
    const messages = out.findings.filter((f) => f.code === 'DISCOVERY_INVALID').map((f) => f.message);
    expect(messages).toEqual([
      'The discovery document has no response_types_supported array.',
      'The discovery document has no subject_types_supported array.',
      'The discovery document does not advertise RS256 in id_token_signing_alg_values_supported (["ES256"]).',
    ]);
  });
});
