// The agent: config -> scheduler -> runner -> probe -> store -> API. Built once, started by `serve`, used once by `check`.
// A reload (serve: SIGHUP, a changed config file) puts a new configuration in force without a restart: the parts it
// changes are built anew beside the running ones, then swapped in at once; the store (history, alert state, CloudTrail
// positions) is the same throughout.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { loadBucketPolicySimulator } from '../probes/bucket/index.ts';
import type { PolicySimulation } from '../probes/bucket/index.ts';
import { loadProbes, PROBES } from '../probes/index.ts';
import type { AlertService } from './alerts/service.ts';
import type { SwappableAlerts } from './alerts/swappable.ts';
import type { DeliveryOutcomeLabel } from './alerts/types.ts';
import { isDeepStrictEqual } from 'node:util';
import { accessOf, awsFactoryFor, createRetirement, trailScannerOptions } from './agent-parts.ts';
import { accessWarning, createApiAuth } from './api/auth.ts';
import type { ApiAuth } from './api/auth.ts';
import { allowedHostsFor } from './api/hosts.ts';
import { createHttpFetcher } from './clients/http-fetcher.ts';
import { createKubeAccessFactory } from './clients/kube-client.ts';
import { createFleetDiscovery } from './discovery/fleet.ts';
import { applicableConfig, configChanges } from './config/changes.ts';
import type { ConfigKey, RestartKey } from './config/changes.ts';
import type { AgentConfig, ClusterConfig } from './config/types.ts';
import { startEmbeddedLab, withRunningLab } from './lab-adapter.ts';
import type { Lab } from './lab/index.ts';
import type { ProbeName, ProbeResult } from './core/model.ts';
import { createRunner } from './scheduler/runner.ts';
import type { Metrics, MetricsSource } from './telemetry/metrics.ts';
import type { Runner } from './scheduler/runner.ts';
import { createReruns } from './scheduler/rerun.ts';
import { createScheduler, periodMsOf } from './scheduler/scheduler.ts';
import type { ProbeRun, Scheduler } from './scheduler/scheduler.ts';
import { openSqliteStore } from './store/sqlite-store.ts';
import type { Store } from './store/store.ts';

const HOUR_MS = 3_600_000;
const SIMULATE_TIMEOUT_MS = 30_000;

export { trailScannerOptions };

/** What a reload did. */
export interface ReloadReport {
  /** Keys whose new values are in force now. */
  applied: ConfigKey[];
  /** Keys that changed and apply only after a restart (their running values stay). */
  restart: RestartKey[];
}

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
  /**
   * Runs one probe for one cluster now, the way the schedule does (stored, diagnosed, alerts evaluated), joining a run
   * of that pair in flight. Rejects with the scheduler's coded errors (UNKNOWN_CLUSTER, UNKNOWN_PROBE,
   * PROBE_NOT_APPLICABLE, PROBE_DISABLED, RUN_NOT_COMPLETED).
   */
  runProbe(cluster: string, probe: string): Promise<ProbeRun>;
  /**
   * Builds the HTTP API over this agent's store and fleet (not listening yet); warns when server.access puts a surface
   * behind a token and no token is configured.
   */
  api(): Promise<FastifyInstance>;
  /** Starts the cron jobs (probes and fleet discovery) and the history pruning. */
  startScheduling(): void;
  /** Lists the discovering accounts' providers again now; resolves true when the fleet changed. */
  rediscover(): Promise<boolean>;
  /** Alerting, when the agent runs it (`serve`). */
  readonly alerts?: AlertService;
  /** Where the API listens, once it does: the base of alert links unless server.publicUrl says otherwise. */
  listening(url: string): void;
  /**
   * Puts a new (loaded and validated) configuration in force: added clusters are scheduled, removed ones are not any
   * more and leave the API, changed schedules, settings, sinks and routes apply; history, alert state and CloudTrail
   * positions stay (they are in the store). Keys that apply only at start keep their running values and are reported.
   * Reloads run one at a time. Rejects, leaving everything as it was, when a part of the new configuration cannot be
   * built (an unreadable CA file, say).
   */
  reload(next: AgentConfig): Promise<ReloadReport>;
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
  /**
   * Keep Prometheus metrics (prom-client, its default process metrics included) for the API's /metrics. Default true;
   * `check` has no API and leaves them out (prom-client is then never loaded).
   */
  metrics?: boolean;
}

/** What the agent records when it keeps no metrics. */
const NO_METRICS: Pick<Metrics, 'recordResult' | 'recordLag' | 'recordDelivery'> = {
  recordResult: () => undefined,
  recordLag: () => undefined,
  recordDelivery: () => undefined,
};

