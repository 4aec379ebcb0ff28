// The one link between the agent and the lab (src/lab/ knows nothing of the agent, src/config/ nothing of the lab):
// the schema of the config's `lab.fleet` (the lab's own fleet file format), the agent's view of a running lab (its
// clusters and the `lab` account, merged into a config or written out as a standalone file), and the embedded lab,
// loaded with a dynamic import only when the config has a `lab:` block.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { LAB_RECEIVER_URL } from './config/alerts-schema.ts';
import { clusterDefaults } from './config/defaults.ts';
import type { AccountConfig, AgentConfig, ClusterConfig } from './config/types.ts';
import type { LabInfo } from './lab/control.ts';
import { DEFAULT_FLEET, fleetNames, fleetSchema } from './lab/fleet.ts';
import type { Lab } from './lab/index.ts';
import { registerSecrets } from './redact.ts';

/** The account `labFleetConfig` adds for a lab; a file with a `lab:` block cannot define its own. */
export const LAB_ACCOUNT = 'lab';

/** The config's `lab.fleet`: the lab's fleet file format, and the cluster names a fleet makes. */
export const labFleet = {
  schema: fleetSchema
    .prefault(DEFAULT_FLEET)
    .describe(
      "The lab's clusters (with faults applied at start), as in src/lab/fleet.ts. Default: prod-east, prod-west, staging.",
    ),
  names: fleetNames,
};

/** The lab user whose keys the agent uses: allowed exactly the calls the probes make. */
const AGENT_USER = 'sentinel';

export class LabInfoError extends Error {
  readonly code = 'LAB_INFO_INVALID';
}

/**
 * The lab's code cannot be loaded: its own dependencies (optionalDependencies in package.json: a certificate library,
 * an XML parser, a SigV4 hash) are left out of a production install made with `npm ci --omit=optional`.
 */
export class LabUnavailableError extends Error {
  readonly code = 'LAB_UNAVAILABLE';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(
      `the lab cannot be loaded (${reason}): its dependencies are optional and not installed here (npm ci --omit=optional); remove lab: from the config, or install them`,
      options,
    );
    this.name = 'LabUnavailableError';
  }
}

type LabModule = typeof import('./lab/index.ts');

/** The lab's code, loaded on demand; LabUnavailableError when a module it needs is not installed. */
export async function loadLab(load: () => Promise<LabModule> = () => import('./lab/index.ts')): Promise<LabModule> {
  try {
    return await load();
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new LabUnavailableError((err as Error).message, { cause: err });
  }
}

