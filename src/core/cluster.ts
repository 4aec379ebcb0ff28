// A monitored cluster as probes see it: the probe target. The config loader produces it (src/config), fleet discovery
// and the lab adapter make more; probes only read it. Imports nothing of config, clients or probes.
import type { CredentialsRequestInfo } from '../ccoctl/credentials-requests.ts';
import type { ProbeName } from './model.ts';

/** An AWS region code: us-east-1, eu-central-1, cn-north-1, us-gov-west-1. */
export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** How the cluster was made: ccoctl's OpenShift in STS mode, or EKS with the pod identity webhook. */
export type ClusterFlavor = 'openshift' | 'eks';

/** Token audience the pods of a flavor use: OpenShift's projected token is `openshift`, EKS's webhook `sts.amazonaws.com`. */
export const defaultTokenAudience = (flavor: ClusterFlavor): string =>
  flavor === 'eks' ? 'sts.amazonaws.com' : 'openshift';

export interface ClusterConfig {
  name: string;
  /** The service-account issuer, https://… exactly as in the tokens' iss. */
  issuer: string;
  /** Name of an entry in `accounts`. */
  account?: string;
  region: string;
  labels: Record<string, string>;
  /** Derived from an S3 issuer URL (virtual-hosted or path style) or given. */
  bucket?: { name: string; region: string };
  /**
   * The issuer is a CloudFront distribution in front of a private bucket (ccoctl --create-private-s3-bucket): the
   * identity the bucket must admit. Set (even empty) or implied by a `bucket` that the issuer URL is not on.
   */
  cloudfront?: { originAccessIdentity?: string; distributionArn?: string };
  /** PEM file trusted besides the system store when fetching the issuer (private or lab issuer). */
  caFile?: string;
  /** Its contents, read at load time. */
  caPem?: string;
  /** Access to the cluster's API, for the jwks and roles probes. */
  kube?: { context: string; kubeconfig?: string };
  /** Probes to run for this cluster (default: all that apply). */
  probes?: ProbeName[];
  /**
   * openshift: ccoctl-made, pods' tokens have audience `openshift`; eks: the pod identity webhook, audience
   * `sts.amazonaws.com`. Default openshift.
   */
  flavor: ClusterFlavor;
  /** Client IDs the IAM OIDC provider must list. Default openshift: [openshift, sts.amazonaws.com]; eks: [sts.amazonaws.com]. */
  audiences: string[];
  /** Where the jwks probe learns the keys the cluster signs with (first that is configured wins). */
  signingKeys: SigningKeySources;
  /** Roles the roles probe assumes, and where their list comes from. */
  roles: RoleSources;
}

export interface SigningKeySources {
  /** Read the cluster API's /openid/v1/jwks (needs `kube`). Default true when `kube` is set. */
  fromCluster: boolean;
  /** PEM public keys (ccoctl's serviceaccount-signer.public), read from `publicKeyFiles` at load. */
  publicKeyPems: string[];
  publicKeyFiles: string[];
  /** `namespace/name` of a service account: mint a token for it (needs `kube`) and take its header's kid. */
  fromTokenOf?: string;
  /** Also check OpenShift's staged next key (secret next-bound-service-account-signing-key). Default true for openshift. */
  nextKey: boolean;
  /** `namespace/name` whose freshly minted token must verify against the published JWKS. Default: the first role's. */
  verifyServiceAccount?: string;
}

export interface RoleTarget {
  arn: string;
  /** `namespace/name` of the service account whose token assumes it. */
  serviceAccount: string;
  /** Token audience. Default: `openshift` (openshift) or `sts.amazonaws.com` (eks). */
  audience?: string;
  /** Read the token from this file (the agent's own projected token) instead of TokenRequest. */
  tokenFile?: string;
}

export interface RoleSources {
  /** Roles given explicitly. */
  list: RoleTarget[];
  /** CredentialsRequests read at load from `credentialsRequestsDir` (oc adm release extract --credentials-requests). */
  credentialsRequests: CredentialsRequestInfo[];
  credentialsRequestsDir?: string;
  /** ccoctl's `--name` for roles named from CredentialsRequests (`<name>-<ns>-<secret>`). Default: the cluster name. */
  ccoctlName?: string;
  /** Read the CredentialsRequests and their secrets' role_arn from the cluster itself (needs `kube`). Default false. */
  fromCluster: boolean;
  /** Requested session length for assume tests (STS minimum 900). Default 900. */
  sessionDurationSeconds: number;
  /** Prove returned credentials with one GetCallerIdentity before dropping them. Default false. */
  verifyCredentials: boolean;
}
