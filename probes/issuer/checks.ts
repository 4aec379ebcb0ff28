// Pure checks behind the issuer probe: what STS requires of the discovery document, the JWKS and their answers.
import { importJWK } from 'jose';
import type { JWK } from 'jose';
import type { FetchError, FetchResponse } from '../../src/clients/http.ts';
import { finding } from './findings.ts';
import type { Finding } from '../../src/core/model.ts';
import type { AddressClass } from '../shared/fetch-policy.ts';
import { clip, parseJsonObject, preview } from '../shared/json-body.ts';

/** docs/aws-facts.md 1.2: tokens must be signed RS256/384/512 or ES256/384/512. */
const STS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];
const EC_ALGORITHM_BY_CURVE: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
/** docs/aws-facts.md 1.3: "at most 100 RSA keys and 100 EC keys". */
const MAX_KEYS_PER_TYPE = 100;
const MIN_RSA_BITS = 2048;
/** Key problems reported one by one; the rest are counted in one more finding. */
const MAX_KEY_PROBLEMS = 10;
const DISCOVERY_ARRAYS = [
  'response_types_supported',
  'subject_types_supported',
  'id_token_signing_alg_values_supported',
] as const;
const DAY_MS = 86_400_000;

export { discoveryUrlOf } from '../shared/issuer-urls.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value of a document, as a message shows it: a string as it is (cut), anything else as bounded JSON. */
const shown = (v: unknown): string => (typeof v === 'string' ? clip(v) : preview(v));

export { parseJsonObject };

/** What the discovery document lacks for STS (DISCOVERY_INVALID messages); the issuer equality is checked apart. */
export function discoveryProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const field of ['issuer', 'jwks_uri']) {
    if (typeof doc[field] !== 'string') problems.push(`has no ${field} string`);
  }
  for (const field of DISCOVERY_ARRAYS) {
    if (!Array.isArray(doc[field])) problems.push(`has no ${field} array`);
  }
  const algs = doc.id_token_signing_alg_values_supported;
  if (Array.isArray(algs) && !algs.includes('RS256'))
    problems.push(`does not advertise RS256 in id_token_signing_alg_values_supported (${preview(algs)})`);
  if (typeof doc.jwks_uri === 'string' && !URL.canParse(doc.jwks_uri))
    problems.push(`has a jwks_uri that is not a URL (${preview(doc.jwks_uri)})`);
  return problems;
}

export interface JwksProblem {
  message: string;
  /** Which key, when it is about one. */
  index?: number;
  kid?: string;
}

/** The kids a JWKS publishes and what makes it unusable by STS (JWKS_INVALID). */
export async function checkJwks(body: Buffer): Promise<{ kids: string[]; problems: JwksProblem[] }> {
  const parsed = parseJsonObject(body);
  if ('problem' in parsed) return { kids: [], problems: [{ message: `JWKS ${parsed.problem}` }] };
  const keys = parsed.value.keys;
  if (!Array.isArray(keys)) return { kids: [], problems: [{ message: 'JWKS has no "keys" array' }] };
  if (keys.length === 0) return { kids: [], problems: [{ message: 'JWKS has no keys' }] };
  const kids: string[] = [];
  const problems: JwksProblem[] = [];
  const count = { RSA: 0, EC: 0 };
  for (const [index, key] of (keys as unknown[]).entries()) {
    const fullKid = isObject(key) && typeof key.kid === 'string' ? key.kid : undefined;
    if (fullKid !== undefined) kids.push(fullKid);
    // A kid is the publisher's choice of text: findings quote it cut (observations keep it whole).
    const kid = fullKid === undefined ? undefined : clip(fullKid);
    if (isObject(key) && (key.kty === 'RSA' || key.kty === 'EC')) count[key.kty]++;
    const problem = isObject(key) ? await keyProblem(key) : 'is not a JSON object';
    if (problem)
      problems.push({
        message: `key ${index}${kid !== undefined ? ` (kid ${kid})` : ''} ${problem}`,
        index,
        ...(kid !== undefined ? { kid } : {}),
      });
  }
  if (problems.length > MAX_KEY_PROBLEMS) {
    const more = problems.length - MAX_KEY_PROBLEMS;
    problems.splice(MAX_KEY_PROBLEMS, more, { message: `${more} more keys of the JWKS have problems` });
  }
  for (const kty of ['RSA', 'EC'] as const) {
    if (count[kty] > MAX_KEYS_PER_TYPE)
      problems.push({ message: `JWKS has ${count[kty]} ${kty} keys; STS accepts at most ${MAX_KEYS_PER_TYPE}` });
  }
  return { kids, problems };
}

