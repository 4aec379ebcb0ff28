// Which roles the roles probe tests: the list, a CredentialsRequests folder named as ccoctl names roles, the cluster.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleArnFromIni, rolesToTest, tokenFor } from '../../../probes/roles/sources.ts';
import type { RoleToTest } from '../../../probes/roles/sources.ts';
import { ccoctlCredentialsIni, parseCredentialsRequests } from '../../../src/ccoctl/credentials-requests.ts';
import type { CredentialsRequestInfo } from '../../../src/ccoctl/credentials-requests.ts';
import type { KubeAccess, ServiceAccountRef } from '../../../src/clients/kube.ts';
import { clusterDefaults } from '../../../src/config/defaults.ts';
import type { ClusterConfig, RoleSources } from '../../../src/config/types.ts';
import type { Lab } from '../../../src/lab/index.ts';
import { startTestLab } from '../../helpers/lab.ts';

const ACCOUNT = '111122223333';
/** `oc adm release extract --credentials-requests` output: the release's CredentialsRequests, one per file. */
const SAMPLES = join(import.meta.dirname, '..', '..', '..', 'src', 'lab', 'samples');
const folder = (): CredentialsRequestInfo[] =>
  readdirSync(SAMPLES)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseCredentialsRequests(readFileSync(join(SAMPLES, f), 'utf8'), f));

const clusterWith = (roles: Partial<RoleSources>, more: Partial<ClusterConfig> = {}): ClusterConfig => {
  const defaults = clusterDefaults('openshift', true);
  return {
    name: 'prod-east',
    issuer: 'https://prod-east-oidc.s3.us-east-1.amazonaws.com',
    region: 'us-east-1',
    labels: {},
    ...defaults,
    roles: { ...defaults.roles, ...roles },
    ...more,
  };
};

function fakeKube(crs: CredentialsRequestInfo[], secrets: Record<string, Record<string, string>>): KubeAccess {
  return {
    jwks: () => Promise.reject(new Error('not used')),
    createToken: (sa: ServiceAccountRef, aud: string[], seconds: number) =>
      Promise.resolve(`token-for-${sa.namespace}/${sa.name}-${aud.join(',')}-${seconds}`),
    readSecret: (ns: string, name: string) => Promise.resolve(secrets[`${ns}/${name}`]),
    listCredentialsRequests: () => Promise.resolve(crs),
  };
}

describe('roles from a CredentialsRequests folder', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startTestLab({ fleet: { clusters: [{ name: 'prod-east' }] } });
  });
  afterAll(() => lab.close());

  it('are the roles ccoctl made for the lab cluster, with every service account of each', async () => {
    const { roles, findings } = await rolesToTest(clusterWith({ credentialsRequests: folder() }), {
      accountId: lab.info().accountId,
    });
    expect(findings).toEqual([]);
    expect(roles.map((r) => r.arn).sort()).toEqual([...(lab.info().clusters[0]?.roles ?? [])].sort());
    expect(roles).toHaveLength(7);
    const registry = roles.find((r) => r.name === 'prod-east-openshift-image-registry-installer-cloud-credentials');
    expect(registry?.serviceAccounts).toEqual([
      { namespace: 'openshift-image-registry', name: 'cluster-image-registry-operator' },
      { namespace: 'openshift-image-registry', name: 'registry' },
    ]);
    expect(new Set(roles.map((r) => r.audience))).toEqual(new Set(['openshift']));
  });
});

