// What the jwks probe compares, gathered through the probe context: the cluster's signing kids (from the first
// configured source), its staged next kid, and the published JWKS behind the issuer's discovery document.
import { decodeProtectedHeader, errors as joseErrors } from 'jose';
import type { JWK } from 'jose';
import { FetchError } from '../../src/clients/http.ts';
import type { AddressGuard, FetchOptions, HttpFetcher } from '../../src/clients/http.ts';
import { KubeError } from '../../src/clients/kube.ts';
import type { KubeAccess } from '../../src/clients/kube.ts';
import { defaultTokenAudience } from '../../src/core/cluster.ts';
import type { ClusterConfig } from '../../src/core/cluster.ts';
import { documentUrlVerdict, issuerGuard } from '../shared/fetch-policy.ts';
import { clip, parseJsonObject } from '../shared/json-body.ts';
import { discoveryUrlOf, kidOfPem, parseServiceAccount, publishedKeysOf, sha256Hex } from './checks.ts';

/** One side of the comparison could not be read; the message says why (never a token). */
export class KeysUnreadableError extends Error {
  readonly code = 'KEYS_UNREADABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeysUnreadableError';
  }
}

/** Known failures become KeysUnreadableError with `what` in front; anything else is a bug and propagates. */
async function reading<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const known =
      err instanceof KubeError || err instanceof FetchError || err instanceof joseErrors.JOSEError || isKeyError(err);
    if (!known) throw err;
    throw new KeysUnreadableError(`${what}: ${(err as Error).message}`, { cause: err });
  }
}

/** node:crypto's complaint about a PEM that is not a public key. */
const isKeyError = (err: unknown): boolean =>
  err instanceof Error && /^ERR_(OSSL|INVALID_ARG|CRYPTO)/.test((err as { code?: string }).code ?? '');

/** The kids the cluster signs with, from the first configured source (fromCluster, publicKeyPems, fromTokenOf). */
export function readSigningKids(cluster: ClusterConfig, kube: KubeAccess | undefined): Promise<string[]> {
  const { fromCluster, publicKeyPems, fromTokenOf } = cluster.signingKeys;
  const needKube = (source: string): KubeAccess => {
    if (!kube) throw new KeysUnreadableError(`${source} needs kube access, and the cluster has none configured`);
    return kube;
  };
  if (fromCluster)
    return reading("the cluster API's /openid/v1/jwks", async () => {
      const { keys } = await needKube('signingKeys.fromCluster').jwks();
      return keys.flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : []));
    });
  if (publicKeyPems.length > 0)
    return reading('signingKeys.publicKeyFiles', () => Promise.resolve(publicKeyPems.map(kidOfPem)));
  const sa = parseServiceAccount(fromTokenOf);
  if (!sa)
    return Promise.reject(
      new KeysUnreadableError(
        fromTokenOf === undefined
          ? 'no signing-key source is configured (signingKeys)'
          : `signingKeys.fromTokenOf ${JSON.stringify(fromTokenOf)} is not namespace/name`,
      ),
    );
  return reading(`a token minted for ${fromTokenOf}`, async () => {
    const token = await needKube('signingKeys.fromTokenOf').createToken(
      sa,
      [defaultTokenAudience(cluster.flavor)],
      600,
    );
    const { kid } = decodeProtectedHeader(token);
    if (typeof kid !== 'string') throw new KeysUnreadableError('the token header has no kid');
    return [kid];
  });
}

/** OpenShift's staged next key (docs/aws-facts.md 5); undefined when no rotation is staged. */
export const readNextKid = (kube: KubeAccess): Promise<string | undefined> =>
  reading(
    'the staged next key (openshift-kube-apiserver-operator/next-bound-service-account-signing-key)',
    async () => {
      const secret = await kube.readSecret(
        'openshift-kube-apiserver-operator',
        'next-bound-service-account-signing-key',
      );
      if (!secret) return undefined;
      const pem = secret['service-account.pub'];
      if (pem === undefined) throw new KeysUnreadableError('the secret has no service-account.pub');
      return kidOfPem(pem);
    },
  );

/** Modest bounds: the issuer probe measures the issuer; this one only needs the documents. */
const FETCH_LIMITS = { connectTimeoutMs: 5000, totalTimeoutMs: 10_000, maxBytes: 1024 * 1024 };

export interface Published {
  /** The discovery document's issuer, when it is a string. */
  discoveryIssuer: string | undefined;
  jwksUri: string;
  keys: JWK[];
  kids: string[];
  discoverySha256: string;
  jwksSha256: string;
}

/** The issuer's discovery document and its JWKS; any failure (the issuer probe's to judge) is KeysUnreadableError. */
export async function fetchPublished(
  http: HttpFetcher,
  cluster: ClusterConfig,
  signal: AbortSignal,
  allowPrivateAddresses = false,
): Promise<Published> {
  const opts: FetchOptions = {
    ...FETCH_LIMITS,
    signal,
    ...(cluster.caPem !== undefined && { ca: cluster.caPem }),
  };
  const get = (what: string, url: string, guard?: AddressGuard) =>
    reading(what, async () => {
      const res = await http.get(url, { ...opts, ...(guard && { guard }) });
      if (res.status !== 200) throw new KeysUnreadableError(`HTTP ${res.status} from ${clip(url)}`);
      return res.body;
    });
  const discoveryBody = await get(
    'the discovery document',
    discoveryUrlOf(cluster.issuer),
    issuerGuard(cluster, allowPrivateAddresses),
  );
  const parsed = parseJsonObject(discoveryBody);
  if ('problem' in parsed) throw new KeysUnreadableError(`the discovery document ${parsed.problem}`);
  const discovery = parsed.value;
  const jwksUri = discovery.jwks_uri;
  if (typeof jwksUri !== 'string') throw new KeysUnreadableError('the discovery document has no jwks_uri');
  if (!URL.canParse(jwksUri)) throw new KeysUnreadableError('the jwks_uri of the discovery document is not a URL');
  // The document chooses this URL: https only, never an address of the agent's own network (the issuer probe reports
  // it as JWKS_URI_INSECURE or JWKS_URI_REFUSED).
  const verdict = documentUrlVerdict(jwksUri, cluster, allowPrivateAddresses);
  if (!verdict.fetch) throw new KeysUnreadableError(`the jwks_uri ${clip(jwksUri)} is not fetched: ${verdict.reason}`);
  const jwksBody = await get('the JWKS', jwksUri, verdict.guard);
  const published = publishedKeysOf(jwksBody);
  if ('problem' in published) throw new KeysUnreadableError(published.problem);
  return {
    ...published,
    // Only a string: the document may hold anything there, nested deeper than a result can be stored.
    discoveryIssuer: typeof discovery.issuer === 'string' ? discovery.issuer : undefined,
    jwksUri,
    discoverySha256: sha256Hex(discoveryBody),
    jwksSha256: sha256Hex(jwksBody),
  };
}
