// Which roles the roles probe tests, and as which service accounts: the configured list, CredentialsRequests named
// the way ccoctl names their roles, and the role_arn in each CredentialsRequest's secret on the cluster (docs/aws-facts.md 5).
import { ccoctlRoleName } from '../../src/ccoctl/credentials-requests.ts';
import type { CredentialsRequestInfo } from '../../src/ccoctl/credentials-requests.ts';
import type { KubeAccess, ServiceAccountRef } from '../../src/clients/kube.ts';
import { defaultTokenAudience } from '../../src/core/cluster.ts';
import type { ClusterConfig } from '../../src/core/cluster.ts';
import { finding } from './findings.ts';
import type { Finding } from '../../src/core/model.ts';
import type { ProbeContext } from '../../src/core/probe.ts';

export interface RoleToTest {
  arn: string;
  partition: string;
  account: string;
  /** The role's name (the ARN's last path segment), as IAM GetRole wants it. */
  name: string;
  /** Who uses the role: the first one's token assumes it; the trust policy must admit every one. */
  serviceAccounts: [ServiceAccountRef, ...ServiceAccountRef[]];
  audience: string;
  tokenFile?: string;
}

const ROLE_ARN = /^arn:([\w-]+):iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;

export function parseRoleArn(arn: string): Pick<RoleToTest, 'arn' | 'partition' | 'account' | 'name'> | undefined {
  const m = ROLE_ARN.exec(arn);
  return m ? { arn, partition: m[1] as string, account: m[2] as string, name: m[3] as string } : undefined;
}

/** The AWS partition of a region (ccoctl names roles in the cluster's own account and partition). */
export const partitionOf = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

export const serviceAccountName = (sa: ServiceAccountRef): string => `${sa.namespace}/${sa.name}`;

/** ccoctl's credentials secret is an AWS config file: `role_arn = arn:…` (docs/aws-facts.md 5). */
export const roleArnFromIni = (ini: string): string | undefined => /^\s*role_arn\s*=\s*(\S+)\s*$/m.exec(ini)?.[1];

const invalid = (message: string, evidence?: Record<string, unknown>): Finding =>
  finding('ROLES_SOURCE_INVALID', message, evidence && { evidence });

type Candidate = { arn: string; serviceAccounts: ServiceAccountRef[]; audience: string; tokenFile?: string };

function fromList(cluster: ClusterConfig, audience: string, findings: Finding[]): Candidate[] {
  return cluster.roles.list.flatMap((t) => {
    const [namespace, name, extra] = t.serviceAccount.split('/');
    if (!namespace || !name || extra !== undefined) {
      findings.push(invalid(`Role ${t.arn}: serviceAccount must be namespace/name.`, { roleArn: t.arn }));
      return [];
    }
    return [
      {
        arn: t.arn,
        serviceAccounts: [{ namespace, name }],
        audience: t.audience ?? audience,
        ...(t.tokenFile !== undefined && { tokenFile: t.tokenFile }),
      },
    ];
  });
}

const crServiceAccounts = (cr: CredentialsRequestInfo): ServiceAccountRef[] =>
  cr.serviceAccounts.map((name) => ({ namespace: cr.secretNamespace, name }));

function fromCredentialsRequests(cluster: ClusterConfig, accountId: string, audience: string): Candidate[] {
  const prefix = `arn:${partitionOf(cluster.region)}:iam::${accountId}:role/`;
  return cluster.roles.credentialsRequests.map((cr) => ({
    arn: prefix + ccoctlRoleName(cluster.roles.ccoctlName ?? cluster.name, cr),
    serviceAccounts: crServiceAccounts(cr),
    audience,
  }));
}

async function fromCluster(kube: KubeAccess, audience: string, findings: Finding[]): Promise<Candidate[]> {
  let crs: CredentialsRequestInfo[];
  try {
    crs = await kube.listCredentialsRequests();
  } catch (err) {
    findings.push(invalid(`The cluster's CredentialsRequests could not be listed: ${(err as Error).message}`));
    return [];
  }
  const out: Candidate[] = [];
  for (const cr of crs) {
    const secret = `${cr.secretNamespace}/${cr.secretName}`;
    const data = await kube.readSecret(cr.secretNamespace, cr.secretName).catch((err: unknown) => err as Error);
    const arn = data instanceof Error || data?.credentials === undefined ? undefined : roleArnFromIni(data.credentials);
    if (arn === undefined) {
      const why =
        data instanceof Error
          ? `could not be read: ${data.message}`
          : data
            ? 'has no role_arn in its credentials key'
            : 'does not exist';
      findings.push(
        invalid(`Secret ${secret} of CredentialsRequest ${cr.name} ${why}.`, { secret, credentialsRequest: cr.name }),
      );
      continue;
    }
    out.push({ arn, serviceAccounts: crServiceAccounts(cr), audience });
  }
  return out;
}

/**
 * The roles to test, deduplicated by ARN (the service accounts of duplicates are merged), and a ROLES_SOURCE_INVALID
 * finding for each source that could not be read, or when there is no role at all.
 */
export async function rolesToTest(
  cluster: ClusterConfig,
  env: { accountId: string; kube?: KubeAccess },
): Promise<{ roles: RoleToTest[]; findings: Finding[] }> {
  const findings: Finding[] = [];
  const audience = defaultTokenAudience(cluster.flavor);
  const candidates = [
    ...fromList(cluster, audience, findings),
    ...fromCredentialsRequests(cluster, env.accountId, audience),
  ];
  if (cluster.roles.fromCluster) {
    if (env.kube) candidates.push(...(await fromCluster(env.kube, audience, findings)));
    else findings.push(invalid('roles.fromCluster is set but the cluster has no kube access configured.'));
  }
  const roles = new Map<string, RoleToTest>();
  for (const c of candidates) {
    const known = roles.get(c.arn);
    if (known) {
      const names = new Set(known.serviceAccounts.map(serviceAccountName));
      known.serviceAccounts.push(...c.serviceAccounts.filter((sa) => !names.has(serviceAccountName(sa))));
      continue;
    }
    const parts = parseRoleArn(c.arn);
    const [first, ...rest] = c.serviceAccounts;
    if (parts && first) roles.set(c.arn, { ...c, ...parts, serviceAccounts: [first, ...rest] });
    else findings.push(invalid(`${c.arn} is not an IAM role ARN or has no service account.`, { roleArn: c.arn }));
  }
  if (roles.size === 0 && findings.length === 0)
    findings.push(
      invalid('No roles to test: configure roles.list, roles.credentialsRequestsDir or roles.fromCluster.'),
    );
  return { roles: [...roles.values()], findings };
}

/** TokenRequest's minimum lifetime: the shortest-lived token the cluster mints. */
const TOKEN_SECONDS = 600;

/** A token for the role's first service account, from its token file or TokenRequest. Never log or keep it. */
export async function tokenFor(role: RoleToTest, ctx: Pick<ProbeContext, 'kube' | 'readTokenFile'>): Promise<string> {
  if (role.tokenFile) return ctx.readTokenFile(role.tokenFile);
  if (!ctx.kube) throw new Error('the cluster has no kube access configured and the role no tokenFile');
  return ctx.kube.createToken(role.serviceAccounts[0], [role.audience], TOKEN_SECONDS);
}
