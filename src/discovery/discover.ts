// Fleet discovery: every IAM OIDC provider of an account becomes a monitored issuer, named by ccoctl's
// `openshift.io/cloud-credential-operator/<name>` tag (docs/aws-facts.md 5) or the EKS cluster id of its URL (docs/aws-facts.md 6),
// with its region and bucket derived from the URL. Clusters configured by hand (same issuer) take precedence.
import { readFileSync } from 'node:fs';
import { GetOpenIDConnectProviderCommand, ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import type { AwsClients } from '../clients/aws.ts';
import { clusterDefaults } from '../config/defaults.ts';
import { bucketFromIssuer } from '../config/issuer-url.ts';
import type { AccountConfig, ClusterConfig, DiscoverySettings } from '../config/types.ts';

/** The IAM actions discovery calls (the provider's tags come with GetOpenIDConnectProvider). */
export const DISCOVERY_AWS_ACTIONS = ['iam:ListOpenIDConnectProviders', 'iam:GetOpenIDConnectProvider'] as const;

const CCOCTL_TAG = /^openshift\.io\/cloud-credential-operator\/(.+)$/;
// docs/aws-facts.md 6: https://oidc.eks.<region>.amazonaws.com/id/<32-hex-ID>
const EKS_URL = /^oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com\/id\/([0-9A-Fa-f]+)$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface DiscoveryResult {
  clusters: ClusterConfig[];
  /** Providers skipped, and why (a name clash, a URL that is no issuer). */
  skipped: { arn: string; reason: string }[];
}

/** A config name from free text: letters, digits, dots, underscores and hyphens, at most 63. */
const slug = (text: string): string =>
  text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);

interface Provider {
  arn: string;
  url: string;
  clientIds: string[];
  tags: Record<string, string>;
}

/** What a provider becomes: name, flavor, region and bucket from its tags and URL. */
export function clusterOf(
  p: Provider,
  account: AccountConfig,
  settings: DiscoverySettings,
  caPem?: string,
): ClusterConfig {
  const ccoctlName = Object.keys(p.tags)
    .map((k) => CCOCTL_TAG.exec(k)?.[1])
    .find((n) => n !== undefined);
  const eks = EKS_URL.exec(p.url);
  const name = ccoctlName ?? eks?.[2] ?? slug(p.url);
  const issuer = `https://${p.url}`;
  // ccoctl's bucket is <name>-oidc; on a path-style endpoint (not one bucketFromIssuer knows) it is the first segment.
  const firstSegment = new URL(issuer).pathname.split('/')[1];
  const derived = bucketFromIssuer(issuer);
  const region = derived?.region ?? eks?.[1] ?? settings.region;
  const bucket =
    derived ??
    (ccoctlName !== undefined && firstSegment === `${ccoctlName}-oidc` ? { name: firstSegment, region } : undefined);
  const flavor = ccoctlName !== undefined || (!eks && p.clientIds.includes('openshift')) ? 'openshift' : 'eks';
  return {
    name,
    issuer,
    account: account.name,
    region,
    labels: { discovered: account.name },
    ...(bucket && { bucket }),
    ...(account.caFile !== undefined && { caFile: account.caFile, ...(caPem !== undefined && { caPem }) }),
    probes: settings.probes,
    ...clusterDefaults(flavor, false),
  };
}

async function providers(aws: AwsClients, signal: AbortSignal): Promise<Provider[]> {
  const list = await aws.iam.send(new ListOpenIDConnectProvidersCommand({}), { abortSignal: signal });
  const arns = (list.OpenIDConnectProviderList ?? []).flatMap((p) => (p.Arn ? [p.Arn] : []));
  return Promise.all(
    arns.map(async (arn) => {
      const p = await aws.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }), {
        abortSignal: signal,
      });
      const tags = Object.fromEntries((p.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      return { arn, url: p.Url ?? '', clientIds: p.ClientIDList ?? [], tags };
    }),
  );
}

/**
 * The account's providers as clusters, leaving out those whose issuer a configured cluster already watches; a name
 * taken by another cluster gets the account name appended. Throws what the IAM calls throw.
 */
export async function discoverAccount(
  account: AccountConfig & { discover: DiscoverySettings },
  aws: AwsClients,
  configured: readonly ClusterConfig[],
  signal: AbortSignal,
): Promise<DiscoveryResult> {
  const caPem = account.caFile === undefined ? undefined : readFileSync(account.caFile, 'utf8');
  const issuers = new Set(configured.map((c) => c.issuer));
  const names = new Set(configured.map((c) => c.name));
  const result: DiscoveryResult = { clusters: [], skipped: [] };
  for (const p of (await providers(aws, signal)).sort((a, b) => a.url.localeCompare(b.url))) {
    if (!URL.canParse(`https://${p.url}`)) {
      result.skipped.push({ arn: p.arn, reason: `its URL ${JSON.stringify(p.url)} is not an issuer URL` });
      continue;
    }
    const cluster = clusterOf(p, account, account.discover, caPem);
    if (issuers.has(cluster.issuer)) continue; // configured by hand: that entry wins
    if (names.has(cluster.name)) cluster.name = slug(`${cluster.name}-${account.name}`);
    if (names.has(cluster.name) || !NAME.test(cluster.name)) {
      result.skipped.push({ arn: p.arn, reason: `no free cluster name for it (tried ${cluster.name})` });
      continue;
    }
    names.add(cluster.name);
    issuers.add(cluster.issuer);
    result.clusters.push(cluster);
  }
  return result;
}
