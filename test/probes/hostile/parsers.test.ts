// Property tests of what parses a remote host's bytes (fast-check, fixed seeds, bounded runs): the issuer probe's JWKS
// check (probes/issuer/checks.ts checkJwks), the jwks probe's (probes/jwks/checks.ts publishedKeysOf), the UTF-8 check
// and the bounded renderings of document values (probes/shared/json-body.ts), and the bound on findings
// (probes/shared/bounded.ts). Whatever the input: no throw, bounded output, and the kids of the keys it holds.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkJwks } from '../../../probes/issuer/checks.ts';
import { publishedKeysOf } from '../../../probes/jwks/checks.ts';
import { boundFinding, FINDING_LIMITS } from '../../../probes/shared/bounded.ts';
import { invalidUtf8Offset, MAX_QUOTED, parseJsonBody, preview } from '../../../probes/shared/json-body.ts';
import type { Finding } from '../../../src/core/model.ts';
import { nestedJson } from '../../helpers/hostile.ts';

const SEED = 1307;
const bytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

/** Usable keys (RSA 2048, EC P-256), their kids drawn by the test. */
const RSA = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
const EC = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });

/** JSON values, deep and wide enough to hit every branch, and a few shapes a JWKS is made of. */
const json = fc.jsonValue({ maxDepth: 6 });
const keyish = fc.oneof(
  json,
  fc.record(
    {
      kty: fc.oneof(fc.constantFrom('RSA', 'EC', 'oct', 'OKP'), json),
      kid: fc.oneof(fc.string({ maxLength: 300 }), json),
      alg: fc.oneof(fc.constantFrom('RS256', 'ES256', 'none', 'HS256', 'PS256'), json),
      n: fc.oneof(fc.constant(RSA.n!), fc.base64String({ maxLength: 400 }), json),
      e: fc.oneof(fc.constant('AQAB'), json),
      crv: fc.oneof(fc.constantFrom('P-256', 'P-384', 'secp256k1', 'toString', '__proto__'), json),
      x: fc.oneof(fc.constant(EC.x!), json),
      y: fc.oneof(fc.constant(EC.y!), json),
    },
    { requiredKeys: [] },
  ),
);
const jwksish = fc.oneof(
  json,
  fc.record({ keys: fc.array(keyish, { maxLength: 30 }) }),
  fc.record({ keys: fc.oneof(json, fc.array(keyish, { maxLength: 5 })), extra: json }),
);

