// What the API's routes are given (as plugin options, the way fastify/demo passes dependencies): the store, the
// fleet and a clock; the what-if when the agent can read AWS; alerting when the agent runs it.
import type { PolicySimulation } from '../../probes/bucket/index.ts';
import type { AlertsApi } from '../alerts/service.ts';
import type { ClusterConfig } from '../core/cluster.ts';
import type { ProbeName } from '../core/model.ts';
import type { ProbeRun } from '../scheduler/scheduler.ts';
import type { Store } from '../store/store.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { AlertsSummary } from './alerts-summary.ts';

export interface ApiDeps {
  store: Store;
  /** The monitored clusters (a function: discovery and the lab may change the fleet). */
  clusters: () => readonly ClusterConfig[];
  now: () => Date;
  /** What-if for a proposed bucket policy (needs the agent's AWS clients); absent: the route answers 409. */
  simulateBucketPolicy?: (cluster: ClusterConfig, policyText: string) => Promise<PolicySimulation>;
  /**
   * Runs one probe for one cluster now, as the schedule does (stored, diagnosed, alerts evaluated); joins a run in
   * flight. Rejects with the scheduler's coded errors. Absent: the run route answers 409 NOT_AVAILABLE.
   */
  runProbe?: (cluster: string, probe: string) => Promise<ProbeRun>;
  /** Alerting (serve); absent: the alert routes answer 409 ALERTS_DISABLED and the status shows no alerts. */
  alerts?: AlertsApi;
  /** What summary.json and the status page show of alerting; default: read from `alerts`. */
  alertsSummary?: AlertsSummary;
  /** The public base URL of this agent (links in summary.json), default from the request. */
  publicUrl?: string;
  /** Prometheus metrics; absent: /metrics answers 404. */
  metrics?: Metrics;
  /** Each probe's schedule (the status page calls a probe stale after 3 periods without a report); absent: never stale. */
  schedules?: () => Readonly<Record<ProbeName, { cron: string; enabled?: boolean }>>;
}
