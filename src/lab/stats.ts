// What the lab has served, for benchmarks and tests (GET /_lab/v1/stats): requests per service, the issuer documents
// it served (what an issuer probe, blackbox_exporter or STS fetches), and LookupEvents calls per account and region
// with the most seen in any one second. Not an AWS concept.
import type { LabState } from './state.ts';

export type IssuerDocument = 'discovery' | 'jwks';

export interface LabStats {
  /** Requests answered, per service (edge.ts ServiceName). */
  requests: Record<string, number>;
  /** GET/HEAD of an issuer's discovery document or keys.json answered 200, through S3 or CloudFront. */
  issuerDocuments: Record<IssuerDocument, number>;
  /** LookupEvents calls (answered and throttled) per `<account>/<region>`, and the most in any one second. */
  cloudTrailLookups: Record<string, { answered: number; throttled: number; peakPerSecond: number }>;
}

/** Which issuer document a path names: ccoctl publishes `<issuer>/.well-known/openid-configuration` and `keys.json`. */
export function issuerDocumentOf(path: string): IssuerDocument | undefined {
  if (path.endsWith('/.well-known/openid-configuration')) return 'discovery';
  if (path.endsWith('/keys.json')) return 'jwks';
  return undefined;
}

export class LabCounters {
  readonly #requests = new Map<string, number>();
  readonly #documents: Record<IssuerDocument, number> = { discovery: 0, jwks: 0 };

  /** One answered request; issuer documents are counted when S3 or CloudFront served them. */
  served(service: string, path: string, status: number): void {
    this.#requests.set(service, (this.#requests.get(service) ?? 0) + 1);
    if (status !== 200 || (service !== 's3' && service !== 'cloudfront')) return;
    const doc = issuerDocumentOf(path);
    if (doc !== undefined) this.#documents[doc]++;
  }

  snapshot(state: LabState): LabStats {
    return {
      requests: Object.fromEntries(this.#requests),
      issuerDocuments: { ...this.#documents },
      cloudTrailLookups: Object.fromEntries(
        [...state.lookups].map(([key, c]) => [key, { ...c, peakPerSecond: state.lookupPeaks.get(key) ?? 0 }]),
      ),
    };
  }
}
