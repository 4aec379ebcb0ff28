// The jwks probe's other signing-key sources against the lab: a fresh token's kid (fromTokenOf), a public key PEM
// (publicKeyPems), and none at all (SIGNING_KEYS_NOT_CONFIGURED, info, status ok).
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kidOfPem } from '../../../probes/jwks/checks.ts';
import { createJwksProbe } from '../../../probes/jwks/probe.ts';
import type { ClusterConfig, SigningKeySources } from '../../../src/config/types.ts';
import type { Lab } from '../../../src/lab/index.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { ProbeOutcome } from '../../../src/core/model.ts';
import { startTestLab } from '../../helpers/lab.ts';
import { labProbeTarget } from '../../helpers/probe-context.ts';

const CLUSTER = 'prod-east';
const NO_SOURCE: SigningKeySources = { fromCluster: false, publicKeyPems: [], publicKeyFiles: [], nextKey: false };
const probe = createJwksProbe();
let lab: Lab;
let target: Awaited<ReturnType<typeof labProbeTarget>>;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
  target = await labProbeTarget(lab, CLUSTER);
});
afterAll(async () => {
  await target?.close();
  await lab?.close();
});
beforeEach(() => lab.heal());

const labKey = () => lab.state.clusters.get(CLUSTER)!.signingKey;
const run = (keys: Partial<SigningKeySources>): Promise<ProbeOutcome> => {
  const cluster: ClusterConfig = { ...target.cluster, signingKeys: { ...NO_SOURCE, ...keys } };
  return probe.run(cluster, target.ctx);
};
const pairs = (out: ProbeOutcome) => out.findings.map((f) => [f.code, f.subject]);

describe('jwks probe, signingKeys.fromTokenOf', () => {
  const fromTokenOf = 'openshift-ingress-operator/ingress-operator';

  it('healthy: the fresh token kid is the lab signing kid, and it is published', async () => {
    const out = await run({ fromTokenOf });
    expect(out.findings).toEqual([]);
    expect(out.observations?.signingKids).toEqual([labKey().kid]);
    expect(out.observations?.publishedKids).toEqual([labKey().kid]);
  });

  it('rotate-key-unpublished: SIGNING_KEY_NOT_PUBLISHED names the new kid', async () => {
    const oldKid = labKey().kid;
    await lab.applyFault({ cluster: CLUSTER, fault: 'rotate-key-unpublished' });
    const newKid = labKey().kid;
    expect(newKid).not.toBe(oldKid);
    const out = await run({ fromTokenOf });
    expect(out.observations?.signingKids).toEqual([newKid]);
    const notPublished = out.findings.filter((f) => f.code === 'SIGNING_KEY_NOT_PUBLISHED');
    expect(notPublished.map((f) => [f.subject, f.evidence])).toEqual([
      [newKid, { kid: newKid, publishedKids: [oldKid] }],
    ]);
    // A token shows only the current key, so the still-published old key counts as one the cluster does not use.
    expect(pairs(out)).toEqual([
      ['SIGNING_KEY_NOT_PUBLISHED', newKid],
      ['STALE_KEY_PUBLISHED', oldKid],
    ]);
    expect(statusOf(out.findings)).toBe('fail');
  });
});

describe('jwks probe, signingKeys.publicKeyPems', () => {
  it("the lab cluster's own public key PEM: ok", async () => {
    expect(kidOfPem(labKey().publicPem)).toBe(labKey().kid);
    const out = await run({ publicKeyPems: [labKey().publicPem] });
    expect(out.findings).toEqual([]);
    expect(out.observations?.signingKids).toEqual([labKey().kid]);
  });

  it("another key's PEM: that kid is not published, and the published one is stale", async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const otherKid = kidOfPem(other);
    const out = await run({ publicKeyPems: [other] });
    expect(pairs(out)).toEqual([
      ['SIGNING_KEY_NOT_PUBLISHED', otherKid],
      ['STALE_KEY_PUBLISHED', labKey().kid],
    ]);
    expect(out.findings[1]?.evidence).toEqual({ kid: labKey().kid, clusterKids: [otherKid] });
    expect(statusOf(out.findings)).toBe('fail');
  });
});

describe('jwks probe, no signing-key source', () => {
  it('SIGNING_KEYS_NOT_CONFIGURED at info, status ok, the JWKS and the provider still checked', async () => {
    const out = await run({});
    expect(out.findings.map((f) => [f.code, f.severity])).toEqual([['SIGNING_KEYS_NOT_CONFIGURED', 'info']]);
    expect(statusOf(out.findings)).toBe('ok');
    expect(out.observations).toMatchObject({
      signingKids: [],
      publishedKids: [labKey().kid],
      clientIds: ['openshift', 'sts.amazonaws.com'],
    });
  });
});
