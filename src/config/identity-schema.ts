// A cluster's identity-chain settings in the config file: its flavor, the audiences its IAM OIDC provider must list,
// where the jwks probe learns the cluster's signing keys and which roles the roles probe assumes. The defaults depend
// on the flavor and on whether the cluster has `kube` (defaults.ts), so they are filled here rather than by zod. The
// loader then reads the public key files and the CredentialsRequests folder (identity-files.ts).
import { z } from 'zod';
import { clusterDefaults, defaultTokenAudience } from './defaults.ts';
import type { ClusterDefaults } from './defaults.ts';
import { filePath, iamRoleArn, serviceAccountRef } from './schema-strings.ts';

const OPENSHIFT = clusterDefaults('openshift');
const EKS = clusterDefaults('eks');
const list = (items: string[]) => `[${items.join(', ')}]`;

export const flavor = z
  .enum(['openshift', 'eks'])
  .default(OPENSHIFT.flavor)
  .describe(
    `openshift: roles made by ccoctl, pods' tokens have audience ${defaultTokenAudience('openshift')}; eks: the pod identity webhook, audience ${defaultTokenAudience('eks')}. Sets the defaults of audiences, signingKeys.nextKey and role audiences. Default ${OPENSHIFT.flavor}.`,
  );

export const audiences = z
  .array(z.string().min(1).max(255))
  .min(1)
  .refine((a) => new Set(a).size === a.length, 'must not repeat an audience')
  .optional()
  .describe(
    `Client IDs (audiences) the cluster's IAM OIDC provider must list. Default for openshift ${list(OPENSHIFT.audiences)}, for eks ${list(EKS.audiences)}.`,
  );

export const signingKeys = z
  .strictObject({
    fromCluster: z
      .boolean()
      .optional()
      .describe("Read the cluster API's /openid/v1/jwks (needs kube). Default true when kube is set, else false."),
    publicKeyFiles: filePath
      .array()
      .default(OPENSHIFT.signingKeys.publicKeyFiles)
      .describe(
        "PEM public keys the cluster signs with (ccoctl's serviceaccount-signer.public), read at load; relative to this config file's directory. Default [].",
      ),
    fromTokenOf: serviceAccountRef
      .optional()
      .describe(
        "namespace/name of a service account: mint a token for it (needs kube) and take its header's kid. Default: none.",
      ),
    nextKey: z
      .boolean()
      .optional()
      .describe(
        `Also check OpenShift's staged next signing key (secret next-bound-service-account-signing-key, read with kube). Default ${OPENSHIFT.signingKeys.nextKey} for openshift, ${EKS.signingKeys.nextKey} for eks.`,
      ),
    verifyServiceAccount: serviceAccountRef
      .optional()
      .describe(
        "namespace/name whose freshly minted token (needs kube) must verify against the published JWKS. Default: the first role's service account.",
      ),
  })
  .optional()
  .describe(
    'Where the jwks probe learns the keys the cluster signs with; the first source configured wins: fromCluster, publicKeyFiles, fromTokenOf.',
  );

const roleTarget = z.strictObject({
  arn: iamRoleArn.describe('ARN of the IAM role to assume.'),
  serviceAccount: serviceAccountRef.describe(
    'namespace/name of the service account whose token assumes the role; its subject is system:serviceaccount:<namespace>:<name>.',
  ),
  audience: z
    .string()
    .min(1)
    .optional()
    .describe(
      `Audience of the token. Default ${defaultTokenAudience('openshift')} for openshift, ${defaultTokenAudience('eks')} for eks.`,
    ),
  tokenFile: filePath
    .optional()
    .describe(
      "Read the token from this file (the agent's own projected token) instead of minting one with TokenRequest. Relative to this config file's directory; not checked at load (it may exist only in the agent's pod). Default: TokenRequest, which needs kube.",
    ),
});

const ROLE_DEFAULTS = OPENSHIFT.roles;

