// Alerts and stores for the alerting tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Alert } from '../../src/alerts/types.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';

export const silent = pino({ level: 'silent' });

export function firingAlert(cluster = 'prod-east', code = 'BUCKET_POLICY_DENIES_STS', at = new Date()): Alert {
  const iso = at.toISOString();
  return {
    id: 0,
    cluster,
    code,
    severity: 'critical',
    state: 'firing',
    probe: 'bucket',
    failCount: 1,
    passCount: 0,
    firstSeenAt: iso,
    lastSeenAt: iso,
    firedAt: iso,
    lastNotifiedAt: iso,
    reminders: 0,
    content: {
      title: 'The OIDC bucket policy denies STS',
      summary: `Every role (7) fails with Couldn't retrieve verification key because statement Access-to-specific-VPCE-only (changed by arn:aws:iam::111122223333:user/alice at ${iso}) denies anonymous reads of the issuer documents in ${cluster}-oidc.`,
      remediation: 'STS reads the discovery document and keys.json anonymously from the internet.',
      evidence: [
        {
          probe: 'bucket',
          code: 'BUCKET_ANONYMOUS_READ_DENIED',
          message: 'Statement "Access-to-specific-VPCE-only" denies s3:GetObject',
          subject: `${cluster}-oidc`,
        },
        {
          probe: 'cloudtrail',
          code: 'BUCKET_POLICY_CHANGED_BY',
          message: 'alice put a new bucket policy',
          subject: `${cluster}-oidc`,
        },
      ],
      change: {
        actor: 'arn:aws:iam::111122223333:user/alice',
        at: iso,
        event: 'PutBucketPolicy',
        statement: 'Access-to-specific-VPCE-only',
      },
      labels: { env: 'prod', 'app.kubernetes.io/part-of': 'openshift' },
      link: `http://127.0.0.1:8080/clusters/${cluster}`,
    },
  };
}

export const tempStoreDir = (): string => mkdtempSync(join(tmpdir(), 'irsa-alerts-'));
export const openStore = (dataDir: string) => openSqliteStore({ dataDir });
