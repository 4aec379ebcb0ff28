// The lab's world: one AWS account (users, S3, IAM, STS sessions, CloudTrail) and its simulated clusters.
// Services mutate this state through their handlers; nothing here decides AWS rules (see policy.ts, s3-access.ts).
import type { KeyObject } from 'node:crypto';
import type { CredentialsRequestInfo } from '../ccoctl/credentials-requests.ts';

export type { CredentialsRequestInfo };

export const LAB_ACCOUNT_ID = '111122223333';
export const LAB_REGION = 'us-east-1';

/** An IAM policy document as parsed JSON (identity, bucket or trust policy). */
export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement[] | PolicyStatement;
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, string | string[]>;
  NotPrincipal?: '*' | Record<string, string | string[]>;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean | number | (string | boolean | number)[]>>;
}

export interface LabUser {
  name: string;
  arn: string;
  userId: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Identity policy attached to the user (the lab's stand-in for attached managed policies). */
  policy: PolicyDocument;
  /** The account's root user: no identity policy applies to it; it may do everything its account may. */
  root?: boolean;
}

/** Temporary credentials issued by the lab's STS (kept only so the lab can verify their signatures). */
export interface LabSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  roleArn: string;
  assumedRoleArn: string;
  assumedRoleId: string;
  /** The inline session policy passed to AssumeRole* (docs/aws-facts.md 1.8): it limits what the role's policies allow. */
  policy?: PolicyDocument;
}

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export interface S3Object {
  body: Buffer;
  contentType: string;
  lastModified: Date;
  etag: string;
  tags: Record<string, string>;
}

/** How the bucket's HTTP front behaves for reads of its objects (issuer faults). Not an AWS concept. */
export interface BucketBehaviour {
  delayMs?: number;
  errorStatus?: number;
  reset?: boolean;
}

export interface Bucket {
  name: string;
  region: string;
  createdAt: Date;
  /** The policy exactly as PUT (S3 returns the stored text). */
  policy?: string;
  publicAccessBlock?: PublicAccessBlock;
  /** ObjectOwnership; BucketOwnerEnforced (ACLs disabled) is the default for buckets made after April 2023. */
  objectOwnership: 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';
  objects: Map<string, S3Object>;
  tags: Record<string, string>;
  behaviour: BucketBehaviour;
}

export interface OidcProvider {
  arn: string;
  /** Issuer URL without the scheme, as IAM returns it (docs/aws-facts.md 2.1). */
  url: string;
  clientIds: string[];
  thumbprints: string[];
  createdAt: Date;
  tags: { Key: string; Value: string }[];
}

export interface Role {
  name: string;
  arn: string;
  roleId: string;
  path: string;
  /** Trust policy text as given to CreateRole/UpdateAssumeRolePolicy. */
  assumeRolePolicy: string;
  description: string;
  maxSessionDuration: number;
  createdAt: Date;
  tags: { Key: string; Value: string }[];
  /** Inline identity policies (PutRolePolicy) by name, as given: what the role's sessions may do. */
  policies: Map<string, string>;
}

/** One CloudTrail management event as LookupEvents returns it, with the full record kept as an object. */
export interface TrailEvent {
  eventId: string;
  eventName: string;
  eventSource: string;
  eventTime: Date;
  region: string;
  readOnly: boolean;
  username?: string;
  accessKeyId?: string;
  resources: { ResourceType: string; ResourceName: string }[];
  record: Record<string, unknown>;
}

/** How a cluster's issuer is published (docs/aws-facts.md 5): ccoctl's default public bucket, or --create-private-s3-bucket. */
export type ClusterTopology = 'public-s3' | 'cloudfront';

/**
 * A CloudFront distribution in front of a private OIDC bucket, as `ccoctl --create-private-s3-bucket` makes it
 * (docs/aws-facts.md 5): the origin is the bucket, read as the distribution's Origin Access Identity. The lab serves it
 * under `/_cloudfront/<id>/` on its own port instead of at `https://<id>.cloudfront.net`.
 */
export interface Distribution {
  /** `E` + 13 upper-case letters and digits, e.g. E2QWRUHAPOMQZL. */
  id: string;
  /** arn:aws:cloudfront::<account>:distribution/<id> */
  arn: string;
  /** The origin bucket's name. */
  originBucket: string;
  /** The Origin Access Identity's id (`E` + 13 characters). */
  oaiId: string;
  /** The OAI as a bucket policy names it: arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <id> */
  oaiArn: string;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** base64url(SHA-256(DER SPKI)), as kube-apiserver and ccoctl compute it (docs/aws-facts.md 5, 6). */
  kid: string;
  /** PEM SPKI, as in ccoctl's serviceaccount-signer.public. */
  publicPem: string;
}

