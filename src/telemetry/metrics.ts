// Prometheus metrics (prom-client): blackbox_exporter's names where they fit (probe_success, probe_duration_seconds,
// probe_ssl_earliest_cert_expiry), irsa_sentinel_* for the rest. Gauges are computed at scrape time from the stored
// latest results and diagnoses, so they never drift from what the API shows; counters and the lag histogram are fed
// by the agent as runs happen. Metric names are part of the chart's PrometheusRule and dashboard: rename nothing.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClusterConfig } from '../core/cluster.ts';
import { STATUSES } from '../core/model.ts';
import type { ProbeName, ProbeResult, Status } from '../core/model.ts';
import type { Diagnosis } from '../diagnosis/diagnose.ts';

export interface MetricsSource {
  latest(): ProbeResult[];
  diagnoses(): ReadonlyMap<string, Diagnosis>;
  clusters(): readonly ClusterConfig[];
  /** A probe's schedule period, for staleness (3 periods without a report). */
  periodMs(probe: ProbeName): number | undefined;
  now(): Date;
  /** Alerts firing now, when alerting is configured. */
  firing?(): { cluster: string; code: string; severity: string }[];
  /** Probe runs accepted and not yet done. */
  inFlight?(): number;
}

export interface Metrics {
  registry: Registry;
  /** The exposition text of one scrape, every gauge read from the store once. */
  scrape(): Promise<string>;
  /** A stored result (irsa_sentinel_probe_results_total). */
  recordResult(result: ProbeResult): void;
  /** How late a scheduled run started, in seconds (irsa_sentinel_scheduler_lag_seconds). */
  recordLag(seconds: number): void;
  /** One delivery attempt or decision of an alert sink: delivered, retry, failed, held or dropped. */
  recordDelivery(sink: string, outcome: string): void;
}

export const STALE_AFTER_PERIODS = 3;

const secondsOf = (iso: string | undefined): number | undefined => {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms / 1000;
};