function labAccount(info: LabInfo): AccountConfig {
  const user = info.users.find((u) => u.name === AGENT_USER);
  if (!user) throw new LabInfoError(`the lab at ${info.endpoint} has no user ${AGENT_USER}`);
  return {
    name: LAB_ACCOUNT,
    id: info.accountId,
    credentials: { source: 'static', accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    endpoint: info.endpoint,
    caFile: info.caFile,
  };
}

/** Lab clusters are OpenShift-like (ccoctl-made roles) and reachable with the lab's kubeconfig contexts. */
function labClusters(info: LabInfo, kubeconfig?: string): ClusterConfig[] {
  return info.clusters.map((c) => {
    const defaults = clusterDefaults('openshift', true);
    return {
      name: c.name,
      issuer: c.issuer,
      account: LAB_ACCOUNT,
      region: info.region,
      labels: {},
      bucket: { name: c.bucket, region: info.region },
      // A private bucket behind the lab's CloudFront (ccoctl --create-private-s3-bucket): the OAI it must admit.
      ...(c.topology === 'cloudfront' && c.oaiArn !== undefined
        ? { cloudfront: { originAccessIdentity: c.oaiArn } }
        : {}),
      caFile: info.caFile,
      kube: kubeconfig === undefined ? { context: c.name } : { context: c.name, kubeconfig },
      ...defaults,
      roles: { ...defaults.roles, fromCluster: true },
    };
  });
}

/**
 * `base` with the lab's clusters and its `lab` account added. The clusters' kube contexts are those of the lab's
 * kubeconfig, `kubeconfig` the file holding it (Lab.kubeconfigFile; default: the standard lookup). `caPem` defaults
 * to the contents of info.caFile.
 */
export function labFleetConfig(
  info: LabInfo,
  base: AgentConfig,
  caPem: string = readFileSync(info.caFile, 'utf8'),
  kubeconfig?: string,
): AgentConfig {
  return {
    ...base,
    clusters: [...base.clusters, ...labClusters(info, kubeconfig).map((c) => ({ ...c, caPem }))],
    accounts: [...base.accounts, labAccount(info)],
  };
}

/**
 * A standalone config file (no `lab:` block) that watches the lab's fleet as a real user's setup would; served
 * by the lab at GET /_lab/v1/agent-config. `kubeconfig`, when given, is the file holding the lab's contexts.
 */
export function agentConfigYaml(info: LabInfo, kubeconfig?: string): string {
  const header = [
    `irsa-sentinel configuration for the lab at ${info.endpoint} (GET /_lab/v1/agent-config).`,
    'It watches the lab fleet as a real setup would: irsa-sentinel check --config <this file>.',
    `The lab's keys are random per start and local, so the read-only "${AGENT_USER}" user's keys are written here;`,
    'with real AWS never write keys in a file: use credentials.source default, profile or assumeRole.',
    ...(kubeconfig === undefined
      ? ["Kube contexts are the lab's: save GET /_lab/v1/kubeconfig and point KUBECONFIG at it."]
      : []),
  ];
  // What the lab clusters differ in from the defaults of a cluster with kube: roles read from the cluster.
  const clusters = labClusters(info, kubeconfig).map((c) => ({
    name: c.name,
    issuer: c.issuer,
    account: c.account,
    region: c.region,
    bucket: c.bucket,
    ...(c.cloudfront && { cloudfront: c.cloudfront }),
    caFile: c.caFile,
    kube: c.kube,
    flavor: c.flavor,
    roles: { fromCluster: c.roles.fromCluster },
  }));
  const body = { accounts: [labAccount(info)], clusters };
  return header.map((l) => `# ${l}`).join('\n') + '\n' + stringify(body);
}

/** Starts the lab of `config.lab` and returns it with the config that watches its fleet. */
export async function startEmbeddedLab(
  config: AgentConfig,
  log: Logger,
  load?: () => Promise<LabModule>,
): Promise<{ lab: Lab; config: AgentConfig }> {
  const settings = config.lab;
  if (!settings) throw new Error('startEmbeddedLab needs a config with a lab: block');
  const { startLab } = await loadLab(load);
  const lab = await startLab({
    port: settings.port,
    dataDir: settings.dataDir,
    fleet: settings.fleet,
    agentConfig: agentConfigYaml,
  });
  const merged = withRunningLab(config, lab);
  log.info(
    {
      endpoint: lab.endpoint,
      caFile: lab.caFile,
      controlTokenFile: lab.controlTokenFile,
      clusters: merged.clusters.length,
    },
    `lab started at ${lab.endpoint} (CA ${lab.caFile}, control token in ${lab.controlTokenFile})`,
  );
  return { lab, config: merged };
}

/** `config` watching a running lab: its fleet and account added, `lab:receiver` sinks pointed at it (a reload, too). */
export function withRunningLab(config: AgentConfig, lab: Lab): AgentConfig {
  return withLabReceiver(labFleetConfig(lab.info(), config, lab.caPem, lab.kubeconfigFile), lab);
}

/**
 * Webhook sinks whose url is `lab:receiver` post to the lab's demo receiver (POST /_lab/v1/receiver), trusting the
 * lab CA and sending the control token every /_lab/v1 route needs. The token is registered with the redaction.
 */
export function withLabReceiver(
  config: AgentConfig,
  lab: Pick<Lab, 'endpoint' | 'caPem' | 'controlToken'>,
): AgentConfig {
  if (!config.alerts.sinks.some((s) => s.url === LAB_RECEIVER_URL)) return config;
  registerSecrets([lab.controlToken]);
  const sinks = config.alerts.sinks.map((s) =>
    s.type === 'webhook' && s.url === LAB_RECEIVER_URL
      ? {
          ...s,
          url: `${lab.endpoint}/_lab/v1/receiver`,
          caPem: lab.caPem,
          headers: { ...s.headers, authorization: `Bearer ${lab.controlToken}` },
        }
      : s,
  );
  return { ...config, alerts: { ...config.alerts, sinks } };
}
