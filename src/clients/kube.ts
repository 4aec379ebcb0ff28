// What a probe may ask of a cluster's API. The implementation (kube-client.ts) makes the calls with the cluster's
// kubeconfig context (plain HTTPS, or @kubernetes/client-node for exec plugins and the like). Tokens it returns are
// handed to STS and then dropped: never logged or stored.
import type { JWK } from 'jose';
import type { CredentialsRequestInfo } from '../ccoctl/credentials-requests.ts';

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

export interface KubeAccess {
  /** GET /openid/v1/jwks: the keys the API server signs and verifies service-account tokens with. */
  jwks(): Promise<{ keys: JWK[] }>;
  /** TokenRequest for a service account (audiences, expirationSeconds >= 600). */
  createToken(sa: ServiceAccountRef, audiences: string[], expirationSeconds: number): Promise<string>;
  /** A secret's data, decoded; undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** AWS CredentialsRequests (cloudcredential.openshift.io/v1) of the cluster. */
  listCredentialsRequests(): Promise<CredentialsRequestInfo[]>;
}

export const KUBE_ERROR_CODES = [
  /** A cluster-API call failed (`status` holds the HTTP status when there was a response). */
  'KUBE_REQUEST_FAILED',
  /** The kubeconfig cannot be read or is not a valid kubeconfig; the message names the file and, for YAML, where. */
  'KUBECONFIG_INVALID',
  /** The kubeconfig has no context of the configured name. */
  'KUBE_CONTEXT_NOT_FOUND',
] as const;
export type KubeErrorCode = (typeof KUBE_ERROR_CODES)[number];

/** A cluster-API call that failed, or kube access that could not be set up; `status` is the HTTP status if any. */
export class KubeError extends Error {
  readonly code: KubeErrorCode;
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause?: unknown; code?: KubeErrorCode }) {
    super(message, options);
    this.name = 'KubeError';
    this.status = status;
    this.code = options?.code ?? 'KUBE_REQUEST_FAILED';
  }
}