/** Why STS could not use this key, or undefined. */
async function keyProblem(key: JWK): Promise<string | undefined> {
  if (typeof key.kid !== 'string') return 'has no kid (STS matches the token header kid exactly)';
  if (key.alg !== undefined && !STS_ALGORITHMS.includes(key.alg))
    return `has alg ${shown(key.alg)}; STS accepts ${STS_ALGORITHMS.join(', ')}`;
  let alg: string | undefined;
  if (key.kty === 'RSA') {
    const bits = typeof key.n === 'string' ? modulusBits(key.n) : 0;
    if (bits < MIN_RSA_BITS) return `is an RSA key of ${bits} bits; STS needs at least ${MIN_RSA_BITS}`;
    alg = key.alg ?? 'RS256';
  } else if (key.kty === 'EC') {
    const crv = key.crv;
    alg =
      key.alg ??
      (typeof crv === 'string' && Object.hasOwn(EC_ALGORITHM_BY_CURVE, crv) ? EC_ALGORITHM_BY_CURVE[crv] : undefined);
    if (alg === undefined) return `is an EC key on curve ${shown(key.crv)}; STS accepts P-256, P-384 and P-521`;
  } else {
    return `has kty ${shown(key.kty)}; STS verifies RSA and EC keys only`;
  }
  return importProblem(key, alg);
}

/**
 * Whether a key imports is a property of its JWK alone: each distinct one is imported once (an issuer publishes the
 * same keys run after run; importing them was a measurable share of a probe's CPU). Bounded: cleared when full.
 */
const imports = new Map<string, Promise<string | undefined>>();
const IMPORTS_MAX = 4096;
const IMPORT_ID_MAX = 8192;

function importProblem(key: JWK, alg: string): Promise<string | undefined> {
  // A real key is a flat object well under a KiB of JSON; a hostile document's nested or huge ones are imported each
  // time, not kept.
  const flat = Object.values(key).every(
    (v) => typeof v !== 'object' || (Array.isArray(v) && v.every((item) => typeof item === 'string')),
  );
  const id = flat ? `${alg}\u0000${JSON.stringify(key)}` : undefined;
  let problem = id === undefined ? undefined : imports.get(id);
  if (problem === undefined) {
    problem = importJWK(key, alg).then(
      () => undefined,
      (err: unknown) => `does not import as a ${alg} key (${(err as Error).message})`,
    );
    if (id !== undefined && id.length <= IMPORT_ID_MAX) {
      if (imports.size >= IMPORTS_MAX) imports.clear();
      imports.set(id, problem);
    }
  }
  return problem;
}

/** Bit length of a base64url big-endian modulus. */
export function modulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] as number));
}

/** The code and message of an S3 XML error body (`<Error><Code>AccessDenied</Code>…`), if that is what it is. */
export function s3Error(body: Buffer): { s3ErrorCode: string; s3ErrorMessage?: string } | undefined {
  const text = body.toString('utf8', 0, Math.min(body.length, 4096));
  const code = /<Error>[\s\S]*?<Code>([^<]{1,128})<\/Code>/.exec(text)?.[1];
  if (code === undefined) return undefined;
  const message = /<Message>([^<]{0,512})<\/Message>/.exec(text)?.[1];
  return { s3ErrorCode: code, ...(message !== undefined ? { s3ErrorMessage: message } : {}) };
}

/** A non-200 answer: ISSUER_HTTP_ERROR or JWKS_HTTP_ERROR with the status, the redirect target or the S3 error. */
export function httpErrorFinding(
  code: 'ISSUER_HTTP_ERROR' | 'JWKS_HTTP_ERROR',
  what: string,
  res: FetchResponse,
): Finding {
  const location = res.headers.location;
  const s3 = s3Error(res.body);
  const detail =
    res.status >= 300 && res.status < 400
      ? `, a redirect to ${location ?? '(no Location)'} not followed: STS fetches the document at this URL and is not documented to follow redirects`
      : s3
        ? ` (S3 ${s3.s3ErrorCode}${s3.s3ErrorMessage ? `: ${s3.s3ErrorMessage}` : ''})`
        : '';
  return finding(code, `The ${what} answered HTTP ${res.status}${detail}.`, {
    subject: res.url,
    evidence: {
      url: res.url,
      status: res.status,
      latencyMs: res.latencyMs,
      ...(location !== undefined ? { location } : {}),
      ...(res.headers['content-type'] !== undefined ? { contentType: res.headers['content-type'] } : {}),
      ...s3,
    },
  });
}

