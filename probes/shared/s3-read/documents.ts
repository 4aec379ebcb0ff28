// The two issuer documents STS reads (the discovery document and the JWKS), as URLs and as the object keys ccoctl
// publishes them at in the OIDC bucket: what the bucket and cloudtrail probes evaluate anonymous reads of.
import type { ClusterConfig } from '../../../src/core/cluster.ts';

export interface IssuerDocument {
  url: string;
  /** The object key the document is served from. */
  key: string;
  /** The anonymous GET's status, when it answered. */
  status?: number;
  error?: string;
}

/** The object-key prefix of the issuer: the path after the bucket (path style) or the whole path (virtual-hosted). */
function keyPrefixOf(cluster: ClusterConfig): string {
  if (cluster.cloudfront || !cluster.bucket) return '';
  const path = decodeURIComponent(new URL(cluster.issuer).pathname).replace(/^\/+/, '');
  const bucket = cluster.bucket.name;
  const rest = path === bucket || path.startsWith(`${bucket}/`) ? path.slice(bucket.length) : `/${path}`;
  const trimmed = rest.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

export const issuerBase = (issuer: string): string => (issuer.endsWith('/') ? issuer.slice(0, -1) : issuer);

/** The discovery document and the JWKS, under the object keys ccoctl publishes them at (no fetch). */
export function issuerDocuments(cluster: ClusterConfig, jwksUrl?: string): IssuerDocument[] {
  const base = issuerBase(cluster.issuer);
  const prefix = keyPrefixOf(cluster);
  const jwks = jwksUrl ?? `${base}/keys.json`;
  return [
    { url: `${base}/.well-known/openid-configuration`, key: `${prefix}.well-known/openid-configuration` },
    { url: jwks, key: `${prefix}${decodeURIComponent(jwks.slice(base.length + 1))}` },
  ];
}
