// PagerDuty Events API v2: trigger and resolve with a deterministic dedup_key, the payload's documented fields and
// limits, posted to a local receiver standing in for events.pagerduty.com.
import { afterEach, describe, expect, it } from 'vitest';
import { PD_SEVERITIES, PD_SUMMARY_MAX } from '../../../src/alerts/sinks/pagerduty/body.ts';
import type { PagerDutyEvent } from '../../../src/alerts/sinks/pagerduty/body.ts';
import { createPagerDutySink } from '../../../src/alerts/sinks/pagerduty/index.ts';
import type { AlertEvent } from '../../../src/alerts/types.ts';
import { startReceiver } from '../../helpers/receiver.ts';
import type { Receiver } from '../../helpers/receiver.ts';
import { firingAlert } from '../fixtures.ts';

const KEY = 'R0UT1NGKEY0123456789ABCDEF012345';
let pd: Receiver;
afterEach(() => pd.close());

const sent = '2026-12-06T10:00:00.000Z';

async function deliver(...events: AlertEvent[]): Promise<PagerDutyEvent[]> {
  pd = await startReceiver(() => ({
    status: 202,
    body: '{"status":"success","message":"Event processed","dedup_key":"k"}',
  }));
  const sink = createPagerDutySink({
    name: 'pd',
    url: `${pd.url}/v2/enqueue`,
    timeoutMs: 5000,
    sendResolved: true,
    routingKey: KEY,
  });
  for (const e of events) expect((await sink.deliver(e, AbortSignal.timeout(5000))).ok).toBe(true);
  await sink.close?.();
  return pd.received.map((_, i) => pd.json<PagerDutyEvent>(i));
}

describe('the PagerDuty sink', () => {
  it('triggers with the documented fields and resolves with the same dedup_key', async () => {
    const alert = firingAlert();
    const resolved = { ...alert, state: 'resolved' as const, resolvedAt: sent };
    const [trigger, resolve] = await deliver(
      { kind: 'trigger', id: 'a', alert, sentAt: sent },
      { kind: 'resolve', id: 'b', alert: resolved, sentAt: sent },
    );
    expect(pd.received.every((r) => r.path === '/v2/enqueue' && r.method === 'POST')).toBe(true);
    expect(trigger).toEqual({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: 'irsa-sentinel/prod-east/BUCKET_POLICY_DENIES_STS',
      payload: {
        summary: expect.stringMatching(/^prod-east: Every role \(7\) fails/),
        source: 'prod-east',
        severity: 'critical',
        timestamp: alert.firedAt,
        component: 'bucket',
        group: 'prod-east',
        class: 'BUCKET_POLICY_DENIES_STS',
        custom_details: expect.objectContaining({
          remediation: expect.any(String),
          changed_by: 'arn:aws:iam::111122223333:user/alice',
          statement: 'Access-to-specific-VPCE-only',
          evidence: expect.arrayContaining([expect.stringMatching(/^bucket\/BUCKET_ANONYMOUS_READ_DENIED: /)]),
          labels: { env: 'prod', 'app.kubernetes.io/part-of': 'openshift' },
        }),
      },
      links: [{ href: 'http://127.0.0.1:8080/clusters/prod-east', text: 'prod-east in irsa-sentinel' }],
      client: 'irsa-sentinel',
      client_url: 'http://127.0.0.1:8080/clusters/prod-east',
    });
    expect(resolve).toEqual({
      routing_key: KEY,
      event_action: 'resolve',
      dedup_key: 'irsa-sentinel/prod-east/BUCKET_POLICY_DENIES_STS',
    });
  });

  it("maps severities onto PagerDuty's and caps the summary at 1024 characters", async () => {
    const base = firingAlert('c1', 'ISSUER_TOO_SLOW');
    const alert = { ...base, severity: 'warning' as const, content: { ...base.content, summary: 's'.repeat(3000) } };
    const [e] = await deliver({ kind: 'trigger', id: 'a', alert, sentAt: sent });
    expect(PD_SEVERITIES).toContain(e!.payload!.severity);
    expect(e!.payload!.severity).toBe('warning');
    expect(e!.payload!.summary.length).toBe(PD_SUMMARY_MAX);
  });

  it('a test event is triggered and resolved at once', async () => {
    const events = await deliver({ kind: 'test', id: 'irsa-sentinel/test/1', alert: firingAlert(), sentAt: sent });
    expect(events.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', 'irsa-sentinel/test/irsa-sentinel/test/1'],
      ['resolve', 'irsa-sentinel/test/irsa-sentinel/test/1'],
    ]);
    expect(events[0]!.payload).toMatchObject({ severity: 'info', summary: expect.stringMatching(/^\[TEST\] /) });
  });
});
