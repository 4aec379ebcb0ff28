// Healing, the part an AWS user would do: the buckets' Block Public Access and policies, and the account's Block
// Public Access, put back through the ordinary S3 and S3 Control handlers as alice. So a heal shows in CloudTrail
// as the restoring change it is on AWS (docs/aws-facts.md 3.3), and the agent sees the fault's change superseded. A bucket
// policy that locks alice out too is lifted by the account's root user, as AWS allows (docs/aws-facts.md 4.4).
import { CCOCTL_PRIVATE_ACCESS_BLOCK, CCOCTL_PUBLIC_ACCESS_BLOCK, healthyBucketPolicy } from './clusters.ts';
import { FaultError } from './faults.ts';
import type { FaultContext } from './faults.ts';
import { bucketArn, decideAccess } from './s3-access.ts';
import type { Bucket, PublicAccessBlock } from './state.ts';
import { ROOT_USER } from './users.ts';
import type { LabRequest } from './wire.ts';

const RESTORER = 'alice';
const SETTINGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

const xml = (b: PublicAccessBlock): string =>
  `<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${SETTINGS.map(
    (s) => `<${s}>${String(b[s] ?? false)}</${s}>`,
  ).join('')}</PublicAccessBlockConfiguration>`;

const same = (a: PublicAccessBlock | undefined, b: PublicAccessBlock): boolean =>
  a !== undefined && SETTINGS.every((s) => (a[s] ?? false) === (b[s] ?? false));

/** Would the bucket's current settings refuse `user` the bucket-level `action`? (Decided as S3 would, without a call.) */
function refused(ctx: FaultContext, userName: string, bucket: Bucket, action: string): boolean {
  const user = ctx.state.users.get(userName);
  if (!user) return true;
  const req: LabRequest = {
    method: 'PUT',
    url: new URL(`https://lab.invalid/${bucket.name}`),
    headers: {},
    body: Buffer.alloc(0),
    caller: { kind: 'user', user, accessKeyId: user.accessKeyId },
    region: ctx.state.region,
    sourceIp: '127.0.0.1',
    userAgent: 'irsa-sentinel-lab/faults',
    requestId: '',
  };
  return !decideAccess(ctx.state, bucket, action, bucketArn(bucket.name), req).allowed;
}

/** Restore what differs from the healthy published state; the rest of healing is the lab's own provisioning. */
export async function restoreBucketSettings(ctx: FaultContext): Promise<void> {
  const { state } = ctx;
  const failures: string[] = [];
  const call = async (service: 's3' | 's3control', user: string, c: Parameters<FaultContext['invoke']>[2]) => {
    const res = await ctx.invoke(service, user, c);
    if (res.status >= 300) failures.push(`${user} ${c.method} ${c.path}: HTTP ${res.status} ${String(res.body ?? '')}`);
  };
  // The account's settings first: BlockPublicPolicy there would refuse the public policies put back below.
  if (state.accountPublicAccessBlock !== undefined)
    await call('s3control', RESTORER, {
      method: 'DELETE',
      path: '/v20180820/configuration/publicAccessBlock',
      headers: { 'x-amz-account-id': state.accountId },
    });
  for (const c of state.clusters.values()) {
    const bucket = state.buckets.get(c.bucket);
    if (!bucket) continue;
    const block = c.topology === 'cloudfront' ? CCOCTL_PRIVATE_ACCESS_BLOCK : CCOCTL_PUBLIC_ACCESS_BLOCK;
    const policy = healthyBucketPolicy(state, c);
    const needBlock = !same(bucket.publicAccessBlock, block);
    const lockedOut =
      (needBlock && refused(ctx, RESTORER, bucket, 's3:PutBucketPublicAccessBlock')) ||
      (bucket.policy !== policy && refused(ctx, RESTORER, bucket, 's3:PutBucketPolicy'));
    if (lockedOut) {
      // docs/aws-facts.md 4.4: the bucket owner's root may always put the bucket policy, whatever the policy in force denies.
      await call('s3', ROOT_USER, { method: 'PUT', path: `/${c.bucket}?policy`, body: policy });
    }
    if (needBlock)
      await call('s3', RESTORER, { method: 'PUT', path: `/${c.bucket}?publicAccessBlock`, body: xml(block) });
    if (bucket.policy !== policy)
      await call('s3', RESTORER, { method: 'PUT', path: `/${c.bucket}?policy`, body: policy });
  }
  if (failures.length > 0) throw new FaultError('FaultFailed', `heal could not restore: ${failures.join('; ')}`);
}
