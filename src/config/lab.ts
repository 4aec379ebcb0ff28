// The agent's view of a running lab: its clusters and the `lab` account (the read-only `sentinel` user), either
// merged into a loaded config (`lab:` block) or written out as a standalone config file a user can run.
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { LabInfo } from '../lab/control.ts';
import { clusterDefaults } from './defaults.ts';
import { LAB_ACCOUNT } from './schema.ts';
import type { AccountConfig, AgentConfig, ClusterConfig } from './types.ts';

/** The lab user whose keys the agent uses: allowed exactly the calls the probes make. */
const AGENT_USER = 'sentinel';

export class LabInfoError extends Error {
  readonly code = 'LAB_INFO_INVALID';
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