describe('rolesToTest', () => {
  const crs = folder();
  const ingress = crs.find((c) => c.secretNamespace === 'openshift-ingress-operator') as CredentialsRequestInfo;

  it('names roles with roles.ccoctlName when it differs from the cluster name, in the region’s partition', async () => {
    const cluster = clusterWith({ credentialsRequests: [ingress], ccoctlName: 'infra-7x' }, { region: 'cn-north-1' });
    const { roles } = await rolesToTest(cluster, { accountId: ACCOUNT });
    expect(roles.map((r) => r.arn)).toEqual([
      `arn:aws-cn:iam::${ACCOUNT}:role/infra-7x-openshift-ingress-operator-cloud-credentials`,
    ]);
  });

  it('takes the list first, with its audience and token file, and merges a duplicate’s service accounts', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/prod-east-openshift-ingress-operator-cloud-credentials`;
    const list = [{ arn, serviceAccount: 'tools/probe', audience: 'sts.amazonaws.com', tokenFile: '/var/run/t' }];
    const { roles, findings } = await rolesToTest(clusterWith({ list, credentialsRequests: [ingress] }), {
      accountId: ACCOUNT,
    });
    expect(findings).toEqual([]);
    expect(roles).toEqual<RoleToTest[]>([
      {
        arn,
        partition: 'aws',
        account: ACCOUNT,
        name: 'prod-east-openshift-ingress-operator-cloud-credentials',
        serviceAccounts: [
          { namespace: 'tools', name: 'probe' },
          { namespace: 'openshift-ingress-operator', name: 'ingress-operator' },
        ],
        audience: 'sts.amazonaws.com',
        tokenFile: '/var/run/t',
      },
    ]);
  });

  it('defaults the audience by flavor and keeps a role path out of the role name', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/irsa/team/app`;
    const cluster = clusterWith({ list: [{ arn, serviceAccount: 'team/app' }] }, { flavor: 'eks' });
    const { roles } = await rolesToTest(cluster, { accountId: ACCOUNT });
    expect(roles[0]).toMatchObject({ name: 'app', audience: 'sts.amazonaws.com' });
  });

  it('reads each CredentialsRequest’s secret on the cluster for its role_arn, and names a missing secret', async () => {
    const arn = 'arn:aws:iam::444455556666:role/custom-ingress';
    const kube = fakeKube(crs.slice(0, 2), {
      [`${crs[0]?.secretNamespace}/${crs[0]?.secretName}`]: { credentials: ccoctlCredentialsIni(arn) },
    });
    const { roles, findings } = await rolesToTest(clusterWith({ fromCluster: true }), { accountId: ACCOUNT, kube });
    expect(roles.map((r) => [r.arn, r.account])).toEqual([[arn, '444455556666']]);
    expect(findings.map((f) => [f.code, f.severity])).toEqual([['ROLES_SOURCE_INVALID', 'unknown']]);
    expect(findings[0]?.message).toContain(`${crs[1]?.secretNamespace}/${crs[1]?.secretName}`);
    expect(findings[0]?.message).toContain('does not exist');
  });

  it('reports a secret without role_arn, a failing list, and fromCluster without kube access', async () => {
    const secretless = fakeKube([ingress], {
      'openshift-ingress-operator/cloud-credentials': { credentials: '[default]' },
    });
    const a = await rolesToTest(clusterWith({ fromCluster: true }), { accountId: ACCOUNT, kube: secretless });
    expect(a.findings[0]?.message).toContain('has no role_arn');
    const broken = { ...secretless, listCredentialsRequests: () => Promise.reject(new Error('403 forbidden')) };
    const b = await rolesToTest(clusterWith({ fromCluster: true }), { accountId: ACCOUNT, kube: broken });
    expect(b.findings[0]?.message).toContain('403 forbidden');
    const c = await rolesToTest(clusterWith({ fromCluster: true }), { accountId: ACCOUNT });
    expect(c.findings[0]?.message).toContain('no kube access');
  });

  it('reports no roles at all, a malformed service account and a non-role ARN', async () => {
    const none = await rolesToTest(clusterWith({}), { accountId: ACCOUNT });
    expect(none.findings.map((f) => f.code)).toEqual(['ROLES_SOURCE_INVALID']);
    const list = [
      { arn: `arn:aws:iam::${ACCOUNT}:role/a`, serviceAccount: 'no-namespace' },
      { arn: `arn:aws:iam::${ACCOUNT}:user/b`, serviceAccount: 'ns/b' },
    ];
    const bad = await rolesToTest(clusterWith({ list }), { accountId: ACCOUNT });
    expect(bad.roles).toEqual([]);
    expect(bad.findings.map((f) => f.evidence?.roleArn)).toEqual(list.map((t) => t.arn));
  });

  it('parses role_arn from ccoctl’s credentials ini', () => {
    expect(roleArnFromIni(ccoctlCredentialsIni('arn:aws:iam::1:role/x'))).toBe('arn:aws:iam::1:role/x');
    expect(roleArnFromIni('[default]\nregion = us-east-1')).toBeUndefined();
  });
});

describe('tokenFor', () => {
  const role = (tokenFile?: string): RoleToTest => ({
    arn: `arn:aws:iam::${ACCOUNT}:role/r`,
    partition: 'aws',
    account: ACCOUNT,
    name: 'r',
    serviceAccounts: [{ namespace: 'ns', name: 'sa' }],
    audience: 'openshift',
    ...(tokenFile !== undefined && { tokenFile }),
  });
  const kube = fakeKube([], {});
  const readTokenFile = (path: string): Promise<string> => Promise.resolve(`file:${path}`);

  it('mints a 600 s token for the first service account with the role’s audience, or reads the token file', async () => {
    await expect(tokenFor(role(), { kube, readTokenFile })).resolves.toBe('token-for-ns/sa-openshift-600');
    await expect(tokenFor(role('/t'), { kube, readTokenFile })).resolves.toBe('file:/t');
    await expect(tokenFor(role(), { readTokenFile })).rejects.toThrow(/no kube access/);
  });
});
