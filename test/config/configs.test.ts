// The shipped configs load, and say what they claim to.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledCredentialsRequests } from '../../src/ccoctl/credentials-requests.ts';
import { loadConfig } from '../../src/config/load.ts';
import { FAULTS } from '../../src/lab/faults.ts';

const configDir = join(import.meta.dirname, '..', '..', 'config');

describe('config/demo.yaml', () => {
  const config = loadConfig(join(configDir, 'demo.yaml'), {});

  it('starts the lab with the three demo clusters and their faults', () => {
    expect(config.clusters).toEqual([]);
    expect(config.lab?.fleet).toMatchObject({
      clusters: [
        { name: 'healthy', faults: [] },
        {
          name: 'vpce-locked',
          faults: [{ fault: 'bucket-policy-deny-non-vpce', form: 'aws-documented', actor: 'alice' }],
        },
        { name: 'slow-issuer', faults: [{ fault: 'issuer-slow' }] },
      ],
    });
    expect(config.server.port).toBe(8080);
    expect(config.storage.dataDir).toBe('./data');
  });

  it('takes the port and data dir from the environment when set', () => {
    const fromEnv = loadConfig(join(configDir, 'demo.yaml'), {
      IRSA_SENTINEL_PORT: '0',
      IRSA_SENTINEL_DATA_DIR: '/tmp/x',
    });
    expect(fromEnv.server.port).toBe(0);
    expect(fromEnv.storage.dataDir).toBe('/tmp/x');
  });

  it('names faults the lab has, and a slow issuer that warns without failing', () => {
    const faults = (config.lab?.fleet as { clusters: { faults: { fault: string; ms?: number }[] }[] }).clusters.flatMap(
      (c) => c.faults,
    );
    for (const f of faults) expect(Object.keys(FAULTS)).toContain(f.fault);
    // The delay applies to each of the two documents the issuer probe fetches (discovery, then JWKS).
    const slow = 2 * faults.find((f) => f.fault === 'issuer-slow')!.ms!;
    expect(slow).toBeGreaterThan(config.probes.issuer.warnLatencyMs);
    expect(slow).toBeLessThan(config.probes.issuer.failLatencyMs);
  });
});

describe('config/example.yaml', () => {
  it('loads: two clusters in one account reached by assuming a role', () => {
    const config = loadConfig(join(configDir, 'example.yaml'), {});
    expect(config.accounts).toEqual([
      {
        name: 'prod',
        id: '123456789012',
        credentials: {
          source: 'assumeRole',
          roleArn: 'arn:aws:iam::123456789012:role/irsa-sentinel-readonly',
          externalId: 'irsa-sentinel',
        },
      },
    ]);
    expect(config.clusters.map((c) => [c.name, c.account, c.region, c.bucket])).toEqual([
      ['ocp-prod-east', 'prod', 'us-east-1', { name: 'ocp-prod-east-oidc', region: 'us-east-1' }],
      ['eks-prod-west', 'prod', 'us-west-2', undefined],
    ]);
  });

  it("reads the OpenShift cluster's ccoctl public key and CredentialsRequests, and lists the EKS roles", () => {
    const [ocp, eks] = loadConfig(join(configDir, 'example.yaml'), {}).clusters;
    expect(ocp).toMatchObject({
      flavor: 'openshift',
      audiences: ['openshift', 'sts.amazonaws.com'],
      signingKeys: {
        fromCluster: false,
        nextKey: true,
        publicKeyFiles: [join(configDir, 'ccoctl-ocp-prod-east', 'serviceaccount-signer.public')],
      },
      roles: { ccoctlName: 'ocp-prod-east', credentialsRequests: bundledCredentialsRequests() },
    });
    expect(ocp!.signingKeys.publicKeyPems).toHaveLength(1);
    expect(eks).toMatchObject({
      flavor: 'eks',
      audiences: ['sts.amazonaws.com'],
      signingKeys: { fromCluster: true, nextKey: false, publicKeyPems: [] },
      roles: { credentialsRequests: [], verifyCredentials: true },
    });
    expect(eks!.roles.list.map((r) => [r.serviceAccount, r.tokenFile])).toEqual([
      ['kube-system/external-dns', undefined],
      ['kube-system/ebs-csi-controller-sa', undefined],
      ['irsa-sentinel/irsa-sentinel', '/var/run/secrets/eks.amazonaws.com/serviceaccount/token'],
    ]);
  });

  it('takes its ${ENV} references from the environment', () => {
    const config = loadConfig(join(configDir, 'example.yaml'), {
      IRSA_SENTINEL_EXTERNAL_ID: 'ext-42',
      LOG_LEVEL: 'debug',
    });
    expect(config.accounts[0]!.credentials.externalId).toBe('ext-42');
    expect(config.log.level).toBe('debug');
  });
});
