// STS's validation of a web identity token (docs/aws-facts.md 1.2, 1.3): IAM OIDC provider by `iss`, discovery document
// and JWKS fetched anonymously over HTTPS, kid, signature, iat, exp, aud against the provider's client IDs.
import { createSecureContext, rootCertificates } from 'node:tls';
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import type { JWK, JWTPayload, ProtectedHeaderParameters } from 'jose';
import { Agent, request } from 'undici';
import type { LabState, OidcProvider } from './state.ts';

/** docs/aws-facts.md 1.2: RSA (RS256/384/512) or ECDSA (ES256/384/512) only. */
const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];
/** docs/aws-facts.md 1.3: "a five-minute window beyond the expiration time … to account for clock skew". */
const CLOCK_SKEW_SECONDS = 300;
/** Cap on each of the two documents; STS's own limit is not published. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** docs/aws-facts.md 1.3 / 1.4: two spaces after "provider," (DISAGREE; the raw SDK logs are preferred). */
export const COULD_NOT_RETRIEVE_KEY =
  "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
// The real texts of the next three are NOT FOUND in docs/aws-facts.md (1.4 "Bad-signature message: NOT FOUND"); plausible wording.
const NOT_A_JWT = 'Token is not a valid JWT';
const BAD_SIGNATURE = 'Signature of the web identity token could not be verified';
const missingClaim = (claim: string): string => `Token is missing a valid ${claim} claim`;

export interface ValidatedToken {
  provider: OidcProvider;
  subject: string;
  /** The token audience found in the provider's client ID list. */
  audience: string;
}

export type TokenCheck =
  | { ok: true; token: ValidatedToken }
  | { ok: false; code: 'InvalidIdentityToken' | 'ExpiredTokenException'; message: string };

export type TokenVerifier = (state: LabState, token: string) => Promise<TokenCheck>;

const reject = (message: string): TokenCheck => ({ ok: false, code: 'InvalidIdentityToken', message });

export interface TokenVerifierOptions {
  /** PEM of the lab CA, trusted besides the public roots (docs/aws-facts.md 1.3: IAM's library of trusted root CAs). */
  caPem: string;
  /** Time allowed for discovery + JWKS together (docs/aws-facts.md 1.3: "latency of more than 5 seconds" fails). */
  fetchBudgetMs: number;
}

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const agent = new Agent({
    // One secure context for every connection: given `ca` instead, Node builds a context (parsing every root
    // certificate) per connection, 20 ms and megabytes each, which with each issuer on its own host is every call.
    connect: { secureContext: createSecureContext({ ca: [...rootCertificates, opts.caPem] }) },
    maxResponseSize: MAX_DOCUMENT_BYTES,
    // Idle connections to issuers close after a second. undici otherwise keeps one for as long as the server's
    // Keep-Alive hint allows (the lab's own: 72 s), and with every issuer its own host and several roles of a cluster
    // assumed at once, a 3,000-cluster fleet held ~8,300 of them, two descriptors each in this one process: the lab ran
    // out of file descriptors (20,000) and reset the connections it could no longer accept.
    keepAliveTimeout: 1_000,
    keepAliveMaxTimeout: 1_000,
    headersTimeout: opts.fetchBudgetMs,
    bodyTimeout: opts.fetchBudgetMs,
  });

  return async (state, token) => {
    let header: ProtectedHeaderParameters;
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      return reject(NOT_A_JWT);
    }
    if (typeof claims.iss !== 'string') return reject(missingClaim('iss'));
    // docs/aws-facts.md 1.3 / 2.1: the provider Url is kept without its scheme and must correspond to `iss` exactly.
    const provider = claims.iss.startsWith('https://') ? state.providerByUrl(claims.iss.slice(8)) : undefined;
    if (!provider) return reject(`No OpenIDConnect provider found in your account for ${claims.iss}`);

    // docs/aws-facts.md 1.3: JWKS caching by STS is NOT FOUND, so the lab fetches both documents on every call.
    const keys = await fetchVerificationKeys(agent, claims.iss, opts.fetchBudgetMs);
    // docs/aws-facts.md 1.3 (PIW #12): kid is matched exactly; an absent kid is not an empty one.
    const jwk = keys?.find((k) => typeof k.kid === 'string' && k.kid === header.kid);
    if (!jwk) return reject(COULD_NOT_RETRIEVE_KEY);
    try {
      const alg = header.alg ?? '';
      if (!SIGNING_ALGORITHMS.includes(alg)) throw new Error(`algorithm ${alg} not accepted`);
      await compactVerify(token, await verificationKey(jwk, alg), { algorithms: SIGNING_ALGORITHMS });
    } catch {
      return reject(BAD_SIGNATURE);
    }

    // docs/aws-facts.md 1.2: timestamps must be integers; 1.3: "Claims must include a value for iat".
    if (!Number.isInteger(claims.iat)) return reject(missingClaim('iat'));
    if (!Number.isInteger(claims.exp)) return reject(missingClaim('exp'));
    const now = Math.floor(Date.now() / 1000);
    const exp = claims.exp as number;
    if (now > exp + CLOCK_SKEW_SECONDS) {
      // docs/aws-facts.md 1.3: the 2024 form of the message, with a space before the second number (DISAGREE by date).
      return {
        ok: false,
        code: 'ExpiredTokenException',
        message: `Token expired: current date/time ${now} must be before the expiration date/time ${exp}`,
      };
    }

    // docs/aws-facts.md 1.3: some `aud` must be in the provider's ClientIDList.
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
    const audience = audiences.find((a) => provider.clientIds.includes(a));
    if (audience === undefined) return reject('Incorrect token audience');
    if (typeof claims.sub !== 'string') return reject(missingClaim('sub'));
    return { ok: true, token: { provider, subject: claims.sub, audience } };
  };
}

