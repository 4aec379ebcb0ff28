// Simulated clusters: provisioned the way ccoctl does it, and signing service-account tokens like a kube-apiserver.
import { createHash, randomBytes, randomUUID, sign } from 'node:crypto';
import type { JWK } from 'jose';
import {
  bundledCredentialsRequests,
  ccoctlCredentialsIni,
  ccoctlRoleName,
  ccoctlTrustPolicy,
  serviceAccountSubject,
} from '../ccoctl/credentials-requests.ts';
import { publishedJwk } from './keys.ts';
import type {
  Bucket,
  ClusterTopology,
  Distribution,
  LabCluster,
  LabState,
  PublicAccessBlock,
  SigningKey,
} from './state.ts';

/** The agent's own service account in every lab cluster. */
export const AGENT_SERVICE_ACCOUNT = 'irsa-sentinel/irsa-sentinel';
/** Audiences ccoctl registers on the IAM OIDC provider (docs/aws-facts.md 5). */
export const CCOCTL_AUDIENCES = ['openshift', 'sts.amazonaws.com'];
/** ccoctl's Block Public Access for its public bucket since 2023 (docs/aws-facts.md 4.3). */
export const CCOCTL_PUBLIC_ACCESS_BLOCK: PublicAccessBlock = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
};

/** ccoctl --create-private-s3-bucket: all four Block Public Access settings on (docs/aws-facts.md 5). */
export const CCOCTL_PRIVATE_ACCESS_BLOCK: PublicAccessBlock = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

const CLOUDFRONT_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * A CloudFront-style id (distributions and Origin Access Identities both look like E2QWRUHAPOMQZL: `E` + 13
 * upper-case letters and digits), stable per kind and cluster name so a healed or restarted lab keeps its issuer.
 */
export function cloudFrontId(kind: 'distribution' | 'origin-access-identity', name: string): string {
  const digest = createHash('sha256').update(`lab-cloudfront:${kind}:${name}`).digest();
  return 'E' + Array.from(digest.subarray(0, 13), (b) => CLOUDFRONT_ID_ALPHABET[b % 36]).join('');
}

/** How a bucket policy names an Origin Access Identity (docs/aws-facts.md 5). */
export const oaiPrincipalArn = (oaiId: string): string =>
  `arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ${oaiId}`;

/** ccoctl's oidcBucketTemplateAllowingOAIAccess: only the distribution's OAI may read (docs/aws-facts.md 5). */
export const ccoctlOaiBucketPolicy = (bucket: string, oaiId: string): string =>
  JSON.stringify(
    {
      Version: '2008-10-17',
      Id: 'PolicyForCloudFrontPrivateContent',
      Statement: [
        {
          Sid: '1',
          Effect: 'Allow',
          Principal: { AWS: oaiPrincipalArn(oaiId) },
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/*`,
        },
      ],
    },
    null,
    4,
  );

/** The distribution ccoctl --create-private-s3-bucket makes for cluster `name`: origin `bucket`, read as its OAI. */
export function cloudFrontDistribution(accountId: string, name: string, bucket: string): Distribution {
  const id = cloudFrontId('distribution', name);
  const oaiId = cloudFrontId('origin-access-identity', name);
  return {
    id,
    arn: `arn:aws:cloudfront::${accountId}:distribution/${id}`,
    originBucket: bucket,
    oaiId,
    oaiArn: oaiPrincipalArn(oaiId),
  };
}

/** The bucket policy of the cluster's healthy published state: public read, or its distribution's OAI only. */
export function healthyBucketPolicy(state: LabState, cluster: LabCluster): string {
  const distribution = cluster.distributionId ? state.distributions.get(cluster.distributionId) : undefined;
  return distribution ? ccoctlOaiBucketPolicy(cluster.bucket, distribution.oaiId) : ccoctlBucketPolicy(cluster.bucket);
}

export const ccoctlBucketPolicy = (bucket: string): string =>
  JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowReadPublicAccess',
          Principal: '*',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: [`arn:aws:s3:::${bucket}/*`],
        },
      ],
    },
    null,
    '\t',
  );

/** ccoctl's DiscoveryDocumentTemplate (note "sub" twice; docs/aws-facts.md 5). */
export const ccoctlDiscoveryDocument = (issuer: string): string =>
  JSON.stringify(
    {
      issuer,
      jwks_uri: `${issuer}/keys.json`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['aud', 'exp', 'sub', 'iat', 'iss', 'sub'],
    },
    null,
    4,
  );

export async function ccoctlKeysJson(keys: SigningKey[]): Promise<string> {
  return JSON.stringify({ keys: await Promise.all(keys.map(publishedJwk)) }, null, 4);
}

/** An object's body and ETag; S3 computes the ETag of a single-part upload as the MD5 of the body. */
interface Content {
  body: Buffer;
  etag: string;
}

const content = (text: string): Content => {
  const body = Buffer.from(text);
  return { body, etag: `"${createHash('md5').update(body).digest('hex')}"` };
};

