// Signing keys for simulated clusters: RSA pairs with kube-apiserver's kid, from a small pool so big fleets start fast.
import { createHash, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { exportJWK } from 'jose';
import type { JWK } from 'jose';
import type { SigningKey } from './state.ts';

const generateRsa = promisify(generateKeyPair);

/** kid = base64url(SHA-256(DER SubjectPublicKeyInfo)), no padding (docs/aws-facts.md 5 and 6; samples/testvector-kid.txt). */
export function kidOf(publicKey: import('node:crypto').KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

export async function generateSigningKey(modulusLength = 2048): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength });
  return {
    privateKey,
    publicKey,
    kid: kidOf(publicKey),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const published = new WeakMap<SigningKey, Promise<JWK>>();

/**
 * A JWK as ccoctl publishes it in keys.json: use, kty, kid, alg, n, e (docs/aws-facts.md 5). Exported once per key: pooled
 * keys serve many clusters, and the export was the largest cost of provisioning a big fleet. A fresh copy each call.
 */
export async function publishedJwk(key: SigningKey): Promise<JWK> {
  let jwk = published.get(key);
  if (jwk === undefined) {
    jwk = exportJWK(key.publicKey).then(({ n, e }) => ({ use: 'sig', kty: 'RSA', kid: key.kid, alg: 'RS256', n, e }));
    published.set(key, jwk);
  }
  return { ...(await jwk) };
}

/**
 * Hands out keys round-robin from a pool generated up front (clusters may share a key: each cluster's JWKS is its
 * own), and fresh keys on demand for rotations. RSA generation runs on libuv's thread pool, in parallel.
 */
export class KeyPool {
  readonly #pool: SigningKey[];
  #next = 0;
  readonly #modulusLength: number;

  private constructor(pool: SigningKey[], modulusLength: number) {
    this.#pool = pool;
    this.#modulusLength = modulusLength;
  }

  static async create(size: number, modulusLength = 2048): Promise<KeyPool> {
    const pool = await Promise.all(Array.from({ length: Math.max(1, size) }, () => generateSigningKey(modulusLength)));
    return new KeyPool(pool, modulusLength);
  }

  take(): SigningKey {
    const key = this.#pool[this.#next % this.#pool.length] as SigningKey;
    this.#next++;
    return key;
  }

  fresh(): Promise<SigningKey> {
    return generateSigningKey(this.#modulusLength);
  }
}
