// What summary.json and the status page show of alerting (alertsSummaryOf): firing alerts flattened (the summary from
// their content, since = when they fired, silenced = a silence or window holds them), silences without their
// bookkeeping, and maintenance windows with the clusters their selector picks from the fleet as it is now.
import { describe, expect, it } from 'vitest';
import type { ActiveMaintenance } from '../../src/alerts/quiet.ts';
import type { AlertsApi } from '../../src/alerts/service.ts';
import type { Silence } from '../../src/alerts/types.ts';
import type { AlertView } from '../../src/alerts/view.ts';
import { alertsSummaryOf } from '../../src/api/alerts-summary.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';
import type { ClusterConfig } from '../../src/config/types.ts';

const NOW = new Date('2026-12-06T02:30:00.000Z');

const cluster = (name: string, labels: Record<string, string>): ClusterConfig => ({
  name,
  issuer: `https://${name}.example.com`,
  region: 'us-east-1',
  labels,
  ...clusterDefaults(),
});

function alert(cluster: string, code: string, extra: Partial<AlertView> = {}): AlertView {
  return {
    id: 1,
    cluster,
    code,
    severity: 'critical',
    state: 'firing',
    probe: 'bucket',
    failCount: 2,
    passCount: 0,
    firstSeenAt: '2026-12-06T02:00:00.000Z',
    lastSeenAt: '2026-12-06T02:29:00.000Z',
    reminders: 0,
    content: {
      title: 'The OIDC bucket policy denies STS',
      summary: `${cluster}: the bucket policy denies STS`,
      evidence: [],
      labels: {},
      link: `http://127.0.0.1:8080/clusters/${cluster}`,
    },
    deliveries: [{ sink: 'oncall', kind: 'trigger', status: 'delivered', attempts: 1, createdAt: NOW.toISOString() }],
    ...extra,
  };
}

const silence: Silence = {
  id: 's1',
  matchers: [{ name: 'cluster', value: 'prod-east' }],
  startsAt: '2026-12-06T02:00:00.000Z',
  endsAt: '2026-12-06T04:00:00.000Z',
  comment: 'rotating keys',
  createdBy: 'ops',
  createdAt: '2026-12-06T02:00:00.000Z',
};

const window = (name: string, labels?: Record<string, string>): ActiveMaintenance => ({
  name,
  startedAt: '2026-12-06T02:00:00.000Z',
  endsAt: '2026-12-06T03:00:00.000Z',
  ...(labels && { labels }),
});

/** The alerting API as alertsSummaryOf reads it; records the times it is asked about. */
function fakeAlerts(asked: Date[] = []): AlertsApi {
  const api: Pick<AlertsApi, 'firing' | 'silences' | 'activeMaintenance' | 'upcomingMaintenance'> = {
    firing: () => [
      alert('prod-east', 'BUCKET_POLICY_DENIES_STS', { firedAt: '2026-12-06T02:05:00.000Z' }),
      alert('dev', 'ISSUER_TOO_SLOW', {
        severity: 'warning',
        quiet: { kind: 'maintenance', name: 'dev-upgrade' },
      }),
    ],
    silences: () => [silence, { ...silence, id: 's2', expiredAt: '2026-12-06T02:10:00.000Z' }],
    activeMaintenance: (now) => {
      asked.push(now!);
      return [window('dev-upgrade', { env: 'dev' })];
    },
    upcomingMaintenance: (now) => {
      asked.push(now!);
      return [window('fleet-wide'), window('prod-platform', { env: 'prod', team: 'platform' })];
    },
  };
  return api as AlertsApi;
}

describe('alertsSummaryOf', () => {
  let fleet = [
    cluster('prod-east', { env: 'prod', team: 'platform' }),
    cluster('prod-west', { env: 'prod' }),
    cluster('dev', { env: 'dev', team: 'platform' }),
  ];
  const summary = alertsSummaryOf(fakeAlerts(), () => fleet);

  it('firing: the summary of the content, since when it fired (else first seen), silenced when held', () => {
    expect(summary.firing()).toEqual([
      {
        cluster: 'prod-east',
        code: 'BUCKET_POLICY_DENIES_STS',
        severity: 'critical',
        summary: 'prod-east: the bucket policy denies STS',
        since: '2026-12-06T02:05:00.000Z',
        updatedAt: '2026-12-06T02:29:00.000Z',
        silenced: false,
      },
      {
        cluster: 'dev',
        code: 'ISSUER_TOO_SLOW',
        severity: 'warning',
        summary: 'dev: the bucket policy denies STS',
        since: '2026-12-06T02:00:00.000Z',
        updatedAt: '2026-12-06T02:29:00.000Z',
        silenced: true,
      },
    ]);
  });

  it('silences: id, matchers, end, comment and author; nothing of their bookkeeping', () => {
    const [first] = summary.silences();
    expect(first).toEqual({
      id: 's1',
      matchers: [{ name: 'cluster', value: 'prod-east' }],
      endsAt: '2026-12-06T04:00:00.000Z',
      comment: 'rotating keys',
      createdBy: 'ops',
    });
    expect(summary.silences().map((s) => s.id)).toEqual(['s1', 's2']);
  });

  it('maintenance: asked about `now`; the clusters every selector label picks, the whole fleet without one', () => {
    const asked: Date[] = [];
    const s = alertsSummaryOf(fakeAlerts(asked), () => fleet);
    expect(s.activeMaintenance(NOW)).toEqual([
      {
        name: 'dev-upgrade',
        startsAt: '2026-12-06T02:00:00.000Z',
        endsAt: '2026-12-06T03:00:00.000Z',
        clusters: ['dev'],
        selector: { env: 'dev' },
      },
    ]);
    expect(s.upcomingMaintenance(NOW)).toEqual([
      {
        name: 'fleet-wide',
        startsAt: '2026-12-06T02:00:00.000Z',
        endsAt: '2026-12-06T03:00:00.000Z',
        clusters: ['prod-east', 'prod-west', 'dev'],
      },
      {
        name: 'prod-platform',
        startsAt: '2026-12-06T02:00:00.000Z',
        endsAt: '2026-12-06T03:00:00.000Z',
        clusters: ['prod-east'],
        selector: { env: 'prod', team: 'platform' },
      },
    ]);
    expect(asked).toEqual([NOW, NOW]);
  });

  it('reads the fleet when asked: a cluster that joins is covered at once', () => {
    fleet = [...fleet, cluster('prod-north', { env: 'prod', team: 'platform' })];
    expect(summary.upcomingMaintenance(NOW).find((w) => w.name === 'prod-platform')?.clusters).toEqual([
      'prod-east',
      'prod-north',
    ]);
  });
});