/** keys.json of a cluster publishing only `key`: clusters sharing a pooled key share one body (never mutated). */
const publishedKeys = new WeakMap<SigningKey, Promise<Content>>();
function keysJsonContent(key: SigningKey): Promise<Content> {
  let c = publishedKeys.get(key);
  if (c === undefined) publishedKeys.set(key, (c = ccoctlKeysJson([key]).then(content)));
  return c;
}

function putObject(bucket: Bucket, key: string, { body, etag }: Content, at: Date, tags: Record<string, string>): void {
  bucket.objects.set(key, { body, contentType: 'application/json', lastModified: at, etag, tags });
}

const roleIdFor = (arn: string): string =>
  'AROA' + createHash('sha256').update(arn).digest('hex').slice(0, 17).toUpperCase();

/** Where the lab edge serves CloudFront distributions: `/_cloudfront/<distributionId>/<key>`. */
export const CLOUDFRONT_PATH_PREFIX = '/_cloudfront/';

/**
 * Make `name`'s AWS side exactly as `ccoctl aws create-all` leaves it (bucket, documents, policy, Block Public
 * Access, IAM OIDC provider, one role per CredentialsRequest) and return the cluster. Replaces what was there.
 * `topology` cloudfront is `--create-private-s3-bucket`: a private bucket behind a CloudFront distribution whose
 * URL is the issuer (docs/aws-facts.md 5). Default: the cluster's current topology, else public-s3.
 */
