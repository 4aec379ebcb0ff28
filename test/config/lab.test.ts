import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigYaml, labFleetConfig, LabUnavailableError, loadLab } from '../../src/lab-adapter.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { LabInfo } from '../../src/lab/control.ts';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab } from '../helpers/lab.ts';
import { loadText, ONE_CLUSTER, tempDir } from './temp-config.ts';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBlab\n-----END CERTIFICATE-----\n';

function fakeInfo(): LabInfo {
  const dir = tempDir();
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, CA_PEM);
  const user = (name: string, n: number) => ({
    name,
    arn: `arn:aws:iam::111122223333:user/${name}`,
    accessKeyId: `AKIAEXAMPLE0000000${n}`,
    secretAccessKey: `secret-${name}`,
  });
  const cluster = (name: string) => ({
    name,
    issuer: `https://127.0.0.1:4566/${name}-oidc`,
    bucket: `${name}-oidc`,
    oidcProviderArn: `arn:aws:iam::111122223333:oidc-provider/127.0.0.1:4566/${name}-oidc`,
    roles: [],
    kubeApi: `https://127.0.0.1:4566/_clusters/${name}`,
    kubeToken: 'kube-token',
  });
  return {
    endpoint: 'https://127.0.0.1:4566',
    caFile,
    accountId: '111122223333',
    region: 'us-east-1',
    users: [user('alice', 1), user('sentinel', 2), user('nobody', 3)],
    clusters: [cluster('prod-east'), cluster('staging')],
  };
}

const labCluster = (info: LabInfo, name: string) => ({
  name,
  issuer: `https://127.0.0.1:4566/${name}-oidc`,
  account: 'lab',
  region: 'us-east-1',
  labels: {},
  bucket: { name: `${name}-oidc`, region: 'us-east-1' },
  caFile: info.caFile,
  caPem: CA_PEM,
  kube: { context: name, kubeconfig: '/lab/kubeconfig' },
  flavor: 'openshift',
  audiences: ['openshift', 'sts.amazonaws.com'],
  signingKeys: { fromCluster: true, publicKeyFiles: [], publicKeyPems: [], nextKey: true },
  roles: {
    list: [],
    credentialsRequests: [],
    fromCluster: true,
    sessionDurationSeconds: 900,
    verifyCredentials: false,
  },
});

describe('labFleetConfig', () => {
  it("adds the lab's OpenShift clusters, reached through its kubeconfig, and the lab account with the sentinel user's keys", () => {
    const info = fakeInfo();
    const base = loadText('lab: {}\n');
    const config = labFleetConfig(info, base, undefined, '/lab/kubeconfig');
    expect(config.clusters).toEqual([labCluster(info, 'prod-east'), labCluster(info, 'staging')]);
    expect(config.accounts).toEqual([
      {
        name: 'lab',
        id: '111122223333',
        credentials: { source: 'static', accessKeyId: 'AKIAEXAMPLE00000002', secretAccessKey: 'secret-sentinel' },
        endpoint: 'https://127.0.0.1:4566',
        caFile: info.caFile,
      },
    ]);
    expect(config.lab).toEqual(base.lab);
    expect(config.schedules).toBe(base.schedules);
    expect(base.clusters).toEqual([]);
  });

  it("keeps the file's own clusters first and uses a given CA", () => {
    const info = fakeInfo();
    const config = labFleetConfig(info, loadText('lab: {}\n' + ONE_CLUSTER), 'given pem');
    expect(config.clusters.map((c) => [c.name, c.caPem])).toEqual([
      ['a', undefined],
      ['prod-east', 'given pem'],
      ['staging', 'given pem'],
    ]);
  });
});

describe('agentConfigYaml', () => {
  it('is a standalone config that loads into the same fleet', () => {
    const info = fakeInfo();
    const text = agentConfigYaml(info);
    expect(text).toMatch(/^# irsa-sentinel configuration for the lab at https:\/\/127\.0\.0\.1:4566/);
    expect(Object.keys(parse(text) as object)).toEqual(['accounts', 'clusters']);
    const file = join(tempDir(), 'agent.yaml');
    writeFileSync(file, text);
    const loaded = loadConfig(file, {});
    const expected = labFleetConfig(info, { ...loaded, clusters: [], accounts: [] });
    expect(loaded.clusters).toEqual(expected.clusters);
    expect(loaded.accounts).toEqual(expected.accounts);
  });

  it('names a kubeconfig file when given one, and loads into the same fleet', () => {
    const info = fakeInfo();
    const file = join(tempDir(), 'agent.yaml');
    writeFileSync(file, agentConfigYaml(info, '/lab/kubeconfig'));
    const loaded = loadConfig(file, {});
    expect(loaded.clusters).toEqual([labCluster(info, 'prod-east'), labCluster(info, 'staging')]);
  });

  it('without a kubeconfig file leaves the kubeconfig to the standard lookup', () => {
    const info = fakeInfo();
    const text = agentConfigYaml(info);
    expect(text).toContain('point KUBECONFIG at it');
    const file = join(tempDir(), 'agent.yaml');
    writeFileSync(file, text);
    expect(loadConfig(file, {}).clusters.map((c) => c.kube)).toEqual([
      { context: 'prod-east' },
      { context: 'staging' },
    ]);
  });

  describe('against a running lab', () => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await startTestLab({ fleet: { clusters: [{ name: 'one' }, { name: 'two' }], keyPool: 1 } });
    });
    afterAll(async () => {
      await lab.close();
    });

    it("serves a config that loads and points at the lab's issuers, CA, keys and kubeconfig file", () => {
      const info = lab.info();
      const file = join(tempDir(), 'agent.yaml');
      writeFileSync(file, lab.agentConfig()!);
      const config = loadConfig(file, {});
      expect(config.clusters.map((c) => [c.name, c.issuer, c.bucket?.name])).toEqual(
        info.clusters.map((c) => [c.name, c.issuer, c.bucket]),
      );
      expect(config.clusters[0]!.caPem?.trim()).toBe(lab.caPem.trim());
      const kubeconfig = join(lab.dataDir, 'kubeconfig');
      expect(config.clusters.map((c) => c.kube)).toEqual([
        { context: 'one', kubeconfig },
        { context: 'two', kubeconfig },
      ]);
      expect(readFileSync(kubeconfig, 'utf8')).toBe(lab.kubeconfig());
      expect(config.clusters.every((c) => c.roles.fromCluster && c.signingKeys.fromCluster)).toBe(true);
      const sentinel = info.users.find((u) => u.name === 'sentinel')!;
      expect(config.accounts[0]).toMatchObject({
        endpoint: lab.endpoint,
        credentials: { accessKeyId: sentinel.accessKeyId, secretAccessKey: sentinel.secretAccessKey },
      });
    });
  });
});

describe('loadLab', () => {
  it('names a lab dependency left out of the install (npm ci --omit=optional) as LAB_UNAVAILABLE', async () => {
    const missing = Object.assign(
      new Error("Cannot find package '@peculiar/x509' imported from /app/dist/src/lab/tls.js"),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    const err = await loadLab(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabUnavailableError);
    expect(err).toMatchObject({ code: 'LAB_UNAVAILABLE', cause: missing });
    expect((err as Error).message).toContain("Cannot find package '@peculiar/x509'");
    expect((err as Error).message).toContain('npm ci --omit=optional');
  });

  it('lets any other failure through unchanged, and loads the lab when it is installed', async () => {
    const other = new Error('boom');
    await expect(loadLab(() => Promise.reject(other))).rejects.toBe(other);
    expect(typeof (await loadLab()).startLab).toBe('function');
  });
});
