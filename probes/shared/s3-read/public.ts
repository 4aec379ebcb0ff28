// "The meaning of public" for the bucket probe, from the S3 User Guide, Blocking public access
// (access-control-block-public-access, docs/aws-facts.md 4.1 and 4.2): when a bucket policy or ACL is public, and which Block
// Public Access settings apply at the bucket and account levels (the most restrictive combination wins).
import { describeClause, hasWildcardOrVariable, parseCidr } from '../iam-conditions/conditions.ts';
import type { ConditionClause } from '../iam-conditions/conditions.ts';
import { parsePolicy, statementName } from './policy.ts';
import type { ParsedPolicy, PolicyStatement } from './policy.ts';

export interface PublicAccessBlockSettings {
  BlockPublicAcls?: boolean;
  IgnorePublicAcls?: boolean;
  BlockPublicPolicy?: boolean;
  RestrictPublicBuckets?: boolean;
}

export type BlockLevel = 'bucket' | 'account';

export interface AclGrant {
  grantee: 'AllUsers' | 'AuthenticatedUsers' | 'Owner' | 'Other';
  permission: string;
}

export interface PublicStatement {
  index: number;
  sid?: string;
  reason: string;
}

// A statement stops being public only by granting to "fixed values" of these keys (S3 UG, "The meaning of public",
// bucket policies). "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)" is read here as the
// keys that name principals: aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalServiceName.
const CONFINING_KEYS = new Set(
  [
    'aws:PrincipalOrgID',
    'aws:PrincipalAccount',
    'aws:PrincipalArn',
    'aws:PrincipalServiceName',
    'aws:SourceIp',
    'aws:SourceArn',
    'aws:SourceVpc',
    'aws:SourceVpce',
    'aws:SourceOwner',
    'aws:SourceAccount',
    's3:x-amz-server-side-encryption-aws-kms-key-id',
    'aws:userid',
    's3:DataAccessPointArn',
    's3:DataAccessPointAccount',
  ].map((k) => k.toLowerCase()),
);

// Only operators that admit just the listed values confine. A negated operator admits everyone else, `...IfExists`
// and `ForAllValues:` admit callers without the key (IAM UG condition operators; multi-value conditions).
const CONFINING_OPERATORS = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike']);

/** "values broader than /8 for IPv4 and /32 for IPv6 (excluding RFC1918 private ranges)" are public. */
function broadCidr(text: string): boolean {
  const cidr = parseCidr(text);
  if (!cidr) return true;
  // Every range inside RFC1918 (10/8, 172.16/12, 192.168/16) is /8 or narrower, so the exclusion adds nothing here.
  return cidr.family === 'ipv4' ? cidr.prefix < 8 : cidr.prefix < 32;
}

// s3:DataAccessPointArn in a bucket policy "can contain a wildcard for the access point name ... as long as the
// account id is fixed".
const fixedAccessPointArn = (v: string): boolean => /^arn:[^:*?$]+:s3:[^:*?$]+:\d{12}:accesspoint\/.*$/.test(v);

// "aws:userid, outside the pattern AROLEID:*" is read as the lab reads it: a fixed role id with any session name
// (AROA...:*) stays one role, so it is a fixed value. AWS does not say more; pinned.test.ts holds this reading.
const roleSessions = (v: string): boolean => /^AROA[A-Z0-9]+:\*$/.test(v);

function fixedValue(c: ConditionClause, value: string, variables: boolean): boolean {
  const key = c.key.toLowerCase();
  if (key === 'aws:sourceip') return !broadCidr(value);
  if (key === 's3:dataaccesspointarn' && fixedAccessPointArn(value)) return true;
  if (key === 'aws:userid' && roleSessions(value)) return true;
  return !hasWildcardOrVariable(value, variables);
}

/** Does this clause limit the grant to fixed values of a listed key? */
function confines(c: ConditionClause, variables: boolean): boolean {
  if (c.negated || c.ifExists || c.qualifier === 'ForAllValues') return false;
  if (!CONFINING_KEYS.has(c.key.toLowerCase())) return false;
  const operatorOk = c.key.toLowerCase() === 'aws:sourceip' ? c.base === 'IpAddress' : CONFINING_OPERATORS.has(c.base);
  return operatorOk && c.values.every((v) => fixedValue(c, v, variables));
}

