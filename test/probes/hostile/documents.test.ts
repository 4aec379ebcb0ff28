// The issuer and jwks probes on hostile documents from a host that otherwise behaves: bytes that are not UTF-8, JSON
// nested 10,000 deep, a JWKS of a thousand keys, a kid of 10 KB, a discovery document that is not an object, URLs and
// issuers of half a megabyte. Each gives the right finding (the issuer probe judges the documents; the jwks probe says
// `unknown` when it cannot read them and compares kids when it can), never crashes, and keeps no more than a few
// hundred characters of the host's text in any finding.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_QUOTED } from '../../../probes/shared/json-body.ts';
import { createLabTls } from '../../../src/lab/tls.ts';
import {
  discoveryOf,
  HostileHosts,
  nestedJson,
  servingDiscovery,
  servingJwks,
  watchProcessErrors,
} from '../../helpers/hostile.ts';
import type { IssuerHandler } from '../../helpers/hostile.ts';
import { expectOutcome, http, issuerProbe, jwksProbe, runProbe, signerJwk, signerKid } from './probes.ts';
import type { Expected } from './probes.ts';

let hosts: HostileHosts;
const watcher = watchProcessErrors();
/** Documents served at once: a run ends well under STS's 5 s budget, however loaded the machine. */
const WITHIN_MS = 5_000;

