// The S3 bucket (and its region) behind an issuer URL served straight from S3, as ccoctl and most IRSA setups do.
// Any other host (CloudFront, EKS's oidc.eks…, a private server) gives undefined: nothing can be derived.
import { REGION_PATTERN } from '../core/cluster.ts';

export { REGION_PATTERN };

export interface BucketRef {
  name: string;
  region: string;
}

// S3 bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

// The S3 endpoint part of a host, after `<bucket>.` (virtual-hosted) or as the whole host (path style):
//   s3.amazonaws.com                       us-east-1 (global endpoint)
//   s3.<region>.amazonaws.com[.cn]         regional
//   s3.dualstack.<region>.amazonaws.com    dual-stack
//   s3-<region>.amazonaws.com              legacy dash form (s3-external-1 is us-east-1)
const S3_ENDPOINT =
  /^s3(?:\.dualstack\.(?<dual>[a-z0-9-]+)|\.(?<dot>[a-z0-9-]+)|-(?<dash>[a-z0-9-]+))?\.amazonaws\.com(?<cn>\.cn)?$/;

function endpointRegion(endpoint: string): string | undefined {
  const m = S3_ENDPOINT.exec(endpoint);
  if (!m?.groups) return undefined;
  const { dual, dot, dash, cn } = m.groups;
  const given = dual ?? dot ?? dash;
  if (given === undefined) return cn ? undefined : 'us-east-1';
  if (given === 'external-1' && !cn) return 'us-east-1';
  if (!REGION_PATTERN.test(given)) return undefined;
  // The .cn partition holds only cn-* regions, and cn-* regions live only there.
  return given.startsWith('cn-') === Boolean(cn) ? given : undefined;
}

/** The bucket an S3 issuer URL points at, in virtual-hosted or path style; undefined for any other URL. */
export function bucketFromIssuer(issuer: string): BucketRef | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:') return undefined;
  const host = url.hostname;

  const pathRegion = endpointRegion(host);
  if (pathRegion !== undefined) {
    const name = url.pathname.split('/')[1] ?? '';
    return BUCKET_PATTERN.test(name) ? { name, region: pathRegion } : undefined;
  }

  // Virtual-hosted: the bucket is everything before the endpoint; bucket names may themselves contain dots.
  for (let dot = host.indexOf('.'); dot > 0; dot = host.indexOf('.', dot + 1)) {
    const region = endpointRegion(host.slice(dot + 1));
    if (region === undefined) continue;
    const name = host.slice(0, dot);
    return BUCKET_PATTERN.test(name) ? { name, region } : undefined;
  }
  return undefined;
}
