// The generic webhook: the versioned body (docs/alerts.md) and the HMAC signature, checked the way a receiver would.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../../src/alerts/sinks/webhook/body.ts';
import type { WebhookBodyV1 } from '../../../src/alerts/sinks/webhook/body.ts';
import { createWebhookSink } from '../../../src/alerts/sinks/webhook/index.ts';
import type { AlertEvent } from '../../../src/alerts/types.ts';
import { startReceiver } from '../../helpers/receiver.ts';
import type { Receiver } from '../../helpers/receiver.ts';
import { firingAlert } from '../fixtures.ts';

const SECRET = 'whsec-0123456789abcdef';
let hook: Receiver;
afterEach(() => hook.close());

const event = (kind: AlertEvent['kind'] = 'trigger'): AlertEvent => ({
  kind,
  id: 'irsa-sentinel/prod-east/BUCKET_POLICY_DENIES_STS/1796000000000/trigger/hook',
  alert: { ...firingAlert(), id: 7 },
  sentAt: '2026-12-06T10:00:00.000Z',
});

/** What a receiver does: recompute the HMAC over "<t>.<raw body>" and compare in constant time. */
function verify(header: string, raw: string, secret: string): { ok: boolean; t: number } {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return { ok: false, t: 0 };
  const expected = createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest();
  return { ok: timingSafeEqual(expected, Buffer.from(m[2]!, 'hex')), t: Number(m[1]) };
}

describe('the webhook sink', () => {
  it('posts body version 1 with the alert, its evidence, the actor and the link, signed with HMAC-SHA256', async () => {
    hook = await startReceiver();
    const sink = createWebhookSink({
      name: 'hook',
      url: `${hook.url}/hooks/irsa`,
      timeoutMs: 5000,
      sendResolved: true,
      secret: SECRET,
    });
    const outcome = await sink.deliver(event(), AbortSignal.timeout(5000));
    await sink.close?.();
    expect(outcome).toMatchObject({ ok: true, httpStatus: 200 });
    const [req] = hook.received;
    expect(req).toMatchObject({ method: 'POST', path: '/hooks/irsa' });
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['x-irsa-sentinel-event']).toBe('trigger');
    expect(req!.headers['idempotency-key']).toBe(event().id);
    const sig = verify(String(req!.headers[SIGNATURE_HEADER]), req!.body, SECRET);
    expect(sig).toEqual({ ok: true, t: Date.parse('2026-12-06T10:00:00.000Z') / 1000 });
    expect(verify(String(req!.headers[SIGNATURE_HEADER]), req!.body, 'another-secret-0000').ok).toBe(false);
    expect(verify(String(req!.headers[SIGNATURE_HEADER]), req!.body.replace('alice', 'mallory'), SECRET).ok).toBe(
      false,
    );
    const body = JSON.parse(req!.body) as WebhookBodyV1;
    expect(body).toEqual({
      version: 1,
      id: event().id,
      kind: 'trigger',
      sentAt: '2026-12-06T10:00:00.000Z',
      source: 'irsa-sentinel',
      alert: {
        id: 7,
        cluster: 'prod-east',
        code: 'BUCKET_POLICY_DENIES_STS',
        severity: 'critical',
        state: 'firing',
        title: 'The OIDC bucket policy denies STS',
        summary: expect.stringContaining(
          'statement Access-to-specific-VPCE-only (changed by arn:aws:iam::111122223333:user/alice',
        ),
        remediation: expect.any(String),
        evidence: [
          expect.objectContaining({ probe: 'bucket', code: 'BUCKET_ANONYMOUS_READ_DENIED' }),
          expect.objectContaining({ probe: 'cloudtrail', code: 'BUCKET_POLICY_CHANGED_BY' }),
        ],
        change: expect.objectContaining({
          actor: 'arn:aws:iam::111122223333:user/alice',
          statement: 'Access-to-specific-VPCE-only',
        }),
        labels: { env: 'prod', 'app.kubernetes.io/part-of': 'openshift' },
        link: 'http://127.0.0.1:8080/clusters/prod-east',
        firstSeenAt: expect.any(String),
        firedAt: expect.any(String),
      },
    });
  });

  it('without a secret sends no signature; a resolution says so', async () => {
    hook = await startReceiver();
    const sink = createWebhookSink({ name: 'hook', url: hook.url, timeoutMs: 5000, sendResolved: true });
    const resolved = event('resolve');
    resolved.alert = { ...resolved.alert, state: 'resolved', resolvedAt: '2026-12-06T10:05:00.000Z' };
    await sink.deliver(resolved, AbortSignal.timeout(5000));
    await sink.close?.();
    expect(hook.received[0]!.headers[SIGNATURE_HEADER]).toBeUndefined();
    expect(hook.json(0)).toMatchObject({
      kind: 'resolve',
      alert: { state: 'resolved', resolvedAt: '2026-12-06T10:05:00.000Z' },
    });
  });

  it('an escalation carries escalatedAt', async () => {
    hook = await startReceiver();
    const sink = createWebhookSink({ name: 'hook', url: hook.url, timeoutMs: 5000, sendResolved: true });
    const escalated = event('trigger');
    escalated.alert = { ...escalated.alert, severity: 'critical', escalatedAt: '2026-12-06T10:03:00.000Z' };
    await sink.deliver(escalated, AbortSignal.timeout(5000));
    await sink.close?.();
    expect(hook.json(0)).toMatchObject({
      kind: 'trigger',
      alert: { severity: 'critical', escalatedAt: '2026-12-06T10:03:00.000Z' },
    });
  });

  it('a receiver that does not answer in time is a retryable TIMEOUT', async () => {
    hook = await startReceiver(() => ({ status: 200, delayMs: 2000 }));
    const sink = createWebhookSink({ name: 'hook', url: hook.url, timeoutMs: 200, sendResolved: true });
    const outcome = await sink.deliver(event(), AbortSignal.timeout(200));
    await sink.close?.();
    expect(outcome).toMatchObject({ ok: false, retryable: true, errorCode: 'TIMEOUT' });
  });
});
