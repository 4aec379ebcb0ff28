// Provisioning stays cheap for big fleets (clusters.ts): kube objects are built on first use, pooled keys share one
// published keys.json, and the roles of a cluster share their tag list. What is built must be what ccoctl leaves.
import { describe, expect, it } from 'vitest';
import { AGENT_SERVICE_ACCOUNT, provisionCluster } from '../../src/lab/clusters.ts';
import { KeyPool } from '../../src/lab/keys.ts';
import { LabState } from '../../src/lab/state.ts';

const ORIGIN = 'https://127.0.0.1:4566';

describe('provisionCluster', () => {
  it('builds the kube objects on first use, once, and keeps what is added to them', async () => {
    const state = new LabState();
    const pool = await KeyPool.create(1);
    const c = await provisionCluster(state, ORIGIN, 'one', pool.take());
    const secrets = c.secrets;
    expect(c.secrets).toBe(secrets);
    expect(secrets.get('openshift-ingress-operator/cloud-credentials')?.credentials).toContain(
      `role_arn = arn:aws:iam::${state.accountId}:role/one-openshift-ingress-operator-cloud-credentials`,
    );
    expect(secrets.size).toBe(c.credentialsRequests.length);
    expect(c.serviceAccounts.has(AGENT_SERVICE_ACCOUNT)).toBe(true);
    expect(c.serviceAccounts.has('openshift-ingress-operator/ingress-operator')).toBe(true);
    c.secrets.set('ns/extra', { k: 'v' });
    expect(c.secrets.get('ns/extra')).toEqual({ k: 'v' });
    // A spread copy (as the control API's views make) sees the same objects.
    expect({ ...c }.secrets).toBe(c.secrets);
  });

  it('shares one keys.json between clusters with the same key, and differs per key', async () => {
    const state = new LabState();
    const pool = await KeyPool.create(2);
    const [k1, k2] = [pool.take(), pool.take()];
    await provisionCluster(state, ORIGIN, 'a', k1);
    await provisionCluster(state, ORIGIN, 'b', k1);
    await provisionCluster(state, ORIGIN, 'c', k2);
    const body = (name: string) => state.buckets.get(`${name}-oidc`)?.objects.get('keys.json');
    expect(body('a')?.body).toBe(body('b')?.body);
    expect(body('a')?.etag).toBe(body('b')?.etag);
    expect(body('c')?.body.equals(body('a')!.body)).toBe(false);
    const kids = (name: string) => (JSON.parse(body(name)!.body.toString()) as { keys: { kid: string }[] }).keys;
    expect(kids('a').map((k) => k.kid)).toEqual([k1.kid]);
    expect(kids('c').map((k) => k.kid)).toEqual([k2.kid]);
  });

  it('gives every role of a cluster ccoctl tags, and a replaced tag list leaves the other roles alone', async () => {
    const state = new LabState();
    const c = await provisionCluster(state, ORIGIN, 'one', (await KeyPool.create(1)).take());
    const roles = c.roleArns.map((arn) => state.roleByArn(arn)!);
    expect(roles).toHaveLength(7);
    for (const r of roles) {
      expect(r.tags).toEqual([
        { Key: 'openshift.io/cloud-credential-operator/one', Value: 'owned' },
        { Key: 'Name', Value: 'one' },
      ]);
    }
    roles[0]!.tags = [];
    expect(roles[1]!.tags).toHaveLength(2);
  });
});
