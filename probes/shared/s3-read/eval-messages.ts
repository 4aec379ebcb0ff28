// The sentences of the bucket probe's read verdicts (bucket-eval.ts): which statement denies or allows, what the closest
// Allow lacks, and what a public bucket ACL does and does not grant. Pure code, no I/O.
import { describeClause, describeRequestValue } from '../iam-conditions/conditions.ts';
import type { Miss } from './eval-match.ts';
import type { ConditionClause } from '../iam-conditions/operators.ts';
import type { BucketAccessFacts, ReadRequest } from './eval-request.ts';
import { statementName } from './policy.ts';
import type { PolicyStatement } from './policy.ts';
import { aclPublicity } from './public.ts';

function principalPhrase(s: PolicyStatement): string {
  const names = [...s.principal.aws, ...s.principal.service, ...s.principal.federated, ...s.principal.canonicalUser];
  if (s.notPrincipal) return `every principal except ${s.principal.any ? '"*"' : names.join(', ')}`;
  return s.principal.any ? 'everyone' : names.join(', ');
}

/** "callers outside vpce-1a2b3c4d" for the usual deny conditions, else the clause itself. */
function denyPhrase(c: ConditionClause): string {
  const key = c.key.toLowerCase();
  const values = c.values.join(' or ');
  if (c.negated && ['aws:sourcevpce', 'aws:sourcevpc', 'aws:sourceip'].includes(key))
    return `callers outside ${values}`;
  if (key === 'aws:securetransport' && c.base === 'Bool' && c.values.every((v) => v.toLowerCase() === 'false')) {
    return 'requests not sent over TLS';
  }
  if (c.base === 'Null' && c.values.every((v) => v.toLowerCase() === 'true')) return `callers without ${c.key}`;
  return `requests where ${describeClause(c)}`;
}

export function denyMessage(s: PolicyStatement, req: ReadRequest): string {
  const name = statementName(s);
  if (s.conditions.length === 0) {
    return `${name} denies s3:GetObject on ${req.resource} to ${principalPhrase(s)}, ${req.caller.who} included.`;
  }
  const phrases = s.conditions.map(denyPhrase).join(' and ');
  const ops = s.conditions.map((c) => `${c.operator} ${c.key}`).join(', ');
  const has = s.conditions.map((c) => describeRequestValue(c, req.ctx)).join(' and ');
  return `${name} denies s3:GetObject to ${phrases} (${ops}), and ${req.caller.who} has ${has}.`;
}

export function allowMessage(s: PolicyStatement, req: ReadRequest): string {
  const when = s.conditions.length ? ` when ${s.conditions.map(describeClause).join(' and ')}` : '';
  return `${statementName(s)} allows s3:GetObject on ${req.resource} to ${principalPhrase(s)}${when}.`;
}

export function unmetText(s: PolicyStatement, miss: Miss, req: ReadRequest): string {
  const name = statementName(s);
  if (miss.element === 'condition') {
    return `${name} requires ${describeClause(miss.clause)}, and ${req.caller.who} has ${describeRequestValue(miss.clause, req.ctx)}`;
  }
  if (miss.element === 'principal') return `${name} grants only to ${principalPhrase(s)}`;
  if (miss.element === 'action') return `${name} does not cover s3:GetObject`;
  return `${name} covers ${s.resources.join(', ')}${s.notResource ? ' (NotResource)' : ''} only`;
}

// Bucket ACL READ "Allows grantee to list the objects in the bucket" and FULL_CONTROL means READ, WRITE, READ_ACP and
// WRITE_ACP on the bucket (S3 API PutBucketAcl; S3 UG ACL overview, permissions on a bucket vs an object): no bucket
// ACL grants s3:GetObject, which only an object ACL can. So a public bucket ACL never allows reading the documents.
export function aclNote(facts: BucketAccessFacts): string {
  const acl = aclPublicity(facts);
  if (!acl.isPublic) return '';
  const grantees = [...new Set(acl.publicGrants.map((g) => g.grantee))].join(' and ');
  return `; the bucket ACL's ${grantees} grant lets them list the bucket, not read its objects`;
}