beforeAll(async () => {
  hosts = new HostileHosts(await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-documents-'))));
});
afterEach(() => watcher.check());
afterAll(async () => {
  watcher.stop();
  await http.close();
  await hosts.close();
});

const unavailable = (says: string | RegExp): Expected => ({ codes: ['JWKS_UNAVAILABLE'], status: 'unknown', says });
const ok: Expected = { codes: [], status: 'ok' };

async function against(handler: IssuerHandler, want: { issuer: Expected; jwks: Expected }) {
  const { issuer } = await hosts.https(handler);
  const [i, j] = await Promise.all([
    runProbe(issuerProbe, issuer, hosts.tls.caPem),
    runProbe(jwksProbe, issuer, hosts.tls.caPem),
  ]);
  expectOutcome(i, want.issuer, WITHIN_MS);
  expectOutcome(j, want.jwks, WITHIN_MS);
  return { issuer: i.value, jwks: j.value };
}

/** A discovery document for the host with `change` applied, as a body. */
const discoveryWith =
  (change: (doc: Record<string, unknown>, issuer: string) => string): IssuerHandler =>
  (req, res, issuer) =>
    servingDiscovery(change(discoveryOf(issuer), issuer), { keys: [signerJwk] })(req, res, issuer);

describe('bytes that are not UTF-8', () => {
  it('in the discovery document: invalid, naming the byte and its offset', async () => {
    const handler = discoveryWith((doc) => JSON.stringify(doc));
    await against(
      (req, res, issuer) => {
        if (req.url !== '/oidc/.well-known/openid-configuration') return handler(req, res, issuer);
        const text = JSON.stringify({ ...discoveryOf(issuer), service_documentation: 'ZZ' });
        const body = Buffer.from(text);
        body[text.indexOf('ZZ')] = 0xff; // never valid in UTF-8
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      },
      {
        issuer: {
          codes: ['DISCOVERY_INVALID'],
          status: 'fail',
          says: /is not JSON \(it is not valid UTF-8 \(byte 0xFF at offset \d+\)\)/,
        },
        jwks: unavailable('the discovery document is not JSON (it is not valid UTF-8 (byte 0xFF'),
      },
    );
  });

  it('in the JWKS (a lone surrogate in a kid): invalid, and unreadable for the jwks probe', async () => {
    const text = JSON.stringify({ keys: [{ ...signerJwk, kid: 'AB' }] });
    const body = Buffer.concat([
      Buffer.from(text.slice(0, text.indexOf('AB'))),
      Buffer.from([0xed, 0xa0, 0x80]), // U+D800 encoded: not UTF-8
      Buffer.from(text.slice(text.indexOf('AB') + 2)),
    ]);
    await against(servingJwks(body), {
      issuer: { codes: ['JWKS_INVALID'], status: 'fail', says: 'JWKS is not JSON (it is not valid UTF-8 (byte 0xED' },
      jwks: unavailable('the JWKS is not JSON (it is not valid UTF-8'),
    });
  });
});

describe('JSON nested 10,000 deep: no stack overflow, the finding says invalid', () => {
  const deep = nestedJson(10_000);

  it('as the whole discovery document', async () => {
    await against(servingDiscovery(deep), {
      issuer: { codes: ['DISCOVERY_INVALID'], status: 'fail', says: 'is JSON but not an object (array)' },
      jwks: unavailable('the discovery document is JSON but not an object (array)'),
    });
  });

  it('as an object 10,000 deep: every field STS needs is missing', async () => {
    await against(servingDiscovery(nestedJson(10_000, true)), {
      issuer: {
        codes: Array(5).fill('DISCOVERY_INVALID'),
        status: 'fail',
        says: 'has no issuer string',
      },
      jwks: unavailable('the discovery document has no jwks_uri'),
    });
  });

  it('in the issuer and the algorithms of the discovery document', async () => {
    const { issuer, jwks } = await against(
      discoveryWith((doc) =>
        JSON.stringify({ ...doc, issuer: 0, id_token_signing_alg_values_supported: 0 })
          .replace('"issuer":0', `"issuer":${deep}`)
          .replace('"id_token_signing_alg_values_supported":0', `"id_token_signing_alg_values_supported":${deep}`),
      ),
      {
        issuer: { codes: ['DISCOVERY_INVALID', 'DISCOVERY_INVALID'], status: 'fail', says: 'has no issuer string' },
        // The jwks probe reads only jwks_uri: it compares the kids, and keeps no issuer it could not store.
        jwks: ok,
      },
    );
    expect(issuer.findings[1]?.message).toMatch(
      /^The discovery document does not advertise RS256 in id_token_signing_alg_values_supported \(\[+…\]+\)\.$/,
    );
    expect(jwks.observations?.discoveryIssuer).toBeUndefined();
  });

  it('as the JWKS, its keys, and members of a key', async () => {
    const key = JSON.stringify(signerJwk);
    const cases: [string, string | RegExp | undefined, Expected][] = [
      [deep, 'JWKS is JSON but not an object (array)', unavailable('the JWKS has no "keys" array')],
      [`{"keys":${deep}}`, 'key 0 is not a JSON object', { codes: ['SIGNING_KEY_NOT_PUBLISHED'], status: 'fail' }],
      [`{"keys":[${key.replace('"alg":"RS256"', `"alg":${deep}`)}]}`, /has alg \[+…\]+;/, ok],
      [`{"keys":[${key.replace('"kty":"RSA"', `"kty":${deep}`)}]}`, /has kty \[+…\]+;/, ok],
      [`{"keys":[${key.replace('"use":"sig"', `"use":${deep}`)}]}`, undefined, ok],
    ];
    for (const [body, issuerSays, jwks] of cases) {
      await against(servingJwks(body), {
        issuer: issuerSays === undefined ? ok : { codes: ['JWKS_INVALID'], status: 'fail', says: issuerSays },
        jwks,
      });
    }
  });
});

describe('a JWKS with 1,000 keys', () => {
  it('is over STS limit of 100 RSA keys, judged in bounded time; the jwks probe reports ten stale keys and counts the rest', async () => {
    const keys = [signerJwk, ...Array.from({ length: 999 }, (_, i) => ({ ...signerJwk, kid: `old-${i}` }))];
    const { issuer, jwks } = await against(servingJwks({ keys }), {
      issuer: { codes: ['JWKS_INVALID'], status: 'fail', says: 'JWKS has 1000 RSA keys; STS accepts at most 100' },
      jwks: { codes: Array(11).fill('STALE_KEY_PUBLISHED'), status: 'warn' },
    });
    expect(issuer.observations?.kids).toHaveLength(1000);
    expect(jwks.findings.at(-1)?.message).toBe(
      'The JWKS publishes 989 more keys the cluster does not use (999 in all).',
    );
  });
});

describe('a kid of 10 KB', () => {
  const longKid = `k${'x'.repeat(10 * 1024)}`;
  const clipped = (s: unknown) => typeof s === 'string' && s.length < MAX_QUOTED + 40;

  it('on a usable key: no issue for the issuer probe; the jwks probe quotes it cut', async () => {
    const { issuer, jwks } = await against(servingJwks({ keys: [signerJwk, { ...signerJwk, kid: longKid }] }), {
      issuer: ok,
      jwks: { codes: ['STALE_KEY_PUBLISHED'], status: 'warn', says: '(10041 more characters)' },
    });
    // Observations keep the kids whole: the next run compares them.
    expect(issuer.observations?.kids).toEqual([signerKid, longKid]);
    const [stale] = jwks.findings;
    expect(clipped(stale?.subject)).toBe(true);
    expect(clipped(stale?.evidence?.kid)).toBe(true);
    expect(stale?.message.length).toBeLessThan(MAX_QUOTED + 100);
  });

  it('on a key STS refuses: the issuer probe names the key by a cut kid', async () => {
    const { issuer } = await against(servingJwks({ keys: [signerJwk, { ...signerJwk, kid: longKid, alg: 'none' }] }), {
      issuer: { codes: ['JWKS_INVALID'], status: 'fail', says: 'has alg none' },
      jwks: { codes: ['STALE_KEY_PUBLISHED'], status: 'warn' },
    });
    const [bad] = issuer.findings;
    expect(clipped(bad?.subject)).toBe(true);
    expect(clipped(bad?.evidence?.kid)).toBe(true);
    expect(bad?.evidence).toMatchObject({ index: 1 });
  });

  it('as the kid the cluster signs with but the JWKS lacks: the kid list in the evidence is cut', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => ({ ...signerJwk, kid: `${longKid.slice(0, 2000)}${i}` }));
    const { jwks } = await against(servingJwks({ keys }), {
      issuer: { codes: ['JWKS_INVALID'], status: 'fail', says: '150 RSA keys' },
      jwks: { codes: ['SIGNING_KEY_NOT_PUBLISHED', ...Array(11).fill('STALE_KEY_PUBLISHED')], status: 'fail' },
    });
    const listed = jwks.findings[0]?.evidence?.publishedKids as string[];
    expect(listed).toHaveLength(21);
    expect(listed.at(-1)).toBe('… and 130 more');
    expect(listed.every((kid) => kid.length < MAX_QUOTED + 40)).toBe(true);
  });
});

