// S3's "meaning of public" for bucket policies (what GetBucketPolicyStatus, BlockPublicPolicy and
// RestrictPublicBuckets go by). docs/aws-facts.md 4.1, from the S3 User Guide "Blocking public access" page: S3 assumes a
// policy is public, and a statement is non-public only if it grants access to fixed values (no `*`, no `?`, no
// policy variable) of a principal or of one of the listed condition keys.
import { parseCidr, parseConditionOperator, statementsOf } from './policy.ts';
import type { PolicyDocument, PolicyStatement } from './state.ts';

export interface PublicVerdict {
  isPublic: boolean;
  publicStatements: { index: number; sid?: string; reason: string }[];
}

export function bucketPolicyPublicity(doc: PolicyDocument): PublicVerdict {
  const publicStatements: PublicVerdict['publicStatements'] = [];
  statementsOf(doc).forEach((st, index) => {
    if (st.Effect !== 'Allow') return; // a Deny grants nothing, so it never makes a policy public
    // Policy variables exist only in 2012-10-17 documents; under 2008-10-17 `${...}` is literal text, a fixed value.
    const reason = publicReason(st, doc.Version === '2012-10-17');
    if (reason !== undefined) publicStatements.push({ index, ...(st.Sid !== undefined && { sid: st.Sid }), reason });
  });
  return { isPublic: publicStatements.length > 0, publicStatements };
}

/** Why an Allow statement is public, or undefined when it grants only to fixed principals or fixed condition values. */
function publicReason(st: PolicyStatement, variables: boolean): string | undefined {
  const broad = broadPrincipal(st);
  if (broad === undefined || conditionRestricts(st.Condition, variables)) return undefined;
  return `${broad} and no condition limits it to fixed values of the keys S3 accepts`;
}

/** Undefined when the Principal names only fixed AWS principals (accounts, users, roles, OAIs) or service principals. */
function broadPrincipal(st: PolicyStatement): string | undefined {
  if (st.NotPrincipal !== undefined) return 'NotPrincipal grants access to everyone except the listed principals';
  const principal: unknown = st.Principal;
  if (principal === undefined) return 'the statement names no Principal';
  if (principal === '*') return 'Principal "*" grants access to everyone';
  if (principal === null || typeof principal !== 'object') return 'the Principal is not a principal map';
  for (const [type, raw] of Object.entries(principal as Record<string, unknown>)) {
    // Federated principals stand for anyone the identity provider signs in: {"Federated": "graph.facebook.com"}
    // is one of AWS's public examples.
    if (type === 'Federated') return `Federated principal ${JSON.stringify(raw)} grants access to its users`;
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    const loose = values.find((v) => typeof v !== 'string' || !isFixed(v));
    if (loose !== undefined) return `Principal ${type} ${JSON.stringify(loose)} is not a fixed principal`;
  }
  return undefined;
}

/** Condition keys that make a grant non-public when tied to fixed values (lower-cased; keys are case-insensitive). */
const FIXED_VALUE_KEYS = new Set(
  [
    // "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)": the keys that name one. A fixed
    // aws:PrincipalServiceName names one service principal (the probes' reading too; pinned.test.ts).
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

/** Operators that only let through requests whose key equals one of the policy's values. */
const RESTRICTING_OPERATORS = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike']);

/**
 * A condition restricts a statement when some operator that requires the key to be present and equal (no negation,
 * no ...IfExists, no ForAllValues, which all hold for requests without the key) ties a listed key to fixed values.
 * Conditions are AND-ed, so one restricting key is enough.
 */
function conditionRestricts(condition: PolicyStatement['Condition'], variables: boolean): boolean {
  if (condition === undefined) return false;
  return Object.entries(condition).some(([name, block]) => {
    const op = parseConditionOperator(name);
    if (!op || op.negated || op.ifExists || op.set === 'ForAllValues') return false;
    return Object.entries(block).some(([key, raw]) => {
      const k = key.toLowerCase();
      if (!FIXED_VALUE_KEYS.has(k)) return false;
      const values: unknown[] = Array.isArray(raw) ? raw : [raw];
      if (values.length === 0 || !values.every((v) => typeof v === 'string')) return false;
      if (k === 'aws:sourceip') return op.positive === 'IpAddress' && values.every(isNarrowCidr);
      return RESTRICTING_OPERATORS.has(op.positive) && values.every((v) => isFixedFor(k, v, variables));
    });
  });
}

/** No wildcard and (where variables are substituted: Version 2012-10-17) no policy variable. */
function isFixed(value: string, variables = true): boolean {
  return !/[*?]/.test(value) && !(variables && value.includes('${'));
}

function isFixedFor(key: string, value: string, variables: boolean): boolean {
  if (isFixed(value, variables)) return true;
  // "aws:userid, outside the pattern AROLEID:*": a fixed role id with any session name is still one role.
  if (key === 'aws:userid') return /^AROA[A-Z0-9]+:\*$/.test(value);
  // "s3:DataAccessPointArn ... can contain a wildcard for the access point name ... as long as the account id is
  // fixed", e.g. arn:aws:s3:us-west-2:123456789012:accesspoint/*
  if (key === 's3:dataaccesspointarn') return /^arn:[\w-]+:s3:[\w-]+:\d{12}:accesspoint\/.+$/.test(value);
  return false;
}

/**
 * "Bucket policies that grant access conditioned on the aws:SourceIp condition key with very broad IP ranges (for
 * example, 0.0.0.0/1) are evaluated as public. This includes values broader than /8 for IPv4 and /32 for IPv6
 * (excluding RFC1918 private ranges)." The RFC1918 ranges (10/8, 172.16/12, 192.168/16) are all /8 or narrower,
 * so the exclusion never turns a broader-than-/8 range non-public.
 */
function isNarrowCidr(value: unknown): boolean {
  const cidr = typeof value === 'string' ? parseCidr(value) : undefined;
  if (!cidr) return false;
  return cidr.prefix >= (cidr.family === 'ipv4' ? 8 : 32);
}
