// Pure checks behind the jwks probe: kids of keys, which cluster keys the published JWKS lacks or keeps too long,
// what changed since the last run, and what the IAM OIDC provider lacks.
import { createHash, createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import type { ServiceAccountRef } from '../../src/clients/kube.ts';
import type { ClusterConfig } from '../../src/core/cluster.ts';
import { finding } from './findings.ts';
import { clip, parseJsonBody } from '../shared/json-body.ts';
import type { Finding } from '../../src/core/model.ts';

/** kube-apiserver's and ccoctl's kid: base64url(SHA-256(DER SubjectPublicKeyInfo)) (docs/aws-facts.md 5, 6). */
export const kidOfPem = (pem: string): string =>
  createHash('sha256')
    .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
    .digest('base64url');

export const sha256Hex = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

export { discoveryUrlOf, providerArnOf } from '../shared/issuer-urls.ts';

/** `namespace/name` as a service account reference; undefined when it is not one. */
export function parseServiceAccount(ref: string | undefined): ServiceAccountRef | undefined {
  const m = ref === undefined ? null : /^([^/\s]+)\/([^/\s]+)$/.exec(ref);
  return m ? { namespace: m[1]!, name: m[2]! } : undefined;
}

/**
 * The service account whose fresh token must verify against the published JWKS: signingKeys.verifyServiceAccount,
 * else the first listed role's, else the first CredentialsRequest's first service account. Roles read from the
 * cluster are not known before the roles probe runs, so those clusters need verifyServiceAccount.
 */
export function verifyServiceAccountOf(cluster: ClusterConfig): ServiceAccountRef | undefined {
  const cr = cluster.roles.credentialsRequests[0];
  return (
    parseServiceAccount(cluster.signingKeys.verifyServiceAccount ?? cluster.roles.list[0]?.serviceAccount) ??
    (cr?.serviceAccounts[0] !== undefined ? { namespace: cr.secretNamespace, name: cr.serviceAccounts[0] } : undefined)
  );
}

/** A JWK member: a string, a boolean (`ext`) or a list of strings (`key_ops`, `x5c`). */
const isJwkMember = (v: unknown): boolean =>
  typeof v === 'string' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));

/**
 * The keys (objects, with only the members a JWK can have: jose clones the set, and a member nested 10,000 deep would
 * overflow the stack) and kids of a published JWKS body, or why it has none to judge.
 */
export function publishedKeysOf(body: Buffer): { keys: JWK[]; kids: string[] } | { problem: string } {
  const parsed = parseJsonBody(body);
  if ('problem' in parsed) return { problem: `the JWKS is not JSON (${parsed.problem})` };
  const doc = parsed.value;
  const keys = typeof doc === 'object' && doc !== null ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) return { problem: 'the JWKS has no "keys" array' };
  const valid = (keys as unknown[])
    .filter((k): k is Record<string, unknown> => typeof k === 'object' && k !== null && !Array.isArray(k))
    .map((k) => Object.fromEntries(Object.entries(k).filter(([, v]) => isJwkMember(v))) as JWK);
  return { keys: valid, kids: valid.flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : [])) };
}

/** STALE_KEY_PUBLISHED findings made one by one; the rest are counted in one more. */
const MAX_STALE_FINDINGS = 10;

export interface ClusterKeys {
  /** Kids the cluster signs (or may sign) tokens with now. */
  signingKids: string[];
  /** A staged next key (OpenShift rotation). */
  nextKid?: string;
}

/** Every signing kid published (fail), the next one too (warn), and no published kid the cluster does not know (warn). */
export function keyFindings(cluster: ClusterKeys, publishedKids: string[]): Finding[] {
  const { signingKids, nextKid } = cluster;
  const published = new Set(publishedKids);
  const known = new Set([...signingKids, ...(nextKid !== undefined ? [nextKid] : [])]);
  const evidence = (kid: string) => ({ kid, publishedKids });
  const stale = publishedKids.filter((kid) => !known.has(kid));
  const more = stale.length - MAX_STALE_FINDINGS;
  return [
    ...signingKids
      .filter((kid) => !published.has(kid))
      .map((kid) =>
        finding(
          'SIGNING_KEY_NOT_PUBLISHED',
          `The cluster signs tokens with key ${kid}, which the issuer's JWKS lacks.`,
          {
            subject: kid,
            evidence: evidence(kid),
          },
        ),
      ),
    ...(nextKid !== undefined && !published.has(nextKid)
      ? [
          finding('NEXT_SIGNING_KEY_NOT_PUBLISHED', `The staged next signing key ${nextKid} is not published yet.`, {
            subject: nextKid,
            evidence: evidence(nextKid),
          }),
        ]
      : []),
    // Published kids are the publisher's text: quoted cut, and a JWKS of a thousand keys is not a thousand findings.
    ...stale.slice(0, MAX_STALE_FINDINGS).map((kid) =>
      finding('STALE_KEY_PUBLISHED', `The JWKS publishes key ${clip(kid)}, which the cluster does not use.`, {
        subject: clip(kid),
        evidence: { kid: clip(kid), clusterKids: [...known] },
      }),
    ),
    ...(more > 0
      ? [
          finding(
            'STALE_KEY_PUBLISHED',
            `The JWKS publishes ${more} more keys the cluster does not use (${stale.length} in all).`,
          ),
        ]
      : []),
  ];
}

export interface PublishedFacts {
  publishedKids: string[];
  discoverySha256: string;
  jwksSha256: string;
}

/** JWKS_CHANGED when the last run saw other kids or other documents; nothing on a first run. */
export function changeFinding(
  previous: Record<string, unknown> | undefined,
  now: PublishedFacts,
  jwksUri: string,
): Finding | undefined {
  const before = previous?.publishedKids;
  if (!Array.isArray(before)) return undefined;
  const added = now.publishedKids.filter((k) => !before.includes(k));
  const removed = (before as unknown[]).filter(
    (k): k is string => typeof k === 'string' && !now.publishedKids.includes(k),
  );
  const discoveryChanged = previous?.discoverySha256 !== now.discoverySha256;
  const jwksChanged = previous?.jwksSha256 !== now.jwksSha256;
  if (added.length === 0 && removed.length === 0 && !discoveryChanged && !jwksChanged) return undefined;
  const what = [discoveryChanged && 'discovery document', (jwksChanged || added.length || removed.length) && 'JWKS'];
  return finding(
    'JWKS_CHANGED',
    `The published ${what.filter(Boolean).join(' and ')} changed since the last run (kids added: ${added.length}, removed: ${removed.length}).`,
    { subject: jwksUri, evidence: { added, removed, discoveryChanged } },
  );
}

/** Each expected audience the provider's client IDs lack (STS: "Incorrect token audience"). */
export const audienceFindings = (arn: string, expected: string[], clientIds: string[]): Finding[] =>
  expected
    .filter((aud) => !clientIds.includes(aud))
    .map((aud) =>
      finding('OIDC_PROVIDER_AUDIENCE_MISSING', `The IAM OIDC provider does not list the audience ${aud}.`, {
        subject: aud,
        evidence: { providerArn: arn, clientIds },
      }),
    );
