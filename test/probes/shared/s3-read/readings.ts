// The two readings of S3's access rules, each asked in process about one bucket: the probes' evaluator
// (probes/shared/s3-read/eval.ts) and the lab's own code path (its PutBucketPolicy operation with S3's validation and
// BlockPublicPolicy check, then decideObjectRead, the function its S3 answers anonymous GETs with, and its policy
// status). differential.test.ts and pinned.test.ts hold them against each other.
import { blockedByBlockPublicPolicy, evaluateRead, policyPublicity } from '../../../../probes/shared/s3-read/eval.ts';
import type {
  AclGrant,
  BucketAccessFacts,
  PublicAccessBlockSettings,
  ReadVerdict,
} from '../../../../probes/shared/s3-read/eval.ts';
import { UNKNOWN_USER_AGENT } from '../../../../probes/shared/iam-conditions/patterns.ts';
import { parsePolicy } from '../../../../src/lab/policy.ts';
import { bucketPolicyPublicity } from '../../../../src/lab/public.ts';
import { decideObjectRead } from '../../../../src/lab/s3-access.ts';
import { BUCKET_POLICY_OPS } from '../../../../src/lab/s3-bucket-policy.ts';
import { S3Failure } from '../../../../src/lab/s3-wire.ts';
import { LabState } from '../../../../src/lab/state.ts';
import type { Bucket, PublicAccessBlock } from '../../../../src/lab/state.ts';
import type { LabRequest } from '../../../../src/lab/wire.ts';
import { ACCOUNT, BUCKET, REGION } from './arbitraries.ts';
import type { DiffReader } from './arbitraries.ts';

/**
 * Both readings see the same User-Agent: the probe models STS's as present with a value no policy names
 * (UNKNOWN_USER_AGENT), and the lab is sent that very text.
 */
export const USER_AGENT = UNKNOWN_USER_AGENT;

export interface Setup {
  policy: unknown;
  /** Four settings each, as S3 stores them. */
  bucketBlock?: Required<PublicAccessBlockSettings>;
  accountBlock?: Required<PublicAccessBlockSettings>;
  aclGrants?: AclGrant[];
}

/** Settings left out are false, as S3 stores them. */
export const settings = (s: PublicAccessBlockSettings): Required<PublicAccessBlockSettings> => ({
  BlockPublicAcls: s.BlockPublicAcls ?? false,
  IgnorePublicAcls: s.IgnorePublicAcls ?? false,
  BlockPublicPolicy: s.BlockPublicPolicy ?? false,
  RestrictPublicBuckets: s.RestrictPublicBuckets ?? false,
});

export const factsOf = (s: Setup): BucketAccessFacts => ({
  bucket: BUCKET,
  ownerAccountId: ACCOUNT,
  region: REGION,
  policy: JSON.stringify(s.policy),
  ...(s.bucketBlock && { bucketBlock: s.bucketBlock }),
  ...(s.accountBlock && { accountBlock: s.accountBlock }),
  ...(s.aclGrants && { aclGrants: s.aclGrants }),
});

export const blocksPolicies = (s: Setup): boolean =>
  s.bucketBlock?.BlockPublicPolicy === true || s.accountBlock?.BlockPublicPolicy === true;

// ---- the probes ------------------------------------------------------------------------------------------------------

export const probeRead = (s: Setup, key: string, r: DiffReader): ReadVerdict => evaluateRead(factsOf(s), key, r.probe);

export const probePublic = (s: Setup): boolean => policyPublicity(factsOf(s).policy).isPublic;

export const probeRefusesUnderBlockPublicPolicy = (s: Setup): boolean =>
  blockedByBlockPublicPolicy(factsOf(s), factsOf(s).policy) !== undefined;

// ---- the lab ---------------------------------------------------------------------------------------------------------

/** A LabRequest as the lab's edge builds it for an anonymous GET (src/lab/edge.ts): loopback unless placed. */
export function labRequest(r: DiffReader, key: string, body = Buffer.alloc(0)): LabRequest {
  const { sourceVpce, sourceVpc, sourceIp } = r.lab;
  return {
    method: 'GET',
    url: new URL(`https://127.0.0.1/${BUCKET}/${key}`),
    headers: { 'user-agent': USER_AGENT },
    body,
    caller: { kind: 'anonymous' },
    region: REGION,
    sourceIp: sourceVpce ? '' : (sourceIp ?? '127.0.0.1'),
    ...(sourceVpce && { sourceVpce }),
    ...(sourceVpc && { sourceVpc }),
    userAgent: USER_AGENT,
    requestId: 'differential',
  };
}

export interface LabBucket {
  /** S3 refused the PutBucketPolicy (before any Block Public Access setting): `<status> <code>: <message>`. */
  refused?: string;
  allows(r: DiffReader, key: string): boolean;
  isPublic(): boolean;
  /** With the Block Public Access settings in place, would the lab refuse the same PutBucketPolicy? */
  refusesUnderBlockPublicPolicy(): boolean;
}

/** A fresh lab account and bucket with the policy PUT (as S3 validates it), then Block Public Access set. */
export function labBucket(s: Setup): LabBucket {
  const state = new LabState(REGION);
  const bucket: Bucket = {
    name: BUCKET,
    region: REGION,
    createdAt: new Date(),
    objectOwnership: 'BucketOwnerEnforced',
    objects: new Map(),
    tags: {},
    behaviour: {},
  };
  state.buckets.set(BUCKET, bucket);
  const text = JSON.stringify(s.policy);
  const put = (): string | undefined => {
    const req = labRequest({ name: 'owner', probe: { kind: 'anonymous' }, lab: {} }, '', Buffer.from(text));
    const call = { state, req, bucketName: BUCKET, key: '', query: new URLSearchParams('policy'), hostId: 'x' };
    try {
      BUCKET_POLICY_OPS.PutBucketPolicy.run(call, bucket);
      return undefined;
    } catch (err) {
      if (err instanceof S3Failure) return `${err.status} ${err.code}: ${err.message}`;
      throw err;
    }
  };
  const refused = put();
  if (s.bucketBlock) bucket.publicAccessBlock = { ...s.bucketBlock } satisfies PublicAccessBlock;
  if (s.accountBlock) state.accountPublicAccessBlock = { ...s.accountBlock };
  return {
    ...(refused !== undefined && { refused }),
    allows: (r, key) => decideObjectRead(state, bucket, key, labRequest(r, key)).allowed,
    isPublic: () => bucketPolicyPublicity(parsePolicy(text, 'resource')).isPublic,
    refusesUnderBlockPublicPolicy: () => put() !== undefined,
  };
}