describe('a discovery document of the wrong type', () => {
  it.each([
    ['[]', 'array'],
    ['"https://issuer.example"', 'string'],
    ['42', 'number'],
    ['null', 'null'],
    ['true', 'boolean'],
  ])('%s is not an object (%s)', async (body, kind) => {
    await against(servingDiscovery(body), {
      issuer: { codes: ['DISCOVERY_INVALID'], status: 'fail', says: `is JSON but not an object (${kind})` },
      jwks: unavailable(`the discovery document is JSON but not an object (${kind})`),
    });
  });

  it.each([
    ['[]', 'array'],
    ['"keys"', 'string'],
    ['null', 'null'],
  ])('a JWKS %s is not an object (%s)', async (body, kind) => {
    await against(servingJwks(body), {
      issuer: { codes: ['JWKS_INVALID'], status: 'fail', says: `JWKS is JSON but not an object (${kind})` },
      jwks: unavailable('the JWKS has no "keys" array'),
    });
  });
});

describe('text of half a megabyte where a URL goes', () => {
  const long = 'x'.repeat(512 * 1024);

  it('a jwks_uri that is not a URL is quoted cut', async () => {
    const { issuer } = await against(
      discoveryWith((doc) => JSON.stringify({ ...doc, jwks_uri: long })),
      {
        issuer: { codes: ['DISCOVERY_INVALID'], status: 'fail', says: 'has a jwks_uri that is not a URL ("xxx' },
        jwks: unavailable('the jwks_uri of the discovery document is not a URL'),
      },
    );
    expect(issuer.findings[0]?.message.length).toBeLessThan(MAX_QUOTED + 200);
  });

  it('an issuer that is not the configured one is quoted cut, in the message and the evidence', async () => {
    const { issuer } = await against(
      discoveryWith((doc, iss) => JSON.stringify({ ...doc, issuer: `${iss}/${long}` })),
      { issuer: { codes: ['DISCOVERY_ISSUER_MISMATCH'], status: 'fail' }, jwks: ok },
    );
    const [mismatch] = issuer.findings;
    expect(mismatch?.message.length).toBeLessThan(2 * MAX_QUOTED + 200);
    expect(String(mismatch?.evidence?.published).length).toBeLessThan(MAX_QUOTED + 40);
  });

  it('a jwks_uri on another host, with a path of half a megabyte, is refused and quoted cut', async () => {
    const { issuer } = await against(
      discoveryWith((doc) => JSON.stringify({ ...doc, jwks_uri: `https://10.0.0.1/${long}` })),
      {
        issuer: { codes: ['JWKS_URI_REFUSED'], status: 'fail' },
        jwks: unavailable('is not fetched'),
      },
    );
    expect(issuer.findings[0]?.message.length).toBeLessThan(MAX_QUOTED + 300);
    expect(String(issuer.findings[0]?.subject).length).toBeLessThan(600);
  });
});