/** Why an Allow statement is public, or undefined when it is not. Deny statements grant nothing. */
function whyPublic(s: PolicyStatement, variables: boolean): string | undefined {
  if (s.effect !== 'Allow') return undefined;
  const federated = s.principal.federated.length ? `Federated principal ${s.principal.federated.join(', ')}` : '';
  if (!s.notPrincipal && !s.principal.any && !federated) return undefined;
  // A fixed value of a listed key confines a grant whoever the Principal names: NotPrincipal (everyone not listed) is
  // no wider than "*", which such a condition makes non-public ("You can make these policies non-public by including
  // any of the condition keys listed previously, using a fixed value").
  if (s.conditions.some((c) => confines(c, variables))) return undefined;
  if (s.notPrincipal) return 'NotPrincipal with Allow grants to every principal not listed, anonymous included';
  const who = s.principal.any ? 'Principal "*"' : federated;
  const near = s.conditions.find((c) => CONFINING_KEYS.has(c.key.toLowerCase()));
  if (near) return `${who} with ${describeClause(near)}, which is not limited to fixed values`;
  return `${who} without a condition that limits it to fixed values of aws:SourceVpce, aws:SourceVpc, aws:SourceIp, aws:SourceArn or another listed key`;
}

export interface PolicyPublicity {
  isPublic: boolean;
  publicStatements: PublicStatement[];
}

export function publicityOf(policy: ParsedPolicy): PolicyPublicity {
  const publicStatements: PublicStatement[] = [];
  for (const s of policy.statements) {
    const reason = whyPublic(s, policy.variables);
    if (reason) publicStatements.push({ index: s.index, ...(s.sid !== undefined ? { sid: s.sid } : {}), reason });
  }
  // One public statement makes the whole policy public ("statement 3 renders the entire policy public").
  return { isPublic: publicStatements.length > 0, publicStatements };
}

/**
 * Is this bucket policy public (GetBucketPolicyStatus IsPublic)? `undefined` (no policy) is not public.
 * Throws PolicyParseError for a malformed policy, which S3 would have refused.
 */
export function policyPublicity(policy: unknown): PolicyPublicity {
  if (policy === undefined) return { isPublic: false, publicStatements: [] };
  return publicityOf(parsePolicy(policy));
}

export interface BlockFacts {
  bucketBlock?: PublicAccessBlockSettings;
  accountBlock?: PublicAccessBlockSettings;
}

/** The levels at which a setting is on; either level is enough (S3 applies "the most restrictive combination"). */
export function levelsWith(facts: BlockFacts, setting: keyof PublicAccessBlockSettings): BlockLevel[] {
  const levels: BlockLevel[] = [];
  if (facts.bucketBlock?.[setting] === true) levels.push('bucket');
  if (facts.accountBlock?.[setting] === true) levels.push('account');
  return levels;
}

/**
 * Would PutBucketPolicy with this policy be refused by BlockPublicPolicy ("reject calls to PUT Bucket policy if the
 * specified bucket policy allows public access")? Names the bucket level when both are on. Throws PolicyParseError
 * for a malformed policy (S3 refuses it as MalformedPolicy before any Block Public Access check).
 */
export function blockedByBlockPublicPolicy(
  facts: BlockFacts,
  policy: unknown,
): { level: BlockLevel; levels: BlockLevel[]; publicStatements: PublicStatement[] } | undefined {
  const levels = levelsWith(facts, 'BlockPublicPolicy');
  if (levels.length === 0) return undefined;
  const publicity = policyPublicity(policy);
  return publicity.isPublic ? { level: levels[0]!, levels, publicStatements: publicity.publicStatements } : undefined;
}

export interface AclPublicity {
  /** "Amazon S3 considers a bucket or object ACL public if it grants any permissions to ... AllUsers or AuthenticatedUsers". */
  isPublic: boolean;
  publicGrants: AclGrant[];
  /** IgnorePublicAcls levels that make S3 ignore those grants. */
  ignoredAt: BlockLevel[];
}

export function aclPublicity(facts: BlockFacts & { aclGrants?: AclGrant[] }): AclPublicity {
  const publicGrants = (facts.aclGrants ?? []).filter(
    (g) => g.grantee === 'AllUsers' || g.grantee === 'AuthenticatedUsers',
  );
  return { isPublic: publicGrants.length > 0, publicGrants, ignoredAt: levelsWith(facts, 'IgnorePublicAcls') };
}

export const publicStatementNames = (p: PolicyPublicity): string => p.publicStatements.map(statementName).join(', ');