export function createMetrics(source: MetricsSource): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters, which promtool (and Prometheus's naming rules) reject; the per-type gauges stay.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name);
  const register = [registry];

  // The latest results, read once per scrape (scrape()) for every gauge below.
  let latest: ProbeResult[] = [];
  new Gauge({
    name: 'probe_success',
    help: 'Whether the probe succeeded: 1 for ok or warn, 0 for fail or unknown (blackbox_exporter semantics)',
    labelNames: ['cluster', 'probe'],
    registers: register,
    collect() {
      this.reset();
      for (const r of latest)
        this.set({ cluster: r.cluster, probe: r.probe }, r.status === 'ok' || r.status === 'warn' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'probe_duration_seconds',
    help: 'How long the latest run of the probe took',
    labelNames: ['cluster', 'probe'],
    registers: register,
    collect() {
      this.reset();
      for (const r of latest) this.set({ cluster: r.cluster, probe: r.probe }, r.durationMs / 1000);
    },
  });
  new Gauge({
    name: 'probe_ssl_earliest_cert_expiry',
    help: "The issuer host's TLS certificate's notAfter, unix seconds (blackbox_exporter's name)",
    labelNames: ['cluster'],
    registers: register,
    collect() {
      this.reset();
      for (const r of latest) {
        if (r.probe !== 'issuer') continue;
        const validTo = secondsOf(r.observations?.tlsValidTo as string | undefined);
        if (validTo !== undefined) this.set({ cluster: r.cluster }, validTo);
      }
    },
  });
  new Gauge({
    name: 'irsa_sentinel_probe_status',
    help: 'The latest status of each probe: 1 for the current status, 0 for the others',
    labelNames: ['cluster', 'probe', 'status'],
    registers: register,
    collect() {
      this.reset();
      for (const r of latest)
        for (const s of STATUSES) this.set({ cluster: r.cluster, probe: r.probe, status: s }, s === r.status ? 1 : 0);
    },
  });
  new Gauge({
    name: 'irsa_sentinel_probe_last_run_timestamp_seconds',
    help: 'When the latest run of the probe started, unix seconds',
    labelNames: ['cluster', 'probe'],
    registers: register,
    collect() {
      this.reset();
      for (const r of latest) this.set({ cluster: r.cluster, probe: r.probe }, secondsOf(r.startedAt) ?? 0);
    },
  });
  new Gauge({
    name: 'irsa_sentinel_probe_stale',
    help: `1 when the probe has not reported for ${STALE_AFTER_PERIODS} of its periods`,
    labelNames: ['cluster', 'probe'],
    registers: register,
    collect() {
      this.reset();
      const now = source.now().getTime();
      for (const r of latest) {
        const period = source.periodMs(r.probe);
        const age = now - Date.parse(r.startedAt);
        this.set(
          { cluster: r.cluster, probe: r.probe },
          period !== undefined && age > STALE_AFTER_PERIODS * period ? 1 : 0,
        );
      }
    },
  });
  new Gauge({
    name: 'irsa_sentinel_findings',
    help: 'Current findings of the latest run of each probe, by code and severity',
    labelNames: ['cluster', 'probe', 'code', 'severity'],
    registers: register,
    collect() {
      this.reset();
      for (const r of latest)
        for (const f of r.findings)
          this.inc({ cluster: r.cluster, probe: r.probe, code: f.code, severity: f.severity });
    },
  });
  new Gauge({
    name: 'irsa_sentinel_cloudtrail_assume_failures',
    help: 'AssumeRoleWithWebIdentity failures CloudTrail recorded in the window, by role and error',
    labelNames: ['cluster', 'role', 'error'],
    registers: register,
    collect() {
      this.reset();
      for (const r of latest) {
        if (r.probe !== 'cloudtrail') continue;
        for (const f of r.findings) {
          if (f.code !== 'ASSUME_FAILURES_RECENT') continue;
          const e = f.evidence as { count?: number; errorCode?: string } | undefined;
          this.inc(
            { cluster: r.cluster, role: f.subject ?? 'unknown', error: e?.errorCode ?? 'unknown' },
            e?.count ?? 1,
          );
        }
      }
    },
  });
  new Gauge({
    name: 'irsa_sentinel_cluster_status',
    help: "Each cluster's status: 1 for the current status, 0 for the others",
    labelNames: ['cluster', 'status'],
    registers: register,
    collect() {
      this.reset();
      const diagnoses = source.diagnoses();
      for (const c of source.clusters()) {
        const status: Status = diagnoses.get(c.name)?.status ?? 'unknown';
        for (const s of STATUSES) this.set({ cluster: c.name, status: s }, s === status ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'irsa_sentinel_cluster_diagnosis_info',
    help: "Each cluster's diagnosis: its code and status as labels, value 1",
    labelNames: ['cluster', 'code', 'status'],
    registers: register,
    collect() {
      this.reset();
      for (const [cluster, d] of source.diagnoses()) this.set({ cluster, code: d.code, status: d.status }, 1);
    },
  });
  new Gauge({
    name: 'irsa_sentinel_alerts_firing',
    help: 'Alerts firing now, by cluster, cause code and severity',
    labelNames: ['cluster', 'code', 'severity'],
    registers: register,
    collect() {
      this.reset();
      for (const a of source.firing?.() ?? []) this.set({ cluster: a.cluster, code: a.code, severity: a.severity }, 1);
    },
  });
  new Gauge({
    name: 'irsa_sentinel_runs_in_flight',
    help: 'Probe runs accepted and not yet done',
    registers: register,
    collect() {
      this.set(source.inFlight?.() ?? 0);
    },
  });
  const results = new Counter({
    name: 'irsa_sentinel_probe_results_total',
    help: 'Probe results stored, by probe and status',
    labelNames: ['probe', 'status'],
    registers: register,
  });
  const deliveries = new Counter({
    name: 'irsa_sentinel_alert_deliveries_total',
    help: 'Alert delivery attempts and decisions, by sink and outcome (delivered, retry, failed, held, dropped)',
    labelNames: ['sink', 'outcome'],
    registers: register,
  });
  const lag = new Histogram({
    name: 'irsa_sentinel_scheduler_lag_seconds',
    help: 'How late a scheduled probe run started (waiting for a runner slot)',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
    registers: register,
  });
  return {
    registry,
    async scrape() {
      latest = source.latest();
      try {
        return await registry.metrics();
      } finally {
        latest = [];
      }
    },
    recordResult: (r) => results.inc({ probe: r.probe, status: r.status }),
    recordLag: (seconds) => lag.observe(Math.max(0, seconds)),
    recordDelivery: (sink, outcome) => deliveries.inc({ sink, outcome }),
  };
}
