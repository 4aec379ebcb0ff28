// Fleet discovery against the lab's IAM: every OIDC provider of the account becomes a monitored issuer named by its
// ccoctl tag or EKS cluster id; a hand-configured cluster with the same issuer wins; rediscovery picks up a new
// provider and the agent schedules it; the discovered clusters are probed like any other.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateOpenIDConnectProviderCommand, DeleteOpenIDConnectProviderCommand, IAMClient } from '@aws-sdk/client-iam';
import pino from 'pino';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.ts';
import type { Agent } from '../../src/agent.ts';
import { agentConfigYaml } from '../../src/lab-adapter.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Lab } from '../../src/lab/index.ts';
import { sdkConfig, startTestLab } from '../helpers/lab.ts';

const EKS_ID = 'A8242F25BFBB8F98F5321B2AE63C8B5C';
const EKS_URL = `https://oidc.eks.us-west-2.amazonaws.com/id/${EKS_ID}`;
let lab: Lab;
let agent: Agent;
let iam: IAMClient;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: 'east' }, { name: 'west' }], keyPool: 1 } });
  iam = new IAMClient(sdkConfig(lab, 'alice'));
  // The lab's own agent config, turned into "one account line": discover on, and only `east` configured by hand
  // under another name.
  const doc = parse(agentConfigYaml(lab.info(), lab.kubeconfigFile)) as {
    accounts: Record<string, unknown>[];
    clusters: Record<string, unknown>[];
  };
  doc.accounts[0]!.discover = { cron: '0 0 1 1 *' };
  doc.clusters = doc.clusters.filter((c) => c.name === 'east').map((c) => ({ ...c, name: 'east-by-hand' }));
  const file = join(lab.dataDir, 'discover.yaml');
  // A discovered issuer's URL comes from IAM, so it is fetched from public addresses only unless allowed: the lab's
  // issuers are on loopback.
  const probes = { issuer: { allowPrivateAddresses: true }, jwks: { allowPrivateAddresses: true } };
  writeFileSync(file, stringify({ ...doc, probes, storage: { inMemory: true } }));
  agent = await createAgent(loadConfig(file, {}), pino({ level: 'silent' }));
});
afterAll(async () => {
  await agent.stop();
  iam.destroy();
  await lab.close();
});

const byName = (name: string) => agent.config.clusters.find((c) => c.name === name);

describe('fleet discovery', () => {
  it("monitors each provider named by ccoctl's tag, leaving out the issuer configured by hand", () => {
    expect(agent.config.clusters.map((c) => c.name)).toEqual(['east-by-hand', 'west']);
    const west = lab.info().clusters.find((c) => c.name === 'west')!;
    expect(byName('west')).toMatchObject({
      issuer: west.issuer,
      account: 'lab',
      region: 'us-east-1',
      flavor: 'openshift',
      audiences: ['openshift', 'sts.amazonaws.com'],
      bucket: { name: 'west-oidc', region: 'us-east-1' },
      labels: { discovered: 'lab' },
      probes: ['issuer', 'jwks', 'bucket', 'cloudtrail'],
    });
  });

  it(
    'probes a discovered cluster with the issuer, jwks, bucket and cloudtrail probes',
    { timeout: 30_000 },
    async () => {
      const results = await agent.scheduler.runOnce({ clusters: ['west'] });
      expect(results.map((r) => `${r.probe}:${r.status}`).sort()).toEqual([
        'bucket:ok',
        'cloudtrail:ok',
        'issuer:ok',
        'jwks:ok',
      ]);
      const jwks = results.find((r) => r.probe === 'jwks');
      expect(jwks?.findings.map((f) => f.code)).toEqual(['SIGNING_KEYS_NOT_CONFIGURED']);
    },
  );

  it('picks up a new provider on rediscovery (an EKS cluster named by its id) and drops a deleted one', async () => {
    const { OpenIDConnectProviderArn: arn } = await iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: EKS_URL, ClientIDList: ['sts.amazonaws.com'], ThumbprintList: [] }),
    );
    expect(await agent.rediscover()).toBe(true);
    expect(byName(EKS_ID)).toMatchObject({
      issuer: EKS_URL,
      region: 'us-west-2',
      flavor: 'eks',
      audiences: ['sts.amazonaws.com'],
    });
    expect(byName(EKS_ID)).not.toHaveProperty('bucket');
    // The rebuilt scheduler knows the new cluster (its CloudTrail is scanned in us-west-2 and us-east-1).
    const [trail] = await agent.scheduler.runOnce({ clusters: [EKS_ID], probes: ['cloudtrail'] });
    expect(trail).toMatchObject({
      cluster: EKS_ID,
      probe: 'cloudtrail',
      status: 'ok',
      observations: { regions: ['us-west-2', 'us-east-1'] },
    });
    expect(await agent.rediscover()).toBe(false);
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    expect(await agent.rediscover()).toBe(true);
    expect(byName(EKS_ID)).toBeUndefined();
  });
});
