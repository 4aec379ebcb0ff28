// The jwks probe (kid freshness): the keys the cluster signs with (and its staged next key) must be in the published
// JWKS, a fresh token must verify against it as STS would, and the IAM OIDC provider must exist with the audiences.
import { declared } from '../../src/core/probe.ts';
import { jwksProbe as declaration } from './index.ts';
import { GetOpenIDConnectProviderCommand } from '@aws-sdk/client-iam';
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { AwsClients } from '../../src/clients/aws.ts';
import { KubeError } from '../../src/clients/kube.ts';
import type { KubeAccess } from '../../src/clients/kube.ts';
import { defaultTokenAudience } from '../../src/core/cluster.ts';
import type { ClusterConfig } from '../../src/core/cluster.ts';
import { awsCallFinding, isAwsError } from '../shared/aws-errors.ts';
import { boundFinding } from '../shared/bounded.ts';
import { finding } from './findings.ts';
import type { Finding } from '../../src/core/model.ts';
import type { Probe } from '../../src/core/probe.ts';
import * as check from './checks.ts';
import { fetchPublished, KeysUnreadableError, readNextKid, readSigningKids } from './sources.ts';
import type { Published } from './sources.ts';
import type { JwksProbeSettings } from './settings.ts';

type Observations = Record<string, unknown>;

/** Which side could not be read becomes an `unknown` finding; other errors are bugs for the runner. */
const unreadable = async <T>(read: () => Promise<T>, onError: (reason: string) => Finding, out: Finding[]) => {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof KeysUnreadableError)) throw err;
    out.push(onError(err.message));
    return undefined;
  }
};

/** Mint a token for the verify service account and verify it as STS would; the token goes out of scope at once. */
async function verifyToken(cluster: ClusterConfig, kube: KubeAccess, published: Published): Promise<Finding[]> {
  const sa = check.verifyServiceAccountOf(cluster);
  if (!sa) return [];
  const subject = `${sa.namespace}/${sa.name}`;
  const audience = defaultTokenAudience(cluster.flavor);
  const evidence: { serviceAccount: string; issuer: string; audience: string; kid?: string } = {
    serviceAccount: subject,
    issuer: cluster.issuer,
    audience,
  };
  try {
    const token = await kube.createToken(sa, [audience], 600);
    const { kid } = decodeProtectedHeader(token);
    if (kid !== undefined) evidence.kid = kid;
    await jwtVerify(token, createLocalJWKSet({ keys: published.keys }), { issuer: cluster.issuer, audience });
    return [];
  } catch (err) {
    if (err instanceof KubeError)
      return [
        finding('SIGNING_KEYS_UNAVAILABLE', `No token could be minted for ${subject}: ${err.message}`, { subject }),
      ];
    if (!(err instanceof joseErrors.JOSEError)) throw err;
    const reason = { ...evidence, code: err.code, reason: err.message };
    return [
      finding('TOKEN_VERIFY_FAILED', `A token for ${subject} does not verify: ${err.message}`, {
        subject,
        evidence: reason,
      }),
    ];
  }
}

/** The IAM OIDC provider of the issuer exists and lists every expected audience; thumbprints are only reported. */
async function checkProvider(cluster: ClusterConfig, aws: AwsClients, obs: Observations, signal: AbortSignal) {
  const arn = check.providerArnOf(aws.accountId, cluster.issuer);
  obs.providerArn = arn;
  try {
    const cmd = new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn });
    const provider = await aws.iam.send(cmd, { abortSignal: signal });
    obs.clientIds = provider.ClientIDList ?? [];
    obs.thumbprints = provider.ThumbprintList ?? [];
    return check.audienceFindings(arn, cluster.audiences, provider.ClientIDList ?? []);
  } catch (err) {
    if (!isAwsError(err, 'NoSuchEntity')) return [awsCallFinding(err, 'iam:GetOpenIDConnectProvider', arn)];
    const message = `There is no IAM OIDC provider ${arn} for the issuer.`;
    return [finding('OIDC_PROVIDER_MISSING', message, { subject: arn, evidence: { providerArn: arn } })];
  }
}

export function createJwksProbe(settings: JwksProbeSettings = { allowPrivateAddresses: false }): Probe {
  return {
    ...declared(declaration),
    async run(cluster, ctx) {
      const findings: Finding[] = [];
      const obs: Observations = {};
      const { kube } = ctx;
      const { fromCluster, publicKeyPems, fromTokenOf } = cluster.signingKeys;
      const configured = fromCluster || publicKeyPems.length > 0 || fromTokenOf !== undefined;
      if (!configured)
        findings.push(
          finding(
            'SIGNING_KEYS_NOT_CONFIGURED',
            'No source of the cluster signing keys is configured: kids not compared.',
          ),
        );
      const signingKids = await unreadable(
        () => (configured ? readSigningKids(cluster, kube) : Promise.resolve(undefined)),
        (reason) => finding('SIGNING_KEYS_UNAVAILABLE', `The cluster's signing keys could not be read: ${reason}.`),
        findings,
      );
      const staged = cluster.signingKeys.nextKey && cluster.flavor === 'openshift' && kube;
      const nextKid = staged
        ? await unreadable(
            () => readNextKid(kube),
            (reason) => finding('SIGNING_KEYS_UNAVAILABLE', `The staged next key could not be read: ${reason}.`),
            findings,
          )
        : undefined;
      const published = await unreadable(
        () => fetchPublished(ctx.http, cluster, ctx.signal, settings.allowPrivateAddresses),
        (reason) => {
          obs.jwksError = reason;
          return finding('JWKS_UNAVAILABLE', `The published JWKS could not be read: ${reason}.`, {
            subject: cluster.issuer,
          });
        },
        findings,
      );
      Object.assign(obs, { signingKids: signingKids ?? [], ...(nextKid !== undefined && { nextKid }) });
      if (published) {
        const { kids: publishedKids, discoveryIssuer, discoverySha256, jwksSha256, jwksUri } = published;
        Object.assign(obs, { publishedKids, discoveryIssuer, discoverySha256, jwksSha256 });
        if (signingKids) findings.push(...check.keyFindings({ signingKids, nextKid }, publishedKids));
        const changed = check.changeFinding(
          ctx.previous?.observations,
          { publishedKids, discoverySha256, jwksSha256 },
          jwksUri,
        );
        if (changed) findings.push(changed);
        if (kube) findings.push(...(await verifyToken(cluster, kube, published)));
      }
      if (ctx.aws) findings.push(...(await checkProvider(cluster, ctx.aws, obs, ctx.signal)));
      else obs.iam = 'not checked: the cluster names no AWS account';
      // Whatever the issuer host published, the result stays small (bounded.ts).
      return { findings: findings.map(boundFinding), observations: obs };
    },
  };
}
