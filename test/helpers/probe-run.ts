// Runs real probes against lab clusters as the agent does: one fetcher and one AWS client factory (so CloudTrail is
// one rate-limited scan per account-region, shared by every cluster), every applicable probe, each handed its previous
// result for change detection. Returns ProbeResults: what the diagnosis and the declaration tests read.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadProbes } from '../../probes/index.ts';
import type { ProbeSettings } from '../../probes/index.ts';
import { createAwsClientFactory } from '../../src/clients/aws-factory.ts';
import { createHttpFetcher } from '../../src/clients/http-fetcher.ts';
import { createKubeAccess } from '../../src/clients/kube-client.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ClusterConfig } from '../../src/core/cluster.ts';
import { statusOf } from '../../src/core/model.ts';
import type { ProbeName, ProbeResult } from '../../src/core/model.ts';
import type { Probe, ProbeContext } from '../../src/core/probe.ts';
import { agentConfigYaml } from '../../src/lab-adapter.ts';
import type { Lab } from '../../src/lab/index.ts';
import { readTokenFile } from '../../src/scheduler/runner.ts';

export interface ProbeRunner {
  /** Every applicable probe (or those named) for one lab cluster, at once. */
  run(cluster: string, only?: ProbeName[]): Promise<ProbeResult[]>;
  close(): Promise<void>;
}

export interface ProbeRunnerOptions {
  /** Changes a cluster's config as a user would (e.g. set signingKeys.verifyServiceAccount). */
  tweak?: (cluster: ClusterConfig) => ClusterConfig;
  /** How long a CloudTrail scan serves later runs. Default 0: every run scans again, so changes between runs show. */
  trailFreshMs?: number;
  /** Changes the probes' settings (`probes:` in the config file), e.g. latency thresholds. */
  tweakProbes?: (probes: ProbeSettings) => ProbeSettings;
}

export async function createProbeRunner(lab: Lab, opts: ProbeRunnerOptions = {}): Promise<ProbeRunner> {
  const tweak = opts.tweak ?? ((c: ClusterConfig) => c);
  const file = join(await mkdtemp(join(tmpdir(), 'irsa-run-')), 'config.yaml');
  await writeFile(file, agentConfigYaml(lab.info(), lab.kubeconfigFile));
  const loaded = loadConfig(file, {});
  const config = {
    ...loaded,
    clusters: loaded.clusters.map(tweak),
    probes: opts.tweakProbes ? opts.tweakProbes(loaded.probes) : loaded.probes,
  };
  const probes = await loadProbes(config.probes);
  const aws = createAwsClientFactory(config.accounts, { trail: { freshMs: opts.trailFreshMs ?? 0 } });
  const http = createHttpFetcher();
  const previous = new Map<string, ProbeResult>();

  const runOne = async (probe: Probe, clusterName: string): Promise<ProbeResult | undefined> => {
    const cluster = config.clusters.find((c) => c.name === clusterName);
    if (cluster === undefined) throw new Error(`the lab has no cluster ${clusterName}`);
    if (probe.appliesTo && !probe.appliesTo(cluster)) return undefined;
    const clients = aws.forAccount(cluster.account, cluster.region);
    const key = `${clusterName}/${probe.name}`;
    const before = previous.get(key);
    const ctx: ProbeContext = {
      http,
      log: pino({ level: 'silent' }),
      now: () => new Date(),
      signal: AbortSignal.timeout(30_000),
      readTokenFile,
      ...(before && { previous: before }),
      ...(clients && { aws: clients }),
      ...(cluster.kube && { kube: createKubeAccess(cluster.kube) }),
    };
    const startedAt = new Date();
    const outcome = await probe.run(cluster, ctx);
    const result: ProbeResult = {
      cluster: clusterName,
      probe: probe.name,
      status: statusOf(outcome.findings),
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      findings: outcome.findings,
      ...(outcome.observations !== undefined && { observations: outcome.observations }),
    };
    previous.set(key, result);
    return result;
  };

  return {
    async run(cluster, only) {
      const chosen = Object.values(probes).filter((p) => only === undefined || only.includes(p.name));
      const results = await Promise.all(chosen.map((p) => runOne(p, cluster)));
      return results.filter((r): r is ProbeResult => r !== undefined);
    },
    async close() {
      aws.close();
      await http.close();
    },
  };
}
