// Parts of the agent built from its configuration, at start and again when a reload changes what they depend on: the
// AWS client factory (with its CloudTrail scanners), each cluster's access (AWS clients and cluster API), and the
// retirement of a replaced part once the runs that may still use it are over.
import type { Logger } from 'pino';
import type { AwsClientFactory } from './clients/aws.ts';
import { createAwsClientFactory } from './clients/aws-factory.ts';
import type { AwsClientFactoryOptions } from './clients/aws-factory.ts';
import type { TrailMemory } from './clients/trail.ts';
import type { KubeAccessFactory } from './clients/kube-client.ts';
import type { AgentConfig, ClusterConfig } from './config/types.ts';
import type { ProbeContext } from './core/probe.ts';
import { FALLBACK_JITTER_MS, periodMsOf } from './scheduler/scheduler.ts';

/**
 * One scan per account-region per cloudtrail period serves every cluster there: a window is fresh for most of the
 * period, so the clusters' jittered runs within it share the scan of the first.
 */
export function trailScannerOptions(
  config: Pick<AgentConfig, 'probes' | 'schedules'>,
): AwsClientFactoryOptions['trail'] {
  const { overlapMinutes, maxPages } = config.probes.cloudtrail;
  const period = periodMsOf(config.schedules.cloudtrail.cron) ?? FALLBACK_JITTER_MS;
  return { overlapMs: overlapMinutes * 60_000, maxPages, freshMs: Math.max(1_000, period - 10_000) };
}

/** The AWS clients of the configured accounts; the CloudTrail scanners save their streams in `trail` (the store). */
export function awsFactoryFor(config: AgentConfig, trail: TrailMemory, log: Logger): AwsClientFactory {
  return createAwsClientFactory(config.accounts, {
    trail: trailScannerOptions(config),
    trailMemory: {
      store: trail,
      onError: (err, stream) => log.warn({ err, stream }, 'saving the CloudTrail position failed'),
    },
  });
}

/**
 * A cluster's AWS clients of its account and region (cached by the factory) and its cluster-API access, made once
 * per kubeconfig context (each kubeconfig file parsed once). A kubeconfig that cannot be loaded never fails a run: the
 * probes that call the cluster's API get its short reason (file, line, column) as their finding.
 */
export function accessOf(
  cluster: ClusterConfig,
  factory: AwsClientFactory,
  kubeFor: KubeAccessFactory,
): Pick<ProbeContext, 'aws' | 'kube'> {
  const aws = factory.forAccount(cluster.account, cluster.region);
  return {
    ...(aws === undefined ? {} : { aws }),
    ...(cluster.kube === undefined ? {} : { kube: kubeFor(cluster.kube) }),
  };
}

export interface Retirement {
  /** Closes a replaced part after `afterMs` (runs that started with it have ended by then). */
  retire(close: () => unknown, afterMs: number): void;
  /** Closes every part still waiting, now (shutdown). */
  closeAll(): Promise<void>;
}

export function createRetirement(log: Logger): Retirement {
  const waiting = new Map<NodeJS.Timeout, () => unknown>();
  const close = async (fn: () => unknown): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      log.warn({ err }, 'closing a replaced part failed');
    }
  };
  return {
    retire(fn, afterMs) {
      const timer = setTimeout(() => {
        waiting.delete(timer);
        void close(fn);
      }, afterMs);
      timer.unref();
      waiting.set(timer, fn);
    },
    async closeAll() {
      const all = [...waiting];
      waiting.clear();
      for (const [timer] of all) clearTimeout(timer);
      await Promise.all(all.map(([, fn]) => close(fn)));
    },
  };
}
