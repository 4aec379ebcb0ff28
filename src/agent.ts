// The agent: config -> scheduler -> runner -> probe -> store -> API. Built once, started by `serve`, used once by `check`.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { loadBucketPolicySimulator } from '../probes/bucket/index.ts';
import type { PolicySimulation } from '../probes/bucket/index.ts';
import { loadProbes, PROBES } from '../probes/index.ts';
import { createAlertService } from './alerts/service.ts';
import type { AlertService } from './alerts/service.ts';
import { createSink } from './alerts/sinks/index.ts';
import type { DeliveryOutcomeLabel } from './alerts/types.ts';
import { buildApi } from './api/app.ts';
import { createApiAuth } from './api/auth.ts';
import { allowedHostsFor } from './api/hosts.ts';
import type { AwsClientFactory } from './clients/aws.ts';
import { createAwsClientFactory } from './clients/aws-factory.ts';
import type { AwsClientFactoryOptions } from './clients/aws-factory.ts';
import { createHttpFetcher } from './clients/http-fetcher.ts';
import { createKubeAccessFactory } from './clients/kube-client.ts';
import type { KubeAccessFactory } from './clients/kube-client.ts';
import { createFleetDiscovery } from './discovery/fleet.ts';
import type { AgentConfig, ClusterConfig } from './config/types.ts';
import { startEmbeddedLab } from './lab-adapter.ts';
import type { Lab } from './lab/index.ts';
import type { ProbeName, ProbeResult } from './core/model.ts';
import type { ProbeContext } from './core/probe.ts';
import { createRunner } from './scheduler/runner.ts';
import { createMetrics } from './telemetry/metrics.ts';
import type { Runner } from './scheduler/runner.ts';
import { createReruns } from './scheduler/rerun.ts';
import { createScheduler, FALLBACK_JITTER_MS, periodMsOf } from './scheduler/scheduler.ts';
import type { Scheduler } from './scheduler/scheduler.ts';
import { openSqliteStore } from './store/sqlite-store.ts';
import type { Store } from './store/store.ts';

const HOUR_MS = 3_600_000;
const SIMULATE_TIMEOUT_MS = 30_000;

export interface Agent {
  /** The configuration in force (the lab's fleet and the discovered clusters filled in); changes on rediscovery. */
  readonly config: AgentConfig;
  readonly store: Store;
  readonly runner: Runner;
  /** Replaced when the discovered fleet changes. */
  readonly scheduler: Scheduler;
  readonly lab?: Lab;
  /** Would this bucket policy break the cluster's issuer? Reads the bucket's live settings; puts nothing. */
  simulateBucketPolicy(cluster: ClusterConfig, policyText: string): Promise<PolicySimulation>;
  /** Builds the HTTP API over this agent's store and fleet (not listening yet). */
  api(): Promise<FastifyInstance>;
  /** Starts the cron jobs (probes and fleet discovery) and the history pruning. */
  startScheduling(): void;
  /** Lists the discovering accounts' providers again now; resolves true when the fleet changed. */
  rediscover(): Promise<boolean>;
  /** Alerting, when the agent runs it (`serve`). */
  readonly alerts?: AlertService;
  /** Where the API listens, once it does: the base of alert links unless server.publicUrl says otherwise. */
  listening(url: string): void;
  /** Stop scheduling, finish or abandon in-flight runs within the grace period, flush the store, stop the lab. */
  stop(): Promise<void>;
}

export interface AgentOptions {
  /** Called after each result is stored (the `check` command's progress). Must not throw. */
  onResult?: (result: ProbeResult) => void;
  /**
   * Run alerting (serve): evaluate alerts after each stored result, deliver them, and when a probe's status changes
   * run the cluster's other probes at once (at most once per alerts.rerunCooldownSeconds per cluster). Default false.
   */
  alerting?: boolean;
  /** Every delivery outcome per sink (metrics). Must not throw. */
  onDelivery?: (sink: string, outcome: DeliveryOutcomeLabel) => void;
  /** How often alerting's tick runs (stale checks, reminders, refreshes, releases). Default 5 s. */
  alertTickMs?: number;
}

