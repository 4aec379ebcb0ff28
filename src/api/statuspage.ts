// GET /api/v1/summary.json in the shape of Atlassian Statuspage's public summary (/api/v2/summary.json: page, status
// {indicator, description}, components, incidents, scheduled_maintenances), so Statuspage clients and widgets read it
// unchanged. Clusters are the components, firing alerts the incidents, maintenance windows the scheduled maintenances.
import type { Status } from '../core/model.ts';
import { RULES } from '../diagnosis/rules.ts';
import type { ClusterSummary, FleetStatus } from '../status.ts';
import type { FiringAlert, MaintenanceWindow } from './alerts-summary.ts';
import type { ApiDeps } from './deps.ts';

export const PAGE_ID = 'irsa-sentinel';

/** Statuspage's component statuses. */
export type ComponentStatus =
  'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage' | 'under_maintenance';
export type Indicator = 'none' | 'minor' | 'major' | 'critical';

/** Statuspage's wording of the page indicator. */
const DESCRIPTION: Record<Indicator, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major Service Outage',
};

/** Causes that break single roles, not the whole cluster: a partial outage. */
const ROLE_LEVEL = new Set(
  RULES.filter((r) => r.perRole)
    .map((r) => r.code)
    .concat(['ASSUME_DENIED', 'TOKEN_EXPIRED']),
);

export function componentStatus(c: ClusterSummary, inMaintenance: boolean): ComponentStatus {
  if (inMaintenance) return 'under_maintenance';
  const byStatus: Record<Status, ComponentStatus> = {
    ok: 'operational',
    // Undecided is not an outage, nor known to be fine: shown as degraded, with the reason in the description.
    unknown: 'degraded_performance',
    warn: 'degraded_performance',
    fail: ROLE_LEVEL.has(c.diagnosis.code) ? 'partial_outage' : 'major_outage',
  };
  return byStatus[c.status];
}

const RANK: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 0,
  degraded_performance: 1,
  partial_outage: 2,
  major_outage: 3,
};
const INDICATOR: Indicator[] = ['none', 'minor', 'major', 'critical'];

/** A stable component id from the cluster's name (Statuspage ids are opaque strings). */
const componentId = (cluster: string): string => `cluster-${cluster}`;

function incident(a: FiringAlert, page: string) {
  const impact: Indicator = a.severity === 'critical' ? 'major' : 'minor';
  const id = `${a.cluster}/${a.code}`;
  return {
    id,
    name: `${a.cluster}: ${a.code}`,
    status: 'identified',
    impact,
    created_at: a.since,
    updated_at: a.updatedAt,
    started_at: a.since,
    monitoring_at: null,
    resolved_at: null,
    shortlink: `${page}/clusters/${encodeURIComponent(a.cluster)}`,
    page_id: PAGE_ID,
    incident_updates: [
      {
        id: `${id}/1`,
        incident_id: id,
        status: 'identified',
        body: a.summary,
        created_at: a.since,
        updated_at: a.updatedAt,
        display_at: a.updatedAt,
      },
    ],
    components: [{ id: componentId(a.cluster), name: a.cluster }],
  };
}

function maintenance(m: MaintenanceWindow, now: Date, page: string) {
  const inProgress = Date.parse(m.startsAt) <= now.getTime();
  const id = `maintenance/${m.name}/${m.startsAt}`;
  return {
    id,
    name: m.name,
    status: inProgress ? 'in_progress' : 'scheduled',
    impact: 'maintenance',
    created_at: m.startsAt,
    updated_at: m.startsAt,
    started_at: m.startsAt,
    scheduled_for: m.startsAt,
    scheduled_until: m.endsAt,
    monitoring_at: null,
    resolved_at: null,
    shortlink: page,
    page_id: PAGE_ID,
    incident_updates: [],
    components: m.clusters.map((c) => ({ id: componentId(c), name: c })),
  };
}

export function statuspageSummary(fleet: FleetStatus, deps: Pick<ApiDeps, 'alertsSummary' | 'publicUrl' | 'now'>) {
  const now = deps.now();
  const page = (deps.publicUrl ?? '').replace(/\/+$/, '');
  const windows = deps.alertsSummary?.upcomingMaintenance(now) ?? [];
  const underMaintenance = new Set(
    windows.filter((w) => Date.parse(w.startsAt) <= now.getTime()).flatMap((w) => w.clusters),
  );
  const components = fleet.clusters.map((c, i) => ({
    id: componentId(c.name),
    name: c.name,
    status: componentStatus(c, underMaintenance.has(c.name)),
    description: c.diagnosis.summary,
    position: i + 1,
    showcase: false,
    start_date: null,
    group_id: null,
    group: false,
    only_show_if_degraded: false,
    page_id: PAGE_ID,
    created_at: fleet.generatedAt,
    updated_at: c.probes ? (latestRun(c) ?? fleet.generatedAt) : fleet.generatedAt,
  }));
  const worst = Math.max(0, ...components.map((c) => RANK[c.status]));
  const indicator = INDICATOR[worst]!;
  return {
    page: { id: PAGE_ID, name: 'irsa-sentinel', url: page || '/', time_zone: 'Etc/UTC', updated_at: fleet.generatedAt },
    status: { indicator, description: DESCRIPTION[indicator] },
    components,
    incidents: (deps.alertsSummary?.firing() ?? []).filter((a) => !a.silenced).map((a) => incident(a, page)),
    scheduled_maintenances: windows.map((w) => maintenance(w, now, page)),
  };
}

const latestRun = (c: ClusterSummary): string | undefined =>
  Object.values(c.probes)
    .map((p) => p.lastRun)
    .sort()
    .at(-1);
