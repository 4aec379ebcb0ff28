// What GET /api/v1/status adds about alerting: per cluster its firing and pending alerts and whether it is quiet, and
// fleet-wide the active silences and maintenance windows.
import type { AlertsApi } from '../alerts/service.ts';
import type { ActiveMaintenance } from '../alerts/quiet.ts';
import type { ClusterAlerts } from '../alerts/view.ts';
import type { FleetStatus } from '../status.ts';
import { apiSilence } from './routes/alerts.ts';

const NONE: ClusterAlerts = { firing: 0, pending: 0, codes: [], quiet: false };

export function withAlerts(status: FleetStatus, alerts: AlertsApi | undefined, now: Date) {
  const byCluster = alerts?.byCluster() ?? new Map<string, ClusterAlerts>();
  return {
    ...status,
    clusters: status.clusters.map((c) => ({ ...c, alerts: byCluster.get(c.name) ?? NONE })),
    silences: alerts ? alerts.silences().map((s) => apiSilence(s, now)) : [],
    maintenance: alerts ? alerts.activeMaintenance(now) : ([] as ActiveMaintenance[]),
  };
}
