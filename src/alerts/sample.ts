// The sample alert `irsa-sentinel test-alert` (and POST /api/v1/sinks/:name/test) sends to check a sink's wiring: the
// demo's broken cluster as the agent would report it, marked as a test.
import { clusterLink } from './content.ts';
import type { Alert, AlertEvent } from './types.ts';

export function sampleAlert(now: Date, baseUrl: string): Alert {
  const at = now.toISOString();
  return {
    id: 0,
    cluster: 'example-cluster',
    code: 'BUCKET_POLICY_DENIES_STS',
    severity: 'critical',
    state: 'firing',
    probe: 'bucket',
    failCount: 1,
    passCount: 0,
    firstSeenAt: at,
    lastSeenAt: at,
    firedAt: at,
    reminders: 0,
    content: {
      title: 'The OIDC bucket policy denies STS',
      summary:
        "TEST ALERT from irsa-sentinel: nothing is broken. A real one reads: Every role (7) fails with Couldn't retrieve verification key because statement Access-to-specific-VPCE-only (changed by arn:aws:iam::111122223333:user/alice) denies anonymous reads of the issuer documents in example-cluster-oidc.",
      remediation: 'Nothing to do: this checks that notifications reach this sink.',
      evidence: [],
      change: {
        actor: 'arn:aws:iam::111122223333:user/alice',
        at,
        event: 'PutBucketPolicy',
        statement: 'Access-to-specific-VPCE-only',
      },
      labels: { test: 'true' },
      link: clusterLink(baseUrl, 'example-cluster'),
    },
  };
}

export const sampleEvent = (now: Date, baseUrl: string): AlertEvent => ({
  kind: 'test',
  id: `irsa-sentinel/test/${now.getTime()}`,
  alert: sampleAlert(now, baseUrl),
  sentAt: now.toISOString(),
});
