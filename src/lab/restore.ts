// Healing, the part an AWS user would do: the buckets' Block Public Access and policies, and the account's Block
// Public Access, put back through the ordinary S3 and S3 Control handlers as alice. So a heal shows in CloudTrail
// as the restoring change it is on AWS (AWS-FACTS 3.3), and the agent sees the fault's change superseded.
import { CCOCTL_PRIVATE_ACCESS_BLOCK, CCOCTL_PUBLIC_ACCESS_BLOCK, healthyBucketPolicy } from './clusters.ts';
import type { FaultContext } from './faults.ts';
import type { PublicAccessBlock } from './state.ts';

const RESTORER = 'alice';
const SETTINGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

const xml = (b: PublicAccessBlock): string =>
  `<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${SETTINGS.map(
    (s) => `<${s}>${String(b[s] ?? false)}</${s}>`,
  ).join('')}</PublicAccessBlockConfiguration>`;

const same = (a: PublicAccessBlock | undefined, b: PublicAccessBlock): boolean =>
  a !== undefined && SETTINGS.every((s) => (a[s] ?? false) === (b[s] ?? false));

/** Restore what differs from the healthy published state; the rest of healing is the lab's own provisioning. */
export async function restoreBucketSettings(ctx: FaultContext): Promise<void> {
  const { state } = ctx;
  // The account's settings first: BlockPublicPolicy there would refuse the public policies put back below.
  if (state.accountPublicAccessBlock !== undefined)
    await ctx.invoke('s3control', RESTORER, {
      method: 'DELETE',
      path: '/v20180820/configuration/publicAccessBlock',
      headers: { 'x-amz-account-id': state.accountId },
    });
  for (const c of state.clusters.values()) {
    const bucket = state.buckets.get(c.bucket);
    if (!bucket) continue;
    const block = c.topology === 'cloudfront' ? CCOCTL_PRIVATE_ACCESS_BLOCK : CCOCTL_PUBLIC_ACCESS_BLOCK;
    if (!same(bucket.publicAccessBlock, block))
      await ctx.invoke('s3', RESTORER, { method: 'PUT', path: `/${c.bucket}?publicAccessBlock`, body: xml(block) });
    const policy = healthyBucketPolicy(state, c);
    if (bucket.policy !== policy)
      await ctx.invoke('s3', RESTORER, { method: 'PUT', path: `/${c.bucket}?policy`, body: policy });
  }
}