describe('checkJwks and publishedKeysOf on any JSON', () => {
  it('never throw, report a bounded number of bounded problems, and return the kids of the keys', async () => {
    await fc.assert(
      fc.asyncProperty(jwksish, async (doc) => {
        const { kids, problems } = await checkJwks(bytes(doc));
        // The first ten key problems, one for the rest, and at most one per key type over STS's limit.
        expect(problems.length).toBeLessThanOrEqual(13);
        for (const p of problems) expect(p.message.length).toBeLessThan(1200);
        const keys = (doc as { keys?: unknown } | null)?.keys;
        const isObject = (k: unknown): k is Record<string, unknown> =>
          typeof k === 'object' && k !== null && !Array.isArray(k);
        const expected =
          typeof doc === 'object' && doc !== null && !Array.isArray(doc) && Array.isArray(keys)
            ? keys.flatMap((k) => (isObject(k) && typeof k.kid === 'string' ? [k.kid] : []))
            : [];
        expect(kids).toEqual(expected);
        const published = publishedKeysOf(bytes(doc));
        if ('problem' in published) expect(published.problem.length).toBeLessThan(200);
        else {
          expect(published.kids).toEqual(expected);
          // Only the members a JWK can have survive: what jose clones must not nest.
          for (const k of published.keys)
            for (const v of Object.values(k))
              expect(
                typeof v === 'string' ||
                  typeof v === 'boolean' ||
                  (Array.isArray(v) && v.every((x) => typeof x === 'string')),
              ).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('find nothing wrong with usable keys whatever their kids, and name each bad key by index', async () => {
    const entry = fc.oneof(
      fc.string({ minLength: 1, maxLength: 50 }).map((kid) => ({ good: true, key: { ...RSA, kid, alg: 'RS256' } })),
      fc.string({ minLength: 1, maxLength: 50 }).map((kid) => ({ good: true, key: { ...EC, kid } })),
      fc.string({ maxLength: 50 }).map((kid) => ({ good: false, key: { ...RSA, kid, alg: 'none' } })),
      json.map((junk) => ({ good: false, key: junk })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 12 }), async (entries) => {
        const { kids, problems } = await checkJwks(bytes({ keys: entries.map((e) => e.key) }));
        const bad = entries.flatMap((e, i) => (e.good ? [] : [i]));
        const named = problems.flatMap((p) => (p.index === undefined ? [] : [p.index]));
        expect(named).toEqual(bad.slice(0, 10));
        for (const [i, e] of entries.entries()) {
          if (!e.good) continue;
          expect(kids).toContain((e.key as { kid: string }).kid);
          expect(named).not.toContain(i);
        }
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('take any bytes: never throw, and say why bytes that are not UTF-8 are not JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (raw) => {
        const body = Buffer.from(raw);
        const { problems } = await checkJwks(body);
        const published = publishedKeysOf(body);
        if (invalidUtf8Offset(body) >= 0) {
          expect(problems[0]?.message).toMatch(
            /^JWKS is not JSON \(it is not valid UTF-8 \(byte 0x[0-9A-F]{2} at offset \d+\)\)$/,
          );
          expect(published).toEqual({ problem: expect.stringContaining('not valid UTF-8') });
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('take JSON nested 10,000 deep anywhere without overflowing the stack', async () => {
    const deep = nestedJson(10_000);
    for (const text of [
      deep,
      `{"keys":${deep}}`,
      `{"keys":[${deep}]}`,
      `{"keys":[{"kid":"a","kty":${deep},"alg":${deep}}]}`,
    ]) {
      await expect(checkJwks(Buffer.from(text))).resolves.toMatchObject({ problems: [expect.anything()] });
      expect(() => publishedKeysOf(Buffer.from(text))).not.toThrow();
    }
  });
});

describe('the UTF-8 check', () => {
  it('agrees with a strict decoder, and points at the first byte that breaks it (fast-check)', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    // Mostly valid text with bytes flipped in, so both outcomes occur often.
    const text = fc
      .tuple(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 2 }),
      )
      .map(([s, flips]) => {
        const b = Buffer.from(s);
        for (const [at, v] of flips) if (b.length > 0) b[at % b.length] = v;
        return b;
      });
    let invalid = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          text,
          fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
        ),
        (b) => {
          const at = invalidUtf8Offset(b);
          let decodes = true;
          try {
            strict.decode(b);
          } catch {
            decodes = false;
          }
          expect(at === -1).toBe(decodes);
          if (at >= 0) {
            invalid++;
            // What comes before the offset is valid on its own.
            expect(() => strict.decode(b.subarray(0, at))).not.toThrow();
            expect(parseJsonBody(b)).toEqual({ problem: expect.stringContaining(`at offset ${at})`) });
          }
        },
      ),
      { seed: SEED, numRuns: 1000 },
    );
    expect(invalid).toBeGreaterThan(50);
  });
});

describe('preview and boundFinding', () => {
  it('render any value in bounded length without throwing, deep nesting included', () => {
    const deep = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'large', withCrossShrink: true },
        json,
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.oneof(deep, fc.anything()), fc.integer({ min: 10, max: 500 }), (value, max) => {
        const out = preview(value, max);
        expect(typeof out).toBe('string');
        expect(out.length).toBeLessThanOrEqual(max + 1);
      }),
      { seed: SEED, numRuns: 500 },
    );
    expect(preview(JSON.parse(nestedJson(100_000)))).toMatch(/^\[+…\]+$/);
  });

  it('cut every finding to its limits, leaving short ones as they are', () => {
    const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 1000, maxLength: 6000 }));
    const finding = fc.record({
      code: fc.constant('JWKS_INVALID'),
      severity: fc.constantFrom('info', 'warn', 'unknown', 'fail'),
      message: text,
      remediation: fc.constant('fix it'),
      subject: fc.option(text, { nil: undefined }),
      evidence: fc.option(
        fc.dictionary(
          fc.string({ maxLength: 10 }),
          fc.oneof(text, fc.array(text, { maxLength: 200 }), fc.integer(), json),
        ),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(finding, (f) => {
        const raw = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as unknown as Finding;
        const b = boundFinding(raw);
        expect(b.code).toBe(raw.code);
        expect(b.severity).toBe(raw.severity);
        expect(b.message.length).toBeLessThan(FINDING_LIMITS.message + 40);
        if (raw.message.length <= FINDING_LIMITS.message) expect(b.message).toBe(raw.message);
        if (b.subject !== undefined) expect(b.subject.length).toBeLessThan(FINDING_LIMITS.subject + 40);
        for (const v of Object.values(b.evidence ?? {})) {
          if (typeof v === 'string') expect(v.length).toBeLessThan(FINDING_LIMITS.evidenceString + 40);
          if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
            expect(v.length).toBeLessThanOrEqual(FINDING_LIMITS.evidenceList + 1);
            for (const x of v) expect(x.length).toBeLessThan(MAX_QUOTED + 40);
          }
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
