// The grammar of an S3 bucket policy as the bucket probe reads it (IAM UG reference_policies_grammar and the element
// pages: Version, Statement, Sid, Effect, Principal/NotPrincipal, Action/NotAction, Resource/NotResource, Condition).
// Malformed or hostile input becomes a PolicyParseError that names the element; nothing here throws anything else.
import { PolicyParseError, parseCondition } from '../iam-conditions/conditions.ts';
import type { ConditionClause } from '../iam-conditions/conditions.ts';

export interface PrincipalSpec {
  /** `"*"` or `{"AWS": "*"}`: every principal, anonymous included (IAM UG Principal, "All principals"). */
  any: boolean;
  aws: string[];
  service: string[];
  federated: string[];
  canonicalUser: string[];
}

export interface PolicyStatement {
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  principal: PrincipalSpec;
  /** NotPrincipal: the statement is about everyone except `principal`. */
  notPrincipal: boolean;
  actions: string[];
  notAction: boolean;
  resources: string[];
  notResource: boolean;
  conditions: ConditionClause[];
  /** The Condition element as written (evidence). */
  condition?: unknown;
}

export interface ParsedPolicy {
  version?: string;
  /** Policy variables are only substituted under Version 2012-10-17 (IAM UG reference_policies_variables). */
  variables: boolean;
  statements: PolicyStatement[];
}

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const POLICY_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const PRINCIPAL_KEYS: Record<string, keyof Omit<PrincipalSpec, 'any'>> = {
  AWS: 'aws',
  Service: 'service',
  Federated: 'federated',
  CanonicalUser: 'canonicalUser',
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(raw: unknown, path: string): string[] {
  const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  if (list.length === 0 || !list.every((x): x is string => typeof x === 'string' && x !== '')) {
    throw new PolicyParseError(path, 'must be a string or a non-empty list of strings');
  }
  return list;
}

/** Exactly one of `Name` / `NotName` (IAM UG: "Statements must include either a Resource or a NotResource"). */
function either(s: Record<string, unknown>, name: string, path: string): { raw: unknown; not: boolean } {
  const has = Object.hasOwn(s, name);
  const hasNot = Object.hasOwn(s, `Not${name}`);
  if (has === hasNot) throw new PolicyParseError(path, `needs exactly one of ${name} or Not${name}`);
  return has ? { raw: s[name], not: false } : { raw: s[`Not${name}`], not: true };
}

// "You cannot use a wildcard to match part of a principal name or ARN" (IAM UG Principal); `*` alone is "all".
function parsePrincipal(raw: unknown, path: string): PrincipalSpec {
  const spec: PrincipalSpec = { any: false, aws: [], service: [], federated: [], canonicalUser: [] };
  if (raw === '*') return { ...spec, any: true };
  if (!isPlainObject(raw) || Object.keys(raw).length === 0) {
    throw new PolicyParseError(path, 'must be "*" or an object of AWS, Service, Federated or CanonicalUser');
  }
  for (const [type, value] of Object.entries(raw)) {
    const field = Object.hasOwn(PRINCIPAL_KEYS, type) ? PRINCIPAL_KEYS[type] : undefined;
    if (!field) throw new PolicyParseError(`${path}.${type}`, 'unknown principal type');
    for (const v of strings(value, `${path}.${type}`)) {
      if (v === '*' && field === 'aws') spec.any = true;
      else if (/[*?]/.test(v)) throw new PolicyParseError(`${path}.${type}`, `wildcard in principal ${v}`);
      else spec[field].push(v);
    }
  }
  return spec;
}

function parseActions(raw: unknown, path: string): string[] {
  const list = strings(raw, path);
  const bad = list.find((a) => a !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/.test(a));
  if (bad !== undefined) throw new PolicyParseError(path, `${JSON.stringify(bad)} is not service:action or "*"`);
  return list;
}

function parseResources(raw: unknown, path: string): string[] {
  const list = strings(raw, path);
  const bad = list.find((r) => r !== '*' && !r.startsWith('arn:'));
  if (bad !== undefined) throw new PolicyParseError(path, `${JSON.stringify(bad)} is not an ARN or "*"`);
  return list;
}

function parseEffect(raw: unknown, path: string): 'Allow' | 'Deny' {
  // "Valid values for Effect are Allow and Deny. The Effect value is case sensitive." (IAM UG Effect)
  if (raw !== 'Allow' && raw !== 'Deny') throw new PolicyParseError(path, 'must be "Allow" or "Deny"');
  return raw;
}

function parseStatement(raw: unknown, index: number, path: string): PolicyStatement {
  if (!isPlainObject(raw)) throw new PolicyParseError(path, 'must be an object');
  const unknown = Object.keys(raw).find((k) => !STATEMENT_KEYS.has(k));
  if (unknown !== undefined) throw new PolicyParseError(`${path}.${unknown}`, 'unknown statement element');
  if (raw.Sid !== undefined && typeof raw.Sid !== 'string')
    throw new PolicyParseError(`${path}.Sid`, 'must be a string');
  // A bucket policy is resource-based: "You must use the Principal element in resource-based policies".
  const principal = either(raw, 'Principal', path);
  const action = either(raw, 'Action', path);
  const resource = either(raw, 'Resource', path);
  const hasCondition = raw.Condition !== undefined;
  return {
    index,
    ...(typeof raw.Sid === 'string' && raw.Sid !== '' ? { sid: raw.Sid } : {}),
    effect: parseEffect(raw.Effect, `${path}.Effect`),
    principal: parsePrincipal(principal.raw, `${path}.${principal.not ? 'NotPrincipal' : 'Principal'}`),
    notPrincipal: principal.not,
    actions: parseActions(action.raw, `${path}.${action.not ? 'NotAction' : 'Action'}`),
    notAction: action.not,
    resources: parseResources(resource.raw, `${path}.${resource.not ? 'NotResource' : 'Resource'}`),
    notResource: resource.not,
    conditions: hasCondition ? parseCondition(raw.Condition, `${path}.Condition`) : [],
    ...(hasCondition ? { condition: raw.Condition } : {}),
  };
}

function parseDocument(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch (err) {
    throw new PolicyParseError('(policy)', `not JSON: ${(err as Error).message}`);
  }
}

/** Parse a bucket policy (its JSON text or the parsed value). Throws PolicyParseError naming what and where. */
export function parsePolicy(input: unknown): ParsedPolicy {
  const doc = parseDocument(input);
  if (!isPlainObject(doc)) throw new PolicyParseError('(policy)', 'must be a JSON object');
  const unknown = Object.keys(doc).find((k) => !POLICY_KEYS.has(k));
  if (unknown !== undefined) throw new PolicyParseError(unknown, 'unknown policy element');
  if (doc.Version !== undefined && (typeof doc.Version !== 'string' || !VERSIONS.has(doc.Version))) {
    throw new PolicyParseError('Version', 'must be "2012-10-17" or "2008-10-17"');
  }
  if (doc.Id !== undefined && typeof doc.Id !== 'string') throw new PolicyParseError('Id', 'must be a string');
  const raw = doc.Statement;
  if (!isPlainObject(raw) && !Array.isArray(raw)) {
    throw new PolicyParseError('Statement', 'must be a statement object or a list of them');
  }
  const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  return {
    ...(doc.Version !== undefined ? { version: doc.Version } : {}),
    variables: doc.Version === '2012-10-17',
    statements: list.map((s, i) => parseStatement(s, i, `Statement[${i}]`)),
  };
}

/** How messages name a statement: by its Sid, else by its index in the Statement list. */
export const statementName = (s: { index: number; sid?: string }): string =>
  s.sid !== undefined ? `Statement "${s.sid}"` : `Statement[${s.index}]`;
