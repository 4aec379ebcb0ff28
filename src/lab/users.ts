// The lab account's identities: IAM users alice the administrator, sentinel the read-only identity an agent uses and
// nobody, and the account's root user.
import { createHash, randomBytes } from 'node:crypto';
import type { LabState, LabUser, PolicyDocument } from './state.ts';

const ADMIN: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/**
 * What irsa-sentinel's probes call, and nothing else. config/ will ship the same list as the agent's IAM policy.
 * IAM action names per the Service Authorization Reference (account-level BPA is s3:GetAccountPublicAccessBlock).
 */
export const SENTINEL_ACTIONS = [
  's3:GetBucketPolicy',
  's3:GetBucketPolicyStatus',
  's3:GetBucketPublicAccessBlock',
  's3:GetAccountPublicAccessBlock',
  's3:GetBucketAcl',
  'iam:GetOpenIDConnectProvider',
  'iam:ListOpenIDConnectProviders',
  'iam:GetRole',
  'cloudtrail:LookupEvents',
];

const READ_ONLY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'IrsaSentinelReadOnly', Effect: 'Allow', Action: SENTINEL_ACTIONS, Resource: '*' }],
};

const NOTHING: PolicyDocument = { Version: '2012-10-17', Statement: [] };

/** AWS key ids are 20 characters, AKIA + 16 of [A-Z2-7]. */
function accessKeyId(prefix: 'AKIA' | 'ASIA'): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return prefix + Array.from(randomBytes(16), (b) => alphabet[b % 32]).join('');
}

function makeUser(state: LabState, name: string, policy: PolicyDocument): LabUser {
  return {
    name,
    arn: `arn:aws:iam::${state.accountId}:user/${name}`,
    userId: 'AIDA' + createHash('sha256').update(name).digest('hex').slice(0, 17).toUpperCase(),
    accessKeyId: accessKeyId('AKIA'),
    secretAccessKey: randomBytes(30).toString('base64'),
    policy,
  };
}

/** The lab's name for the root user (in `info` users and as a fault actor); not an IAM user name. */
export const ROOT_USER = 'root';

/**
 * The account's root user (docs/aws-facts.md 4.4 names it for the bucket-policy exception): ARN `arn:aws:iam::<account>:root`,
 * its principal id the account id, as CloudTrail and GetCallerIdentity show it. No identity policy applies to root.
 */
function makeRoot(state: LabState): LabUser {
  return {
    ...makeUser(state, ROOT_USER, ADMIN),
    arn: `arn:aws:iam::${state.accountId}:root`,
    userId: state.accountId,
    root: true,
  };
}

export function createUsers(state: LabState): void {
  for (const [name, policy] of [
    ['alice', ADMIN],
    ['sentinel', READ_ONLY],
    ['nobody', NOTHING],
  ] as const) {
    state.users.set(name, makeUser(state, name, policy));
  }
  state.users.set(ROOT_USER, makeRoot(state));
}