/** Alerting's modules, loaded only by an agent that runs alerting (serve). */
async function loadAlerting() {
  const [{ createAlertService }, { createSink }, { swappableAlerts }] = await Promise.all([
    import('./alerts/service.ts'),
    import('./alerts/sinks/index.ts'),
    import('./alerts/swappable.ts'),
  ]);
  return { createAlertService, createSink, swappableAlerts };
}
type Alerting = Awaited<ReturnType<typeof loadAlerting>>;

export async function createAgent(base: AgentConfig, log: Logger, opts: AgentOptions = {}): Promise<Agent> {
  let lab: Lab | undefined;
  let config = base;
  /** The configuration as loaded (no lab fleet, no discovered clusters), keys that apply only at start as running. */
  let loaded = base;
  if (base.lab) ({ lab, config } = await startEmbeddedLab(base, log));
  const store = openSqliteStore({ dataDir: config.storage.dataDir, inMemory: config.storage.inMemory });
  // The diagnosis rules may have changed since the kept diagnoses were computed.
  store.rediagnose();
  const http = createHttpFetcher();
  let aws = awsFactoryFor(config, store.trail(), log);
  let kubeFor = createKubeAccessFactory();
  const [loadedProbes, simulateBucketPolicy] = await Promise.all([
    loadProbes(config.probes),
    loadBucketPolicySimulator(),
  ]);
  let probes = loadedProbes;
  let discovery = createFleetDiscovery({ configured: config.clusters, accounts: config.accounts, aws, log });
  await discovery.refresh();
  config = { ...config, clusters: discovery.clusters() };
  let auth: ApiAuth = createApiAuth(config.server.auth.tokens);
  const retirement = createRetirement(log);

  let baseUrl = config.server.publicUrl ?? `http://${config.server.host}:${config.server.port}`;
  // Declared here, made below (it reads the scheduler): results only arrive once scheduling starts.
  let alerts: SwappableAlerts | undefined;
  const reruns = createReruns({
    cooldownMs: () => config.alerts.rerunCooldownSeconds * 1000,
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

  // Metrics show the fleet now: a removed cluster's results stay in the store's history, not in the gauges.
  const fleetNames = (): Set<string> => new Set(config.clusters.map((c) => c.name));
  // Loaded only when kept: prom-client and its default metrics are of no use to a one-shot `check`.
  const metricsSource: MetricsSource = {
    latest: () => {
      const names = fleetNames();
      return store.latest().filter((r) => names.has(r.cluster));
    },
    diagnoses: () => {
      const names = fleetNames();
      return new Map([...store.diagnoses()].filter(([cluster]) => names.has(cluster)));
    },
    clusters: () => config.clusters,
    periodMs: (probe) => periodMsOf(config.schedules[probe].cron),
    now: () => new Date(),
    inFlight: () => runner.inFlight(),
    firing: () => alerts?.firing() ?? [],
  };
  const keptMetrics =
    opts.metrics === false ? undefined : (await import('./telemetry/metrics.ts')).createMetrics(metricsSource);
  const metrics = keptMetrics ?? NO_METRICS;
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
    contextFor: (cluster) => accessOf(cluster, aws, kubeFor),
    onStart: (waitedMs) => metrics.recordLag(waitedMs / 1000),
  });
  let scheduler = createScheduler({ config, probes, runner, log });
  let scheduling = false;
  const alerting = opts.alerting ? await loadAlerting() : undefined;
  const alertService = ({ createAlertService, createSink }: Alerting, cfg: AgentConfig): AlertService =>
    createAlertService({
      config: cfg.alerts,
      clusters: () => config.clusters,
      results: store,
      store: store.alertStore(),
      sinks: cfg.alerts.sinks.map((s) => createSink(s, { sendResolved: cfg.alerts.sendResolved })),
      expected: () => scheduler.expected(),
      baseUrl: () => baseUrl,
      log,
      onDelivery: (sink, outcome) => {
        metrics.recordDelivery(sink, outcome);
        opts.onDelivery?.(sink, outcome);
      },
      ...(opts.alertTickMs !== undefined && { tickMs: opts.alertTickMs }),
    });
  if (alerting) alerts = alerting.swappableAlerts(alertService(alerting, config));
  /** The scheduler rebuilt over the fleet now; runs in flight finish on the runner. */
  const reschedule = (): void => {
    scheduler.stop();
    scheduler = createScheduler({ config, probes, runner, log });
    if (scheduling) scheduler.start();
  };
  /** Discovery found a new fleet. */
  const discovered = (): void => {
    config = { ...config, clusters: discovery.clusters() };
    reschedule();
    log.info({ clusters: config.clusters.length }, 'fleet changed');
  };
  /** The longest a run started before a reload may still go on: a replaced part is closed after it. */
  const runsOverMs = (): number => Math.max(...Object.values(config.schedules).map((s) => s.timeoutMs)) + 1_000;

  async function apply(next: AgentConfig): Promise<ReloadReport> {
    const changes = configChanges(loaded, next);
    const touched = (...keys: ConfigKey[]): boolean => keys.some((k) => changes.live.includes(k));
    if (changes.live.length === 0) return { applied: [], restart: changes.restart };
    const wanted = applicableConfig(loaded, next);
    const merged = lab ? withRunningLab(wanted, lab) : wanted;
    // Built first, beside the running parts: one that cannot be built refuses the reload and changes nothing.
    const awsChanged =
      touched('accounts') || !isDeepStrictEqual(trailScannerOptions(config), trailScannerOptions(merged));
    const nextAws = awsChanged ? awsFactoryFor(merged, store.trail(), log) : aws;
    let nextDiscovery = discovery;
    let nextProbes = probes;
    let nextAlerts: AlertService | undefined;
    try {
      if (touched('probes')) nextProbes = await loadProbes(merged.probes);
      if (alerts && alerting && touched('alerts')) nextAlerts = alertService(alerting, merged);
      if (awsChanged || touched('clusters')) {
        nextDiscovery = createFleetDiscovery({
          configured: merged.clusters,
          accounts: merged.accounts,
          aws: nextAws,
          log,
        });
        await nextDiscovery.refresh();
      }
    } catch (err) {
      if (nextAws !== aws) nextAws.close();
      throw err;
    }
    // Swapped in at once.
    loaded = wanted;
    if (nextAws !== aws) retirement.retire(aws.close.bind(aws), runsOverMs());
    aws = nextAws;
    if (touched('clusters', 'accounts')) {
      // Kubeconfig files are read again: one may have changed with the clusters.
      retirement.retire(kubeFor.close.bind(kubeFor), runsOverMs());
      kubeFor = createKubeAccessFactory();
    }
    if (nextDiscovery !== discovery) {
      discovery.stop();
      discovery = nextDiscovery;
      if (scheduling) discovery.start(discovered);
    }
    probes = nextProbes;
    config = { ...merged, clusters: discovery.clusters() };
    auth = createApiAuth(config.server.auth.tokens);
    runner.setConcurrency(config.concurrency);
    if (touched('clusters', 'accounts', 'schedules', 'probes')) reschedule();
    if (alerts && nextAlerts) await alerts.swap(nextAlerts, config.shutdownGraceMs);
    return { applied: changes.live, restart: changes.restart };
  }
  let reloading: Promise<unknown> = Promise.resolve();

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
    runProbe: (cluster, probe) => scheduler.runProbe(cluster, probe),
    async api() {
      const { buildApi } = await import('./api/app.ts');
      const warning = accessWarning(config.server.access, config.server.auth.tokens.length);
      if (warning) log.warn({ setting: 'server.access' }, warning);
      return buildApi({
        store,
        clusters: () => config.clusters,
        now: () => new Date(),
        logger: log,
        simulateBucketPolicy: simulate,
        allowedHosts: allowedHostsFor(config.server),
        rateLimit: { max: config.server.rateLimit.max, timeWindowMs: config.server.rateLimit.windowSeconds * 1000 },
        ...(config.server.publicUrl !== undefined && { publicUrl: config.server.publicUrl }),
        ...(keptMetrics && { metrics: keptMetrics }),
        schedules: () => config.schedules,
        // The tokens in force: a reload may add or revoke one.
        auth: { check: (authorization, scope) => auth.check(authorization, scope) },
        access: config.server.access,
        runProbe: (cluster, probe) => scheduler.runProbe(cluster, probe),
        ...(alerts && { alerts }),
      });
    },
    simulateBucketPolicy: simulate,
    async rediscover() {
      const changed = await discovery.refresh();
      if (changed) discovered();
      return changed;
    },
    reload(next) {
      const run = reloading.then(() => apply(next));
      reloading = run.catch(() => undefined);
      return run;
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
      discovery.start(discovered);
      prune();
      pruneTimer = setInterval(prune, HOUR_MS);
      pruneTimer.unref();
    },
    async stop() {
      await reloading;
      reruns.stop();
      discovery.stop();
      scheduler.stop();
      clearInterval(pruneTimer);
      const report = await runner.drain(config.shutdownGraceMs);
      log.info(report, 'probe runs drained');
      await alerts?.stop(config.shutdownGraceMs);
      await retirement.closeAll();
      store.close();
      aws.close();
      await http.close();
      await kubeFor.close();
      await lab?.close();
    },
  };
}