/**
 * Imported keys by their JWK's content and algorithm: the JWKS is still fetched on every call, but importing its key
 * each time was most of the cost of a verification (measured).
 */
type VerificationKey = ReturnType<typeof importJWK>;
const imported = new Map<string, VerificationKey>();
const IMPORTED_MAX = 4096;
const IMPORTED_ID_MAX = 8192;

/** jose's importJWK of the fetched key, once per distinct key: a key is what its JWK says, wherever it came from. */
function verificationKey(jwk: JWK, alg: string): VerificationKey {
  // Not kept: a JWK that does not import (the next call fails the same way), and a nested or outsize one (a real key
  // is a flat object well under a KiB of JSON).
  const flat = Object.values(jwk).every(
    (v) => typeof v !== 'object' || (Array.isArray(v) && v.every((item) => typeof item === 'string')),
  );
  if (!flat) return importJWK(jwk, alg);
  const id = `${alg}\u0000${JSON.stringify(jwk)}`;
  let key = imported.get(id);
  if (key === undefined) {
    key = importJWK(jwk, alg);
    if (id.length > IMPORTED_ID_MAX) return key;
    if (imported.size >= IMPORTED_MAX) imported.clear();
    key.catch(() => imported.delete(id));
    imported.set(id, key);
  }
  return key;
}

/**
 * GET `<iss>/.well-known/openid-configuration`, then its `jwks_uri`, as STS does: anonymously, HTTPS only, no
 * redirects (undici's request follows none without the redirect interceptor), within one time budget for both.
 * Any failure yields undefined (docs/aws-facts.md 1.3: every cause ends in the same "Couldn't retrieve" error).
 */
async function fetchVerificationKeys(agent: Agent, issuer: string, budgetMs: number): Promise<JWK[] | undefined> {
  const signal = AbortSignal.timeout(budgetMs);
  try {
    const discovery = await getJson(agent, `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, signal);
    const jwksUri = isObject(discovery) ? discovery.jwks_uri : undefined;
    if (typeof jwksUri !== 'string' || !jwksUri.startsWith('https://')) return undefined;
    const jwks = await getJson(agent, jwksUri, signal);
    const keys = isObject(jwks) ? jwks.keys : undefined;
    return Array.isArray(keys) ? keys.filter(isObject) : undefined;
  } catch {
    return undefined;
  }
}

/** One anonymous GET; only standard headers are sent (no lab-only source headers), so the edge sees an internet caller. */
async function getJson(agent: Agent, url: string, signal: AbortSignal): Promise<unknown> {
  if (!url.startsWith('https://')) throw new Error('not https');
  const res = await request(url, { method: 'GET', dispatcher: agent, signal, headers: { accept: 'application/json' } });
  if (res.statusCode !== 200) {
    // Drain (bounded by undici's dump limit) rather than destroy: a destroyed body emits an unhandled AbortError.
    await res.body.dump().catch(() => undefined);
    throw new Error(`HTTP ${res.statusCode}`);
  }
  return await res.body.json();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
