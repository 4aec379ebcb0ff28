// What the API's routes are given (as plugin options, the way fastify/demo passes dependencies): the store, the
// fleet and a clock; the what-if when the agent can read AWS.
import type { PolicySimulation } from '../../probes/bucket/index.ts';
import type { ClusterConfig } from '../core/cluster.ts';
import type { ProbeName } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import type { Metrics } from '../telemetry/metrics.ts';

export interface ApiDeps {
  store: Store;
  /** The monitored clusters (a function: discovery and the lab may change the fleet). */
  clusters: () => readonly ClusterConfig[];
  now: () => Date;
  /** What-if for a proposed bucket policy (needs the agent's AWS clients); absent: the route answers 409. */
  simulateBucketPolicy?: (cluster: ClusterConfig, policyText: string) => Promise<PolicySimulation>;
  /** Alerting state, when alerting is configured. */
  alerts?: AlertsView;
  /** The public base URL of this agent (links in summary.json), default from the request. */
  publicUrl?: string;
  /** Prometheus metrics; absent: /metrics answers 404. */
  metrics?: Metrics;
  /** Each probe's schedule (the status page calls a probe stale after 3 periods without a report); absent: never stale. */
  schedules?: () => Readonly<Record<ProbeName, { cron: string; enabled?: boolean }>>;
}

/** What the read surfaces (status, summary.json, the page, metrics) show of alerting; the alert engine provides it. */
export interface AlertsView {
  /** Alerts firing now, oldest first. */
  firing(): FiringAlert[];
  /** Silences in force. */
  silences(): SilenceView[];
  /** Maintenance windows in force at `now`. */
  activeMaintenance(now: Date): MaintenanceWindow[];
  /** Maintenance windows in force at `now` or starting within a day (summary.json's scheduled maintenances). */
  upcomingMaintenance(now: Date): MaintenanceWindow[];
}

export interface SilenceView {
  id: string;
  matchers: { name: string; value: string; isRegex?: boolean }[];
  /** ISO 8601 */
  endsAt: string;
  comment: string;
  createdBy?: string;
}

export interface FiringAlert {
  cluster: string;
  /** The diagnosis cause code (or STALE). */
  code: string;
  severity: 'critical' | 'warning';
  summary: string;
  /** ISO 8601: when it started firing. */
  since: string;
  /** ISO 8601: when it last changed. */
  updatedAt: string;
  silenced: boolean;
}

export interface MaintenanceWindow {
  name: string;
  /** ISO 8601 */
  startsAt: string;
  endsAt: string;
  /** The clusters it covers now. */
  clusters: string[];
  /** Its cluster label selector; absent: the whole fleet. */
  selector?: Record<string, string>;
}