export interface LabCluster {
  name: string;
  /** ccoctl's bucket name: `<name>-oidc` (for a cloudfront cluster, the distribution's private origin). */
  bucket: string;
  topology: ClusterTopology;
  /** The distribution serving the issuer of a cloudfront cluster (LabState.distributions). */
  distributionId?: string;
  /**
   * Where the issuer is served: the lab's endpoint (https://127.0.0.1:PORT), or with the fleet's `issuerAddresses:
   * distinct` the cluster's own loopback address on the lab's port (https://127.0.x.y:PORT).
   */
  issuerOrigin: string;
  /**
   * public-s3: the bucket's path-style URL on the issuer origin, e.g. https://127.0.0.1:PORT/demo-oidc;
   * cloudfront: the distribution's URL on the lab, e.g. https://127.0.0.1:PORT/_cloudfront/E2QWRUHAPOMQZL
   */
  issuer: string;
  oidcProviderArn: string;
  /** The key the cluster's kube-apiserver signs with now. */
  signingKey: SigningKey;
  /** Keys the cluster's own /openid/v1/jwks serves besides the signing key (e.g. the previous key). */
  extraKeys: SigningKey[];
  /** A staged next key (OpenShift's next-bound-service-account-signing-key), if any. */
  nextKey?: SigningKey;
  /** Bearer token for the cluster's kube API. */
  kubeToken: string;
  credentialsRequests: CredentialsRequestInfo[];
  /** Service accounts that exist in the cluster, as `<namespace>/<name>` (built on first use). */
  serviceAccounts: Set<string>;
  /** Role ARNs created for the cluster's CredentialsRequests (ccoctl naming). */
  roleArns: string[];
  /** Secrets readable from the kube API, keyed `<namespace>/<name>`; values are the decoded data (built on first use). */
  secrets: Map<string, Record<string, string>>;
}

export interface ActiveFault {
  cluster?: string;
  fault: string;
  params: Record<string, unknown>;
  appliedAt: Date;
}

/** One answered LookupEvents call, as the caller asked it. */
export interface LookupCall {
  at: Date;
  region: string;
  /** `<AttributeKey>=<AttributeValue>` of its lookup attribute, if it had one. */
  attribute?: string;
  startTime?: Date;
  endTime?: Date;
  /** A later page of a lookup (it carried a NextToken). */
  nextPage: boolean;
}

export const LOOKUP_LOG_SIZE = 1000;

export class LabState {
  readonly accountId = LAB_ACCOUNT_ID;
  readonly region: string;
  readonly users = new Map<string, LabUser>();
  /** Sessions by access key id. */
  readonly sessions = new Map<string, LabSession>();
  readonly buckets = new Map<string, Bucket>();
  accountPublicAccessBlock: PublicAccessBlock | undefined;
  readonly providers = new Map<string, OidcProvider>();
  readonly roles = new Map<string, Role>();
  /** CloudFront distributions by id. */
  readonly distributions = new Map<string, Distribution>();
  /** Every CloudTrail event, oldest first. */
  readonly trail: TrailEvent[] = [];
  /** LookupEvents calls per `<account>/<region>`, answered and throttled: what tests read to count scans. */
  readonly lookups = new Map<string, { answered: number; throttled: number }>();
  /** The most LookupEvents calls (answered or throttled) in any one second, per `<account>/<region>`. */
  readonly lookupPeaks = new Map<string, number>();
  /** The last LOOKUP_LOG_SIZE LookupEvents calls answered, oldest first: what tests read to see where scans start. */
  readonly lookupLog: LookupCall[] = [];
  readonly clusters = new Map<string, LabCluster>();
  readonly faults: ActiveFault[] = [];

  constructor(region = LAB_REGION) {
    this.region = region;
  }

  userByAccessKey(accessKeyId: string): LabUser | undefined {
    for (const u of this.users.values()) if (u.accessKeyId === accessKeyId) return u;
    return undefined;
  }

  providerByUrl(url: string): OidcProvider | undefined {
    for (const p of this.providers.values()) if (p.url === url) return p;
    return undefined;
  }

  roleByArn(arn: string): Role | undefined {
    const name = arn.split('/').pop();
    const role = name === undefined ? undefined : this.roles.get(name);
    return role?.arn === arn ? role : undefined;
  }
}
