// Fault injection: break one link of a cluster's chain at a time. Changes an AWS user could make go through the
// ordinary service handlers as that user (alice by default), so they are as real as a CLI call and reach CloudTrail.
import { ccoctlDiscoveryDocument, ccoctlOaiBucketPolicy, cloudFrontId, healthyBucketPolicy } from './clusters.ts';
import type { KeyPool } from './keys.ts';
import type { LabCluster, LabState } from './state.ts';
import type { LabResponse } from './wire.ts';

export type Invoke = (
  service: 's3' | 's3control' | 'iam',
  user: string,
  call: { method: string; path: string; body?: string; headers?: Record<string, string> },
) => Promise<LabResponse>;

export interface FaultContext {
  state: LabState;
  pool: KeyPool;
  invoke: Invoke;
}

export class FaultError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface FaultDef {
  description: string;
  /** false: account-wide, no cluster. */
  needsCluster: boolean;
  apply(
    ctx: FaultContext,
    cluster: LabCluster | undefined,
    params: Record<string, unknown>,
    actor: string,
  ): Promise<void> | void;
}

const numberParam = (params: Record<string, unknown>, name: string, fallback: number): number => {
  const v = params[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new FaultError('InvalidParameter', `${name} must be a non-negative number`);
  return v;
};

async function expectOk(res: Promise<LabResponse>, what: string): Promise<void> {
  const r = await res;
  if (r.status >= 300)
    throw new FaultError('FaultFailed', `${what} failed with HTTP ${r.status}: ${String(r.body ?? '')}`);
}

const must = (c: LabCluster | undefined): LabCluster => {
  if (!c) throw new FaultError('InvalidParameter', 'this fault needs a cluster');
  return c;
};

function pickRole(cluster: LabCluster, params: Record<string, unknown>): string {
  const wanted = params.role;
  if (wanted === undefined) return cluster.roleArns[0] as string;
  if (typeof wanted !== 'string') throw new FaultError('InvalidParameter', 'role must be a role ARN or name');
  const hit = cluster.roleArns.find((arn) => arn === wanted || arn.endsWith(`/${wanted}`));
  if (!hit) throw new FaultError('InvalidParameter', `role ${wanted} is not one of cluster ${cluster.name}'s roles`);
  return hit;
}

const putObject = (ctx: FaultContext, actor: string, c: LabCluster, key: string, body: string): Promise<void> =>
  expectOk(
    ctx.invoke('s3', actor, {
      method: 'PUT',
      path: `/${c.bucket}/${key}`,
      body,
      headers: { 'content-type': 'application/json' },
    }),
    `PutObject ${key}`,
  );

const VPCE_FORMS = ['get-object', 'aws-documented'] as const;
type VpceForm = (typeof VPCE_FORMS)[number];

function formParam(params: Record<string, unknown>): VpceForm {
  const form = params.form ?? 'get-object';
  if (!VPCE_FORMS.includes(form as VpceForm)) {
    throw new FaultError('InvalidParameter', `form must be one of: ${VPCE_FORMS.join(', ')}`);
  }
  return form as VpceForm;
}

/** The Deny statement of bucket-policy-deny-non-vpce in the chosen form. */
function denyOutsideVpce(form: VpceForm, bucket: string, vpce: string): Record<string, unknown> {
  const condition = { StringNotEquals: { 'aws:SourceVpce': vpce } };
  if (form === 'aws-documented') {
    // docs/aws-facts.md 4.4: the S3 User Guide's "Restricting access to a specific VPC endpoint" policy, one statement. It
    // denies every principal not calling through the endpoint, the bucket owner's own included (the lockout).
    return {
      Sid: 'Access-to-specific-VPCE-only',
      Principal: '*',
      Action: 's3:*',
      Effect: 'Deny',
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      Condition: condition,
    };
  }
  return {
    Sid: 'DenyOutsideVpce',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${bucket}/*`,
    Condition: condition,
  };
}

const ALL_BLOCKED =
  '<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>';

export const FAULTS: Record<string, FaultDef> = {
  'bucket-policy-deny-non-vpce': {
    description:
      "Adds a Deny unless aws:SourceVpce statement to the OIDC bucket policy (the common mistake). `form`: get-object (default: Deny s3:GetObject) or aws-documented (AWS's one-statement Deny s3:* example, which also locks out the account's own principals).",
    needsCluster: true,
    async apply(ctx, cluster, params, actor) {
      const c = must(cluster);
      const vpce = typeof params.vpce === 'string' ? params.vpce : 'vpce-0a1b2c3d4e5f60718';
      // The cluster's healthy policy plus the Deny: public read, or its distribution's OAI grant (cloudfront).
      const policy = JSON.parse(healthyBucketPolicy(ctx.state, c)) as { Statement: unknown[] };
      policy.Statement.push(denyOutsideVpce(formParam(params), c.bucket, vpce));
      await expectOk(
        ctx.invoke('s3', actor, { method: 'PUT', path: `/${c.bucket}?policy`, body: JSON.stringify(policy) }),
        'PutBucketPolicy',
      );
    },
  },
  'bucket-policy-deleted': {
    description: 'Deletes the OIDC bucket policy, so nothing grants anonymous reads.',
    needsCluster: true,
    async apply(ctx, cluster, _params, actor) {
      await expectOk(
        ctx.invoke('s3', actor, { method: 'DELETE', path: `/${must(cluster).bucket}?policy` }),
        'DeleteBucketPolicy',
      );
    },
  },
  'block-public-access': {
    description: 'Turns on all four Block Public Access settings on the OIDC bucket.',
    needsCluster: true,
    async apply(ctx, cluster, _params, actor) {
      await expectOk(
        ctx.invoke('s3', actor, {
          method: 'PUT',
          path: `/${must(cluster).bucket}?publicAccessBlock`,
          body: ALL_BLOCKED,
        }),
        'PutPublicAccessBlock',
      );
    },
  },
  'account-block-public-access': {
    description: 'Turns on all four Block Public Access settings for the account (S3 Control).',
    needsCluster: false,
    async apply(ctx, _cluster, _params, actor) {
      await expectOk(
        ctx.invoke('s3control', actor, {
          method: 'PUT',
          path: '/v20180820/configuration/publicAccessBlock',
          body: ALL_BLOCKED.replace(
            'http://s3.amazonaws.com/doc/2006-03-01/',
            'http://awss3control.amazonaws.com/doc/2018-08-20/',
          ),
          headers: { 'x-amz-account-id': ctx.state.accountId },
        }),
        'PutPublicAccessBlock (account)',
      );
    },
  },
  'cloudfront-origin-denied': {
    description:
      "The private origin bucket's policy no longer grants the distribution's Origin Access Identity (it names a stale OAI), so CloudFront gets 403 AccessDenied from S3 (cloudfront clusters only).",
    needsCluster: true,
    async apply(ctx, cluster, _params, actor) {
      const c = must(cluster);
      const distribution = c.distributionId ? ctx.state.distributions.get(c.distributionId) : undefined;
      if (c.topology !== 'cloudfront' || !distribution) {
        throw new FaultError(
          'InvalidParameter',
          `fault cloudfront-origin-denied needs a cloudfront cluster; ${c.name} is ${c.topology}`,
        );
      }
      // The OAI of an earlier distribution (recreated, or copied from another cluster): a fixed principal, so the
      // policy stays non-public and BlockPublicPolicy lets it through (docs/aws-facts.md 4.1, 4.2).
      const stale = cloudFrontId('origin-access-identity', `${c.name}/previous`);
      await expectOk(
        ctx.invoke('s3', actor, {
          method: 'PUT',
          path: `/${c.bucket}?policy`,
          body: ccoctlOaiBucketPolicy(c.bucket, stale),
        }),
        'PutBucketPolicy',
      );
    },
  },
  'issuer-slow': {
    description: 'The issuer host answers after `ms` milliseconds (default 6000; STS gives up after 5 s).',
    needsCluster: true,
    apply(ctx, cluster, params) {
      ctx.state.buckets.get(must(cluster).bucket)!.behaviour.delayMs = numberParam(params, 'ms', 6000);
    },
  },
  'issuer-error': {
    description: 'The issuer host answers every document GET with HTTP `status` (default 503).',
    needsCluster: true,
    apply(ctx, cluster, params) {
      const status = numberParam(params, 'status', 503);
      if (status < 400 || status > 599)
        throw new FaultError('InvalidParameter', 'status must be an HTTP error status (400-599)');
      ctx.state.buckets.get(must(cluster).bucket)!.behaviour.errorStatus = status;
    },
  },
  'issuer-down': {
    description: 'The issuer host resets every connection.',
    needsCluster: true,
    apply(ctx, cluster) {
      ctx.state.buckets.get(must(cluster).bucket)!.behaviour.reset = true;
    },
  },
  'discovery-issuer-mismatch': {
    description: 'Republishes the discovery document with an issuer that differs by a trailing slash.',
    needsCluster: true,
    async apply(ctx, cluster, _params, actor) {
      const c = must(cluster);
      const doc = ccoctlDiscoveryDocument(c.issuer).replace(`"issuer": "${c.issuer}"`, `"issuer": "${c.issuer}/"`);
      await putObject(ctx, actor, c, '.well-known/openid-configuration', doc);
    },
  },
  'jwks-malformed': {
    description: 'Replaces keys.json with a truncated, unparseable document.',
    needsCluster: true,
    async apply(ctx, cluster, _params, actor) {
      await putObject(ctx, actor, must(cluster), 'keys.json', '{\n    "keys": [\n        {\n            "use": "sig",');
    },
  },
  'jwks-uri-http': {
    description: 'Republishes the discovery document with an http:// jwks_uri.',
    needsCluster: true,
    async apply(ctx, cluster, _params, actor) {
      const c = must(cluster);
      const doc = ccoctlDiscoveryDocument(c.issuer).replace(`"jwks_uri": "https://`, `"jwks_uri": "http://`);
      await putObject(ctx, actor, c, '.well-known/openid-configuration', doc);
    },
  },
  'rotate-key-unpublished': {
    description: 'The cluster starts signing with a new key whose kid is not in the published keys.json.',
    needsCluster: true,
    async apply(ctx, cluster) {
      const c = must(cluster);
      c.extraKeys = [c.signingKey, ...c.extraKeys];
      c.signingKey = await ctx.pool.fresh();
    },
  },
  'stage-next-key': {
    description: "A next signing key is staged (OpenShift's next-bound-service-account-signing-key) but not published.",
    needsCluster: true,
    async apply(ctx, cluster) {
      const c = must(cluster);
      c.nextKey = await ctx.pool.fresh();
      // docs/aws-facts.md 5: the staged key lives in this secret under service-account.pub.
      c.secrets.set('openshift-kube-apiserver-operator/next-bound-service-account-signing-key', {
        'service-account.pub': c.nextKey.publicPem,
      });
    },
  },
  'drop-audience': {
    description: 'Removes a client ID (default `openshift`) from the IAM OIDC provider.',
    needsCluster: true,
    async apply(ctx, cluster, params, actor) {
      const c = must(cluster);
      const audience = typeof params.audience === 'string' ? params.audience : 'openshift';
      const body = new URLSearchParams({
        Action: 'RemoveClientIDFromOpenIDConnectProvider',
        Version: '2010-05-08',
        OpenIDConnectProviderArn: c.oidcProviderArn,
        ClientID: audience,
      }).toString();
      await expectOk(
        ctx.invoke('iam', actor, { method: 'POST', path: '/', body }),
        'RemoveClientIDFromOpenIDConnectProvider',
      );
    },
  },
  'trust-subject-mismatch': {
    description: "Rewrites a role's trust policy (default: the cluster's first role) to name another service account.",
    needsCluster: true,
    async apply(ctx, cluster, params, actor) {
      const c = must(cluster);
      const roleArn = pickRole(c, params);
      const role = ctx.state.roleByArn(roleArn);
      if (!role) throw new FaultError('InvalidParameter', `role ${roleArn} does not exist`);
      const policy = role.assumeRolePolicy.replace(
        /system:serviceaccount:([^:"]+):([^"]+)"/g,
        'system:serviceaccount:$1:$2-other"',
      );
      const body = new URLSearchParams({
        Action: 'UpdateAssumeRolePolicy',
        Version: '2010-05-08',
        RoleName: role.name,
        PolicyDocument: policy,
      }).toString();
      await expectOk(ctx.invoke('iam', actor, { method: 'POST', path: '/', body }), 'UpdateAssumeRolePolicy');
    },
  },
  'delete-oidc-provider': {
    description: "Deletes the cluster's IAM OIDC provider.",
    needsCluster: true,
    async apply(ctx, cluster, _params, actor) {
      const body = new URLSearchParams({
        Action: 'DeleteOpenIDConnectProvider',
        Version: '2010-05-08',
        OpenIDConnectProviderArn: must(cluster).oidcProviderArn,
      }).toString();
      await expectOk(ctx.invoke('iam', actor, { method: 'POST', path: '/', body }), 'DeleteOpenIDConnectProvider');
    },
  },
  'delete-role': {
    description: "Deletes one of the cluster's roles (default: its first).",
    needsCluster: true,
    async apply(ctx, cluster, params, actor) {
      const roleName = pickRole(must(cluster), params).split('/').pop() as string;
      const body = new URLSearchParams({ Action: 'DeleteRole', Version: '2010-05-08', RoleName: roleName }).toString();
      await expectOk(ctx.invoke('iam', actor, { method: 'POST', path: '/', body }), 'DeleteRole');
    },
  },
};

export const FAULT_NAMES = Object.keys(FAULTS);