export const roles = z
  .strictObject({
    list: roleTarget.array().default(ROLE_DEFAULTS.list).describe('Roles given explicitly. Default [].'),
    credentialsRequestsDir: filePath
      .optional()
      .describe(
        "Folder of CredentialsRequests (oc adm release extract --credentials-requests --cloud=aws), every *.yaml/*.yml read at load; roles are named as ccoctl names them. Relative to this config file's directory; needs kube for the tokens. Default: none.",
      ),
    ccoctlName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, 'must be the --name given to ccoctl (letters, digits, +=,.@_-)')
      .optional()
      .describe(
        "ccoctl's --name, the prefix of the role names it made for the CredentialsRequests (<name>-<namespace>-<secret>). Default: the cluster name.",
      ),
    fromCluster: z
      .boolean()
      .default(ROLE_DEFAULTS.fromCluster)
      .describe(
        `Read the CredentialsRequests and their secrets' role_arn from the cluster itself (needs kube). Default ${ROLE_DEFAULTS.fromCluster}.`,
      ),
    sessionDurationSeconds: z
      .number()
      .int()
      .min(900)
      .max(43200)
      .default(ROLE_DEFAULTS.sessionDurationSeconds)
      .describe(
        `Session length requested in assume tests, 900 (the STS minimum) to 43200. Default ${ROLE_DEFAULTS.sessionDurationSeconds}.`,
      ),
    verifyCredentials: z
      .boolean()
      .default(ROLE_DEFAULTS.verifyCredentials)
      .describe(
        `Prove the credentials STS returns with one GetCallerIdentity before dropping them. Default ${ROLE_DEFAULTS.verifyCredentials}.`,
      ),
  })
  .optional()
  .describe('Roles the roles probe assumes: listed, from a CredentialsRequests folder, and/or from the cluster.');

interface GivenCluster {
  flavor: ClusterDefaults['flavor'];
  kube?: unknown;
  audiences?: z.output<typeof audiences>;
  signingKeys?: z.output<typeof signingKeys>;
  roles?: z.output<typeof roles>;
}

type Issue = (path: PropertyKey[], message: string) => void;

/**
 * The cluster's identity-chain settings with defaults filled; reports settings that need `kube` on a cluster
 * without it. The key PEMs and CredentialsRequests are left empty for the loader to read.
 */
export function identityChainSettings(c: GivenCluster, issue: Issue): ClusterDefaults {
  const hasKube = c.kube !== undefined;
  const defaults = clusterDefaults(c.flavor, hasKube);
  const keys = c.signingKeys;
  const given = c.roles;

  const needsKube = (path: PropertyKey[], why: string) => {
    if (!hasKube) issue(path, `needs kube (access to the cluster's API) to ${why}`);
  };
  if (keys?.fromCluster) needsKube(['signingKeys', 'fromCluster'], 'read its /openid/v1/jwks');
  if (keys?.fromTokenOf !== undefined) needsKube(['signingKeys', 'fromTokenOf'], 'mint a token');
  if (keys?.verifyServiceAccount !== undefined) needsKube(['signingKeys', 'verifyServiceAccount'], 'mint a token');
  if (given?.fromCluster) needsKube(['roles', 'fromCluster'], 'read its CredentialsRequests');
  if (given?.credentialsRequestsDir !== undefined)
    needsKube(['roles', 'credentialsRequestsDir'], "mint the service accounts' tokens");
  given?.list.forEach((role, i) => {
    if (role.tokenFile === undefined)
      needsKube(['roles', 'list', i], 'mint its token with TokenRequest (or give tokenFile)');
  });

  return {
    flavor: c.flavor,
    audiences: c.audiences ?? defaults.audiences,
    signingKeys: {
      ...defaults.signingKeys,
      ...keys,
      fromCluster: keys?.fromCluster ?? defaults.signingKeys.fromCluster,
      nextKey: keys?.nextKey ?? defaults.signingKeys.nextKey,
    },
    roles: { ...defaults.roles, ...given },
  };
}