export async function createAgent(base: AgentConfig, log: Logger, opts: AgentOptions = {}): Promise<Agent> {
  let lab: Lab | undefined;
  let config = base;
  if (base.lab) ({ lab, config } = await startEmbeddedLab(base, log));
  const store = openSqliteStore({ dataDir: config.storage.dataDir, inMemory: config.storage.inMemory });
  // The diagnosis rules may have changed since the kept diagnoses were computed.
  store.rediagnose();
  const http = createHttpFetcher();
  const aws = createAwsClientFactory(config.accounts, {
    trail: trailScannerOptions(config),
    trailMemory: {
      store: store.trail(),
      onError: (err, stream) => log.warn({ err, stream }, 'saving the CloudTrail position failed'),
    },
  });
  const [probes, simulateBucketPolicy] = await Promise.all([loadProbes(config.probes), loadBucketPolicySimulator()]);
  const kubeFor = createKubeAccessFactory();
  const contextFor = clusterAccess(aws, kubeFor);
  const discovery = createFleetDiscovery({ configured: config.clusters, accounts: config.accounts, aws, log });
  await discovery.refresh();
  config = { ...config, clusters: discovery.clusters() };

  let baseUrl = config.server.publicUrl ?? `http://${config.server.host}:${config.server.port}`;
  // Declared here, made below (it reads the scheduler): results only arrive once scheduling starts.
  let alerts: AlertService | undefined;
  const reruns = createReruns({
    cooldownMs: config.alerts.rerunCooldownSeconds * 1000,
    run: (cluster, except) => scheduler.runCluster(cluster, except as ProbeName[]),
    // Something just changed: CloudTrail is asked again rather than served from the shared scan's cache.
    before: (cluster) => aws.expireTrails?.(config.clusters.find((c) => c.name === cluster)?.account),
  });
  /**
   * A probe's status changed: the cluster's other probes run again and its alerts wait for them. A probe that reads
   * CloudTrail (the bucket probe judges a policy that locks it out from the recorded PutBucketPolicy) runs again too:
   * the shared scan it was served may predate the change.
   */
  const rerun = (cluster: string, probe?: ProbeName): void => {
    const readsTrail = probe !== undefined && PROBES[probe].awsActions.includes('cloudtrail:LookupEvents');
    const work = reruns.request(cluster, readsTrail ? undefined : probe);
    if (!work || !alerts) return;
    log.debug({ cluster, probe }, 're-running the cluster after a status change');
    alerts.settle(cluster, work);
  };

  const metrics = createMetrics({
    latest: () => store.latest(),
    diagnoses: () => store.diagnoses(),
    clusters: () => config.clusters,
    periodMs: (probe) => periodMsOf(config.schedules[probe].cron),
    now: () => new Date(),
    inFlight: () => runner.inFlight(),
    firing: () => alerts?.firing() ?? [],
  });
  const onResult = (result: ProbeResult): void => {
    const before = store.latest(result.cluster).find((r) => r.probe === result.probe);
    const { redacted } = store.saveResult(result);
    metrics.recordResult(result);
    // Kept, with the secret-looking text replaced: a hostile document cannot freeze the cluster's status this way.
    if (redacted)
      log.warn(
        { cluster: result.cluster, probe: result.probe, redacted },
        'secret-looking text redacted from a result',
      );
    if (before?.status !== result.status) {
      log.info(
        {
          cluster: result.cluster,
          probe: result.probe,
          from: before?.status ?? null,
          to: result.status,
          findings: result.findings.map((f) => f.code),
        },
        'status changed',
      );
    }
    if (alerts && before !== undefined && before.status !== result.status) rerun(result.cluster, result.probe);
    alerts?.evaluate(result.cluster);
    opts.onResult?.(result);
  };
  const runner = createRunner({
    concurrency: config.concurrency,
    http,
    log,
    previousOf: (cluster, probe) => store.latest(cluster).find((r) => r.probe === probe),
    onResult,
    timeoutMsFor: (probe) => config.schedules[probe].timeoutMs,
    contextFor,
    onStart: (waitedMs) => metrics.recordLag(waitedMs / 1000),
  });
  let scheduler = createScheduler({ config, probes, runner, log });
  let scheduling = false;
  if (opts.alerting) {
    const sinks = config.alerts.sinks.map((s) => createSink(s, { sendResolved: config.alerts.sendResolved }));
    alerts = createAlertService({
      config: config.alerts,
      clusters: () => config.clusters,
      results: store,
      store: store.alertStore(),
      sinks,
      expected: () => scheduler.expected(),
      baseUrl: () => baseUrl,
      log,
      onDelivery: (sink, outcome) => {
        metrics.recordDelivery(sink, outcome);
        opts.onDelivery?.(sink, outcome);
      },
      ...(opts.alertTickMs !== undefined && { tickMs: opts.alertTickMs }),
    });
  }
  /** A new fleet: the scheduler is rebuilt over it; runs in flight finish on the runner. */
  const fleetChanged = (): void => {
    config = { ...config, clusters: discovery.clusters() };
    scheduler.stop();
    scheduler = createScheduler({ config, probes, runner, log });
    if (scheduling) scheduler.start();
    log.info({ clusters: config.clusters.length }, 'fleet changed');
  };

  const simulate = (cluster: ClusterConfig, policyText: string) =>
    simulateBucketPolicy(
      cluster,
      aws.forAccount(cluster.account, cluster.region),
      policyText,
      AbortSignal.timeout(SIMULATE_TIMEOUT_MS),
    );

  let pruneTimer: NodeJS.Timeout | undefined;
  const prune = (): void => {
    try {
      const deleted = store.prune(new Date(), config.storage.retentionDays);
      if (deleted > 0) log.info({ deleted }, 'pruned history');
      const streams = store.trail().prune(new Date());
      if (streams > 0) log.info({ streams }, 'pruned CloudTrail streams no scan kept up');
    } catch (err) {
      log.error({ err }, 'pruning history failed');
    }
  };

  return {
    get config() {
      return config;
    },
    store,
    runner,
    get scheduler() {
      return scheduler;
    },
    ...(lab ? { lab } : {}),
    ...(alerts ? { alerts } : {}),
    listening(url) {
      if (config.server.publicUrl === undefined) baseUrl = url;
    },
    api: () =>
      buildApi({
        store,
        clusters: () => config.clusters,
        now: () => new Date(),
        logger: log,
        simulateBucketPolicy: simulate,
        allowedHosts: allowedHostsFor(config.server),
        rateLimit: { max: config.server.rateLimit.max, timeWindowMs: config.server.rateLimit.windowSeconds * 1000 },
        ...(config.server.publicUrl !== undefined && { publicUrl: config.server.publicUrl }),
        metrics,
        schedules: () => config.schedules,
        auth: createApiAuth(config.server.auth.tokens),
        ...(alerts && { alerts }),
      }),
    simulateBucketPolicy: simulate,
    async rediscover() {
      const changed = await discovery.refresh();
      if (changed) fleetChanged();
      return changed;
    },
    startScheduling() {
      scheduling = true;
      alerts?.start();
      scheduler.start();
      // What fired before a restart is checked at once: a cause that cleared while the agent was down resolves now.
      if (alerts)
        for (const cluster of new Set(
          store
            .alertStore()
            .openAlerts()
            .map((a) => a.cluster),
        ))
          rerun(cluster);
      discovery.start(fleetChanged);
      prune();
      pruneTimer = setInterval(prune, HOUR_MS);
      pruneTimer.unref();
    },
    async stop() {
      reruns.stop();
      discovery.stop();
      scheduler.stop();
      clearInterval(pruneTimer);
      const report = await runner.drain(config.shutdownGraceMs);
      log.info(report, 'probe runs drained');
      await alerts?.stop(config.shutdownGraceMs);
      store.close();
      aws.close();
      await http.close();
      await kubeFor.close();
      await lab?.close();
    },
  };
}

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

/**
 * Per cluster: the AWS clients of its account and region (cached by the factory) and its cluster-API access, made once
 * per kubeconfig context (each kubeconfig file parsed once). A kubeconfig that cannot be loaded never fails a run: the
 * probes that call the cluster's API get its short reason (file, line, column) as their finding.
 */
function clusterAccess(
  factory: AwsClientFactory,
  kubeFor: KubeAccessFactory,
): (cluster: ClusterConfig) => Pick<ProbeContext, 'aws' | 'kube'> {
  return (cluster) => {
    const aws = factory.forAccount(cluster.account, cluster.region);
    return {
      ...(aws === undefined ? {} : { aws }),
      ...(cluster.kube === undefined ? {} : { kube: kubeFor(cluster.kube) }),
    };
  };
}