export async function provisionCluster(
  state: LabState,
  issuerOrigin: string,
  name: string,
  signingKey: SigningKey,
  topology?: ClusterTopology,
): Promise<LabCluster> {
  const bucketName = `${name}-oidc`;
  const previous = state.clusters.get(name);
  const shape = topology ?? previous?.topology ?? 'public-s3';
  if (previous?.distributionId) state.distributions.delete(previous.distributionId);
  const distributionId = shape === 'cloudfront' ? cloudFrontId('distribution', name) : undefined;
  // ccoctl's issuer is https://<bucket>.s3.<region>.<suffix> or https://<distribution>.cloudfront.net; the lab has no
  // DNS of its own, so both live under the origin given: the lab's endpoint, or the cluster's own issuer address.
  const issuer = distributionId
    ? `${issuerOrigin}${CLOUDFRONT_PATH_PREFIX}${distributionId}`
    : `${issuerOrigin}/${bucketName}`;
  const providerUrl = issuer.replace(/^https:\/\//, '');
  const providerArn = `arn:aws:iam::${state.accountId}:oidc-provider/${providerUrl}`;
  const tags = ccoctlTags(name);
  const crs = bundledCredentialsRequests();
  const roleArns = crs.map((cr) => `arn:aws:iam::${state.accountId}:role/${ccoctlRoleName(name, cr)}`);
  const cluster: LabCluster = withKubeObjects({
    name,
    bucket: bucketName,
    topology: shape,
    ...(distributionId ? { distributionId } : {}),
    issuerOrigin,
    issuer,
    oidcProviderArn: providerArn,
    signingKey,
    extraKeys: [],
    kubeToken: previous?.kubeToken ?? `lab-${randomBytes(24).toString('base64url')}`,
    credentialsRequests: crs,
    roleArns,
  });
  await publishCluster(state, cluster, tags);
  // Cheap per role: the tag list and the creation time are shared by the cluster's roles (a role's tags are replaced,
  // never changed in place), and the trust policy is a template filled with strings the cluster already holds.
  const roleTags = tagList(tags);
  const now = new Date();
  crs.forEach((cr, i) => {
    const roleArn = roleArns[i] as string;
    const roleName = roleArn.slice(roleArn.indexOf('/') + 1);
    const subjects = cr.serviceAccounts.map((sa) => serviceAccountSubject(cr.secretNamespace, sa));
    state.roles.set(roleName, {
      name: roleName,
      arn: roleArn,
      roleId: roleIdFor(roleArn),
      path: '/',
      assumeRolePolicy: ccoctlTrustPolicy(providerArn, providerUrl, subjects),
      description: `OpenShift role for ${cr.secretNamespace}/${cr.secretName}`,
      maxSessionDuration: 3600,
      createdAt: state.roles.get(roleName)?.createdAt ?? now,
      tags: roleTags,
      // ccoctl puts the CredentialsRequest's statementEntries as an inline policy; the lab does not model them yet.
      policies: new Map(),
    });
  });
  state.clusters.set(name, cluster);
  return cluster;
}

/** ccoctl's tags on what it makes for cluster `name` (bucket, objects, OIDC provider, roles). */
const ccoctlTags = (name: string): Record<string, string> => ({
  [`openshift.io/cloud-credential-operator/${name}`]: 'owned',
  Name: name,
});

const tagList = (tags: Record<string, string>): { Key: string; Value: string }[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/**
 * The cluster's kube objects, built on first use (most clusters of a big fleet are never asked): the ccoctl
 * credentials secret of each CredentialsRequest, and the service accounts (the agent's and the CredentialsRequests').
 */
function withKubeObjects(base: Omit<LabCluster, 'secrets' | 'serviceAccounts'>): LabCluster {
  let secrets: LabCluster['secrets'] | undefined;
  let serviceAccounts: LabCluster['serviceAccounts'] | undefined;
  return Object.defineProperties(base as LabCluster, {
    secrets: {
      enumerable: true,
      get: () =>
        (secrets ??= new Map(
          base.credentialsRequests.map((cr, i) => [
            `${cr.secretNamespace}/${cr.secretName}`,
            { credentials: ccoctlCredentialsIni(base.roleArns[i] as string) },
          ]),
        )),
    },
    serviceAccounts: {
      enumerable: true,
      get: () =>
        (serviceAccounts ??= new Set([
          AGENT_SERVICE_ACCOUNT,
          ...base.credentialsRequests.flatMap((cr) => cr.serviceAccounts.map((sa) => `${cr.secretNamespace}/${sa}`)),
        ])),
    },
  });
}

/**
 * Bucket, documents, policy, Block Public Access, the CloudFront distribution of a cloudfront cluster, and the
 * OIDC provider (with ccoctl's tags) for the cluster's current key.
 */
export async function publishCluster(
  state: LabState,
  cluster: LabCluster,
  tags: Record<string, string> = ccoctlTags(cluster.name),
): Promise<void> {
  const distribution =
    cluster.topology === 'cloudfront'
      ? cloudFrontDistribution(state.accountId, cluster.name, cluster.bucket)
      : undefined;
  if (distribution) state.distributions.set(distribution.id, distribution);
  const now = new Date();
  const bucket: Bucket = {
    name: cluster.bucket,
    region: state.region,
    createdAt: state.buckets.get(cluster.bucket)?.createdAt ?? now,
    policy: distribution
      ? ccoctlOaiBucketPolicy(cluster.bucket, distribution.oaiId)
      : ccoctlBucketPolicy(cluster.bucket),
    publicAccessBlock: { ...(distribution ? CCOCTL_PRIVATE_ACCESS_BLOCK : CCOCTL_PUBLIC_ACCESS_BLOCK) },
    objectOwnership: 'BucketOwnerEnforced',
    objects: new Map(),
    tags,
    behaviour: {},
  };
  putObject(bucket, '.well-known/openid-configuration', content(ccoctlDiscoveryDocument(cluster.issuer)), now, tags);
  putObject(bucket, 'keys.json', await keysJsonContent(cluster.signingKey), now, tags);
  state.buckets.set(bucket.name, bucket);
  const providerUrl = cluster.issuer.replace(/^https:\/\//, '');
  state.providers.set(cluster.oidcProviderArn, {
    arn: cluster.oidcProviderArn,
    url: providerUrl,
    clientIds: [...CCOCTL_AUDIENCES],
    // ccoctl: SHA-1 of the last certificate of the issuer's chain, uppercase hex (docs/aws-facts.md 5); not used by STS.
    thumbprints: [createHash('sha1').update(providerUrl).digest('hex').toUpperCase()],
    createdAt: state.providers.get(cluster.oidcProviderArn)?.createdAt ?? now,
    tags: tagList(tags).sort((a, b) => a.Key.localeCompare(b.Key)),
  });
}

export interface TokenRequestSpec {
  namespace: string;
  serviceAccount: string;
  audiences: string[];
  expirationSeconds: number;
  now?: Date;
}

/**
 * A bound service-account token as kube-apiserver signs it (RS256, kid of the signing key). Signed with node:crypto
 * (RSASSA-PKCS1-v1_5 is deterministic: the same token jose's SignJWT made, at half its cost per TokenRequest, measured).
 */
export async function signServiceAccountToken(
  cluster: LabCluster,
  spec: TokenRequestSpec,
): Promise<{ token: string; expirationTimestamp: Date }> {
  const now = Math.floor((spec.now ?? new Date()).getTime() / 1000);
  const exp = now + spec.expirationSeconds;
  const header = { alg: 'RS256', kid: cluster.signingKey.kid };
  const claims = {
    'kubernetes.io': {
      namespace: spec.namespace,
      serviceaccount: { name: spec.serviceAccount, uid: uidFor(cluster.name, spec.namespace, spec.serviceAccount) },
    },
    iss: cluster.issuer,
    sub: serviceAccountSubject(spec.namespace, spec.serviceAccount),
    aud: spec.audiences,
    iat: now,
    nbf: now,
    exp,
    jti: randomUUID(),
  };
  const input = `${base64url(header)}.${base64url(claims)}`;
  const signature = sign('sha256', Buffer.from(input), cluster.signingKey.privateKey).toString('base64url');
  return Promise.resolve({ token: `${input}.${signature}`, expirationTimestamp: new Date(exp * 1000) });
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function uidFor(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The cluster's own /openid/v1/jwks: the signing key and any others it still trusts (docs/aws-facts.md 6). */
export async function clusterJwks(cluster: LabCluster): Promise<{ keys: JWK[] }> {
  return { keys: await Promise.all([cluster.signingKey, ...cluster.extraKeys].map(publishedJwk)) };
}
