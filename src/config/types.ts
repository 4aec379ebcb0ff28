// The agent's configuration after loading and validation: what the rest of the agent reads. The zod schema in
// schema.ts produces exactly these shapes (defaults filled, S3 bucket derived from the issuer where possible).
import type { CredentialsRequestInfo } from '../ccoctl/credentials-requests.ts';
import type { ProbeName } from '../model.ts';

export interface AwsCredentialsConfig {
  /** default: the SDK's default provider chain; profile: a named profile; assumeRole: a role assumed from the chain. */
  source: 'default' | 'profile' | 'assumeRole' | 'static';
  profile?: string;
  roleArn?: string;
  externalId?: string;
  /** Only for the lab (`static`): keys given in the config, usually as ${ENV} references. */
  accessKeyId?: string;
  secretAccessKey?: string;
}

export interface AccountConfig {
  /** A name clusters refer to (`account:`), e.g. "prod". */
  name: string;
  /** 12-digit AWS account id. */
  id: string;
  credentials: AwsCredentialsConfig;
  /** Endpoint override for every AWS service (the lab). */
  endpoint?: string;
  /** PEM file trusted for that endpoint (the lab CA). */
  caFile?: string;
  /** Monitor every IAM OIDC provider of the account, re-listed on a schedule. */
  discover?: DiscoverySettings;
}

export interface DiscoverySettings {
  /** When the providers are listed again. Default every 30 minutes. */
  cron: string;
  /** Region of an issuer whose URL names none. Default us-east-1. */
  region: string;
  /** Probes of discovered clusters. Default issuer, jwks, bucket, cloudtrail. */
  probes: ProbeName[];
}

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
  flavor: 'openshift' | 'eks';
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

export interface ProbeSchedule {
  /** node-cron expression (seconds field allowed), e.g. "*\/1 * * * *". */
  cron: string;
  /** Per-run budget; after it the result is `unknown` with PROBE_TIMEOUT. */
  timeoutMs: number;
  enabled: boolean;
}

export interface IssuerProbeSettings {
  /** Above this the issuer is slow (warn). Default 2000. */
  warnLatencyMs: number;
  /** Above this STS gives up (fail). Default 5000. */
  failLatencyMs: number;
  connectTimeoutMs: number;
  /** Response size cap. Default 1 MiB. */
  maxBytes: number;
  /** Warn when the TLS certificate expires within this many days. Default 14. */
  tlsExpiryWarnDays: number;
}

export interface CloudTrailProbeSettings {
  /** AssumeRoleWithWebIdentity events are counted over this window. Default 60. */
  windowMinutes: number;
  /** Bucket and Block Public Access changes are reported this long. Default 24. */
  changeWindowHours: number;
  /** Each scan reaches back this far before the last one's end (delivery delay). Default 15. */
  overlapMinutes: number;
  /** ASSUME_FAILURES_RECENT fails above this many failures per cluster in the window (warns from 1). Default 10. */
  failAbove: number;
  /** Scanned besides each cluster's region (the global STS endpoint logs in us-east-1). Default [us-east-1]. */
  extraRegions: string[];
  /** LookupEvents pages one scan of one event name may read. Default 200. */
  maxPages: number;
}

export interface BucketProbeSettings {
  /** Confirm the evaluator's verdict with anonymous GETs of the documents. Default true. */
  confirm: boolean;
}

export interface AgentConfig {
  /** Files the configuration was read from. */
  sources: string[];
  clusters: ClusterConfig[];
  accounts: AccountConfig[];
  schedules: Record<ProbeName, ProbeSchedule>;
  probes: { issuer: IssuerProbeSettings; bucket: BucketProbeSettings; cloudtrail: CloudTrailProbeSettings };
  /** Probe runs in flight at once, across the fleet. */
  concurrency: number;
  /** Bound on waiting for in-flight runs at shutdown. */
  shutdownGraceMs: number;
  storage: { dataDir: string; retentionDays: number; inMemory: boolean };
  server: { host: string; port: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' };
  /** Start the lab embedded and monitor its fleet (demo, tests). */
  lab?: {
    port: number;
    dataDir: string;
    /** The lab's fleet (see src/lab/fleet.ts): clusters and faults applied at start. */
    fleet: Record<string, unknown>;
  };
}
