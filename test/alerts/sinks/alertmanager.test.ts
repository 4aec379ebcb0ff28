// Alertmanager API v2 body: POST /api/v2/alerts with [{labels, annotations, startsAt, endsAt, generatorURL}],
// endsAt ahead while firing, now on resolve. (The live test posts to a real Alertmanager.)
import { afterEach, describe, expect, it } from 'vitest';
import { labelName, postableAlerts } from '../../../src/alerts/sinks/alertmanager/body.ts';
import type { PostableAlert } from '../../../src/alerts/sinks/alertmanager/body.ts';
import { createAlertmanagerSink } from '../../../src/alerts/sinks/alertmanager/index.ts';
import { startAlertmanager } from '../../helpers/alertmanager.ts';
import { startReceiver } from '../../helpers/receiver.ts';
import type { Receiver } from '../../helpers/receiver.ts';
import type { Alert } from '../../../src/alerts/types.ts';
import { firingAlert } from '../fixtures.ts';

let am: Receiver;
afterEach(() => am.close());

describe('the Alertmanager sink', () => {
  it('posts the alert with alertname, cluster, code, severity and the cluster labels; endsAt 4 refreshes ahead, then now', async () => {
    am = await startReceiver();
    const sink = createAlertmanagerSink({
      name: 'am',
      url: `${am.url}/`,
      timeoutMs: 5000,
      sendResolved: true,
      refreshMs: 60_000,
    });
    const alert = firingAlert();
    const sent = '2026-12-06T10:00:00.000Z';
    await sink.deliver({ kind: 'trigger', id: 'a', alert, sentAt: sent }, AbortSignal.timeout(5000));
    const resolvedAt = '2026-12-06T10:07:00.000Z';
    await sink.deliver(
      {
        kind: 'resolve',
        id: 'b',
        alert: { ...alert, state: 'resolved', resolvedAt },
        sentAt: '2026-12-06T10:07:01.000Z',
      },
      AbortSignal.timeout(5000),
    );
    await sink.close?.();
    expect(am.received.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v2/alerts', 'POST /api/v2/alerts']);
    const [firing] = am.json<PostableAlert[]>(0);
    expect(firing).toEqual({
      labels: {
        alertname: 'BUCKET_POLICY_DENIES_STS',
        cluster: 'prod-east',
        code: 'BUCKET_POLICY_DENIES_STS',
        severity: 'critical',
        env: 'prod',
        app_kubernetes_io_part_of: 'openshift',
      },
      annotations: {
        summary: alert.content.summary,
        title: 'The OIDC bucket policy denies STS',
        remediation: alert.content.remediation,
        changed_by: 'arn:aws:iam::111122223333:user/alice',
        changed_at: alert.firedAt,
        statement: 'Access-to-specific-VPCE-only',
      },
      startsAt: alert.firedAt,
      endsAt: '2026-12-06T10:04:00.000Z',
      generatorURL: 'http://127.0.0.1:8080/clusters/prod-east',
    });
    const [resolved] = am.json<PostableAlert[]>(1);
    expect(resolved!.labels).toEqual(firing!.labels);
    expect(resolved!.endsAt).toBe(resolvedAt);
  });

  it("maps label names to Prometheus' form; its own labels win over a cluster label of the same name", () => {
    expect(['env', 'app.kubernetes.io/name', '9lives', 'a-b'].map(labelName)).toEqual([
      'env',
      'app_kubernetes_io_name',
      '_9lives',
      'a_b',
    ]);
    const alert = firingAlert();
    alert.content.labels = { severity: 'low', cluster: 'other', team: 'platform' };
    const [posted] = postableAlerts({ kind: 'trigger', id: 'a', alert, sentAt: new Date().toISOString() }, 60_000);
    expect(posted!.labels).toMatchObject({ severity: 'critical', cluster: 'prod-east', team: 'platform' });
  });

  it('ends the warning of an escalated alert in a real Alertmanager: only the critical one stays active', async () => {
    am = await startReceiver(); // closed by afterEach; the real Alertmanager is this test's peer
    const real = await startAlertmanager();
    const sink = createAlertmanagerSink({
      name: 'am',
      url: real.url,
      timeoutMs: 5000,
      sendResolved: true,
      refreshMs: 60_000,
    });
    try {
      const now = Date.now();
      const at = (s: number) => new Date(now + s * 1000).toISOString();
      const warning: Alert = { ...firingAlert(), severity: 'warning', firedAt: at(-120), firstSeenAt: at(-180) };
      const deliver = (kind: 'trigger' | 'resolve', alert: Alert, sentAt: string) =>
        sink.deliver({ kind, id: `${kind}-${sentAt}`, alert, sentAt }, AbortSignal.timeout(5000));
      expect((await deliver('trigger', warning, at(-120))).ok).toBe(true);
      const active = async () =>
        (await real.alerts()).map((a) => `${a.labels.alertname} ${a.labels.severity} ${a.status.state}`).sort();
      expect(await active()).toEqual(['BUCKET_POLICY_DENIES_STS warning active']);
      const escalated: Alert = { ...warning, severity: 'critical', escalatedAt: at(-1) };
      expect((await deliver('trigger', escalated, at(0))).ok).toBe(true);
      expect(await active()).toEqual(['BUCKET_POLICY_DENIES_STS critical active']);
      expect((await deliver('resolve', { ...escalated, state: 'resolved', resolvedAt: at(0) }, at(0))).ok).toBe(true);
      expect(await active()).toEqual([]);
    } finally {
      await sink.close?.();
      await real.stop();
    }
  });
});
