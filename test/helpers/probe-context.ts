// A lab cluster as a probe sees it in production: its ClusterConfig loaded from the config file the lab serves
// (GET /_lab/v1/agent-config, naming the lab's kubeconfig file), and a full ProbeContext: the real HTTP fetcher, AWS
// clients as the read-only lab user `sentinel`, kube access through the kubeconfig context, the token-file reader.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createAwsClientFactory } from '../../src/clients/aws-factory.ts';
import { createHttpFetcher } from '../../src/clients/http-fetcher.ts';
import { createKubeAccess } from '../../src/clients/kube-client.ts';
import { agentConfigYaml } from '../../src/lab-adapter.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import type { Lab } from '../../src/lab/index.ts';
import type { ProbeContext } from '../../src/core/probe.ts';
import { readTokenFile } from '../../src/scheduler/runner.ts';

export interface LabProbeTarget {
  /** roles.fromCluster is true, as for every lab cluster. */
  cluster: ClusterConfig;
  ctx: ProbeContext;
  /** Releases the fetcher's and the AWS clients' sockets. */
  close(): Promise<void>;
}

export async function labProbeTarget(lab: Lab, clusterName: string): Promise<LabProbeTarget> {
  const file = join(await mkdtemp(join(tmpdir(), 'irsa-probe-')), 'config.yaml');
  await writeFile(file, agentConfigYaml(lab.info(), lab.kubeconfigFile));
  const config = loadConfig(file, {});
  const cluster = config.clusters.find((c) => c.name === clusterName);
  if (cluster === undefined) throw new Error(`the lab has no cluster ${clusterName}`);
  const aws = createAwsClientFactory(config.accounts);
  const clients = aws.forAccount(cluster.account, cluster.region);
  const http = createHttpFetcher();
  const ctx: ProbeContext = {
    http,
    log: pino({ level: 'silent' }),
    now: () => new Date(),
    signal: new AbortController().signal,
    readTokenFile,
    ...(clients === undefined ? {} : { aws: clients }),
    ...(cluster.kube === undefined ? {} : { kube: createKubeAccess(cluster.kube) }),
  };
  return {
    cluster,
    ctx,
    async close() {
      aws.close();
      await http.close();
    },
  };
}