/** A fetch with no answer. TLS and size failures have their own codes; an aborted run is `unknown`. */
export function fetchErrorFinding(
  code: 'ISSUER_UNREACHABLE' | 'JWKS_HTTP_ERROR',
  sizeCode: 'DISCOVERY_INVALID' | 'JWKS_INVALID',
  what: string,
  err: FetchError,
): Finding {
  const evidence = { url: err.url, error: err.code, latencyMs: err.latencyMs };
  if (err.code === 'TLS')
    return finding('ISSUER_TLS_INVALID', `The ${what} host's certificate was rejected: ${err.message}.`, {
      subject: err.url,
      evidence,
    });
  if (err.code === 'TOO_LARGE')
    return finding(sizeCode, `The ${what} is too large: ${err.message}.`, { subject: err.url, evidence });
  if (err.code === 'UNDECODABLE')
    return finding(sizeCode, `The ${what} does not decode: ${err.message}.`, { subject: err.url, evidence });
  return finding(code, `The ${what} could not be fetched: ${err.code}, ${err.message}.`, {
    subject: err.url,
    evidence,
    ...(err.code === 'ABORTED' ? { severity: 'unknown' as const } : {}),
  });
}

/** ISSUER_TLS_EXPIRING within `warnDays`, ISSUER_TLS_INVALID once expired (by the probe's clock). */
export function tlsExpiryFinding(res: FetchResponse, now: Date, warnDays: number): Finding | undefined {
  if (!res.tls) return undefined;
  const daysLeft = Math.floor((res.tls.validTo.getTime() - now.getTime()) / DAY_MS);
  const evidence = {
    url: res.url,
    validTo: res.tls.validTo.toISOString(),
    daysLeft,
    subject: res.tls.subject,
    issuer: res.tls.issuer,
  };
  const host = new URL(res.url).host;
  if (res.tls.validTo <= now)
    return finding('ISSUER_TLS_INVALID', `The certificate of ${host} expired on ${evidence.validTo}.`, {
      subject: res.url,
      evidence,
    });
  if (res.tls.validTo.getTime() - now.getTime() < warnDays * DAY_MS)
    return finding(
      'ISSUER_TLS_EXPIRING',
      `The certificate of ${host} expires on ${evidence.validTo} (${daysLeft} days left).`,
      {
        subject: res.url,
        evidence,
      },
    );
  return undefined;
}

/** DISCOVERY_ISSUER_MISMATCH: byte for byte, as STS compares with the token's iss; a trailing slash differs. */
export function issuerMismatchFinding(configured: string, published: string, url: string): Finding | undefined {
  if (published === configured) return undefined;
  return finding(
    'DISCOVERY_ISSUER_MISMATCH',
    `The discovery document says issuer ${preview(published)}, not ${JSON.stringify(configured)}.`,
    { subject: url, evidence: { configured, published: clip(published) } },
  );
}

/** JWKS_URI_REFUSED: the agent will not fetch the jwks_uri (probes/shared/fetch-policy.ts says why). */
export function jwksUriRefusedFinding(
  jwksUri: string,
  reason: string,
  at: { address?: string; addressClass?: AddressClass } = {},
): Finding {
  const host = new URL(jwksUri).host;
  return finding('JWKS_URI_REFUSED', `jwks_uri ${clip(jwksUri)} is not fetched: ${reason}.`, {
    subject: jwksUri,
    evidence: {
      jwksUri,
      host,
      reason,
      ...(at.address !== undefined && { address: at.address }),
      ...(at.addressClass !== undefined && { addressClass: at.addressClass }),
    },
  });
}

/** JWKS_INVALID for one problem, naming the key by index and kid. */
export function jwksFinding(problem: JwksProblem, res: FetchResponse): Finding {
  return finding('JWKS_INVALID', `${problem.message}.`, {
    subject: problem.kid ?? res.url,
    evidence: {
      url: res.url,
      ...(res.headers['content-type'] !== undefined && { contentType: res.headers['content-type'] }),
      ...(problem.index !== undefined && { index: problem.index }),
      ...(problem.kid !== undefined && { kid: problem.kid }),
    },
  });
}

/** ISSUER_SLOW over the documents that answered: warn above warnMs, fail above failMs (STS's budget). */
export function slowFinding(
  answered: FetchResponse[],
  issuer: string,
  warnMs: number,
  failMs: number,
): Finding | undefined {
  const totalMs = answered.reduce((sum, r) => sum + r.latencyMs, 0);
  if (totalMs <= warnMs) return undefined;
  const overBudget = totalMs > failMs;
  const parts = answered.map((r) => `${r.latencyMs} ms for ${r.url}`).join(', ');
  return finding(
    'ISSUER_SLOW',
    `The issuer's documents took ${totalMs} ms (${parts}), above ${overBudget ? `STS's budget of ${failMs}` : warnMs} ms.`,
    {
      subject: issuer,
      evidence: { totalMs, latencyMs: answered.map((r) => ({ url: r.url, ms: r.latencyMs })), warnMs, failMs },
      ...(overBudget && { severity: 'fail' as const }),
    },
  );
}
