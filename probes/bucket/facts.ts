// What the bucket probe reads about an OIDC bucket through the S3 and S3 Control APIs: its policy, policy status,
// bucket and account Block Public Access, and ACL. A missing configuration is a fact (404 NoSuch…, docs/aws-facts.md 4.1,
// 4.2); a refused read is named by its action so the probe can say `unknown` instead of guessing.
import { GetBucketAclCommand, GetBucketPolicyCommand, GetBucketPolicyStatusCommand } from '@aws-sdk/client-s3';
import { GetPublicAccessBlockCommand as GetBucketPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import type { Grant } from '@aws-sdk/client-s3';
import { GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand } from '@aws-sdk/client-s3-control';
import type { AwsClients } from '../../src/clients/aws.ts';
import type { BucketAccessFacts, PublicAccessBlockSettings } from '../shared/s3-read/eval.ts';
import { awsErrorFacts } from '../shared/aws-errors.ts';

export interface BucketRead {
  facts: BucketAccessFacts;
  /** The policy exactly as S3 returned it (for the diff), when there is one. */
  policyText?: string;
  /** S3's own GetBucketPolicyStatus verdict. */
  isPublic?: boolean;
  /** NoSuchBucket from any call. */
  bucketMissing: boolean;
  /** Reads that failed: the action and AWS's error, for BUCKET_ACCESS_UNKNOWN. */
  unreadable: { action: string; awsError: string; message: string }[];
  /** The policy text is not JSON (S3 never stores such a policy; a proxy or a hostile endpoint may answer one). */
  policyError?: string;
}

const NOT_CONFIGURED = new Set(['NoSuchBucketPolicy', 'NoSuchPublicAccessBlockConfiguration']);

type Outcome<T> = { ok: true; value: T | undefined } | { ok: false; awsError: string; message: string };

/** A read whose 404 "not configured" answer is `undefined`; any other error is kept with its AWS name. */
async function read<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    // A network failure's code (ECONNRESET) says more than its name (Error).
    const { name, message } = awsErrorFacts(err);
    if (NOT_CONFIGURED.has(name)) return { ok: true, value: undefined };
    return { ok: false, awsError: name, message };
  }
}

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

function grantOf(g: Grant, ownerId: string | undefined): NonNullable<BucketAccessFacts['aclGrants']>[number] {
  const uri = g.Grantee?.URI;
  const grantee =
    uri === ALL_USERS
      ? 'AllUsers'
      : uri === AUTHENTICATED_USERS
        ? 'AuthenticatedUsers'
        : g.Grantee?.ID !== undefined && g.Grantee.ID === ownerId
          ? 'Owner'
          : 'Other';
  return { grantee, permission: g.Permission ?? 'UNKNOWN' };
}

const settingsOf = (c: PublicAccessBlockSettings | undefined): PublicAccessBlockSettings | undefined =>
  c && {
    BlockPublicAcls: c.BlockPublicAcls ?? false,
    IgnorePublicAcls: c.IgnorePublicAcls ?? false,
    BlockPublicPolicy: c.BlockPublicPolicy ?? false,
    RestrictPublicBuckets: c.RestrictPublicBuckets ?? false,
  };

export async function readBucket(
  aws: AwsClients,
  bucket: { name: string; region: string },
  signal: AbortSignal,
): Promise<BucketRead> {
  const s3 = aws.s3(bucket.region);
  const opts = { abortSignal: signal };
  const Bucket = bucket.name;
  const [policy, status, bucketBlock, accountBlock, acl] = await Promise.all([
    read(() => s3.send(new GetBucketPolicyCommand({ Bucket }), opts)),
    read(() => s3.send(new GetBucketPolicyStatusCommand({ Bucket }), opts)),
    read(() => s3.send(new GetBucketPublicAccessBlockCommand({ Bucket }), opts)),
    read(() => aws.s3control.send(new GetAccountPublicAccessBlockCommand({ AccountId: aws.accountId }), opts)),
    read(() => s3.send(new GetBucketAclCommand({ Bucket }), opts)),
  ]);
  const out: BucketRead = {
    facts: { bucket: Bucket, ownerAccountId: aws.accountId, region: bucket.region },
    bucketMissing: false,
    unreadable: [],
  };
  const failed = (action: string, o: Outcome<unknown>): boolean => {
    if (o.ok) return false;
    if (o.awsError === 'NoSuchBucket') out.bucketMissing = true;
    else out.unreadable.push({ action, awsError: o.awsError, message: o.message });
    return true;
  };
  if (!failed('s3:GetBucketPolicy', policy) && policy.ok && policy.value?.Policy !== undefined) {
    out.policyText = policy.value.Policy;
    try {
      out.facts.policy = JSON.parse(policy.value.Policy) as unknown;
    } catch (err) {
      out.policyError = (err as Error).message;
    }
  }
  if (!failed('s3:GetBucketPolicyStatus', status) && status.ok)
    out.isPublic = status.value?.PolicyStatus?.IsPublic ?? false;
  if (!failed('s3:GetBucketPublicAccessBlock', bucketBlock) && bucketBlock.ok) {
    const settings = settingsOf(bucketBlock.value?.PublicAccessBlockConfiguration);
    if (settings) out.facts.bucketBlock = settings;
  }
  if (!failed('s3:GetAccountPublicAccessBlock', accountBlock) && accountBlock.ok) {
    const settings = settingsOf(accountBlock.value?.PublicAccessBlockConfiguration);
    if (settings) out.facts.accountBlock = settings;
  }
  if (!failed('s3:GetBucketAcl', acl) && acl.ok && acl.value)
    out.facts.aclGrants = (acl.value.Grants ?? []).map((g) => grantOf(g, acl.value?.Owner?.ID));
  return out;
}
