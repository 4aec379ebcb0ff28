// The agent's configuration after loading and validation: what the rest of the agent reads. The zod schema in
// schema.ts produces exactly these shapes (defaults filled, S3 bucket derived from the issuer where possible).
import type { ProbeSettings } from '../../probes/index.ts';
import type { AccessPolicy } from '../core/access.ts';
import type { ClusterConfig } from '../core/cluster.ts';
import type { ProbeName } from '../core/model.ts';
import type { AlertsFileConfig } from './alerts-schema.ts';

export type { ClusterConfig, ClusterFlavor, RoleSources, RoleTarget, SigningKeySources } from '../core/cluster.ts';

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

export interface ProbeSchedule {
  /** node-cron expression (seconds field allowed), e.g. "*\/1 * * * *". */
  cron: string;
  /** Per-run budget; after it the result is `unknown` with PROBE_TIMEOUT. */
  timeoutMs: number;
  enabled: boolean;
}

export interface AgentConfig {
  /** Files the configuration was read from. */
  sources: string[];
  clusters: ClusterConfig[];
  accounts: AccountConfig[];
  schedules: Record<ProbeName, ProbeSchedule>;
  /** Each probe's settings, as the probe declares them (probes/<name>/settings.ts). */
  probes: ProbeSettings;
  /** Probe runs in flight at once, across the fleet. */
  concurrency: number;
  /** Bound on waiting for in-flight runs at shutdown. */
  shutdownGraceMs: number;
  storage: { dataDir: string; retentionDays: number; inMemory: boolean };
  /**
   * allowedHosts: Host header names the API answers to; undefined: the default for `host` (src/api/hosts.ts).
   * publicUrl: where people reach the agent (summary.json and alert links). auth: the API's bearer tokens. access:
   * which read surfaces need a token (src/core/access.ts).
   */
  server: {
    host: string;
    port: number;
    allowedHosts?: string[];
    rateLimit: { max: number; windowSeconds: number };
    publicUrl?: string;
    auth: { tokens: ApiTokenConfig[] };
    access: AccessPolicy;
  };
  alerts: AlertsConfig;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' };
  /** Start the lab embedded and monitor its fleet (demo, tests). */
  lab?: {
    port: number;
    dataDir: string;
    /** The lab's fleet (see src/lab/fleet.ts): clusters and faults applied at start. */
    fleet: Record<string, unknown>;
  };
}

/** A sink as the agent uses it: the file's entry with its secrets read from files and its CA read. */
export type SinkConfig = AlertsFileConfig['sinks'][number] & {
  /** The CA of caFile (or the lab's), read at load. */
  caPem?: string;
  /** Headers added by the agent (the lab receiver's control token). */
  headers?: Record<string, string>;
};

export type AlertsConfig = Omit<AlertsFileConfig, 'sinks'> & { sinks: SinkConfig[] };

export interface ApiTokenConfig {
  name: string;
  token: string;
  tokenFile?: string;
  scopes: ('read' | 'write')[];
}
