// The lab's IAM policy language: parsing/validation and single-policy evaluation (Principal, Action, Resource,
// Condition), written from the IAM User Guide "policy evaluation logic", "JSON policy elements" and "condition
// operators" pages. Cross-policy logic (identity vs resource policy, Block Public Access) lives with the callers.
import { BlockList, isIP } from 'node:net';
import type { PolicyDocument, PolicyStatement } from './state.ts';

export type PrincipalContext =
  | { type: 'anonymous' }
  | { type: 'AWS'; arn: string; accountId: string }
  | { type: 'Federated'; id: string }
  | { type: 'Service'; id: string };

export interface EvalContext {
  principal: PrincipalContext;
  action: string;
  resource: string;
  keys: Record<string, string | string[] | undefined>;
}

export interface EvalResult {
  decision: 'Allow' | 'Deny' | 'NotApplicable';
  statement?: PolicyStatement;
  index?: number;
}

export class MalformedPolicyError extends Error {
  override name = 'MalformedPolicyError';
}

export function statementsOf(doc: PolicyDocument): PolicyStatement[] {
  const st: unknown = doc.Statement;
  if (Array.isArray(st)) return st as PolicyStatement[];
  return st !== null && typeof st === 'object' ? [st as PolicyStatement] : [];
}

/** An explicit Deny wins; otherwise any Allow allows; otherwise nothing applies (implicit deny). [IAM UG evaluation logic] */
export function evaluatePolicy(doc: PolicyDocument, ctx: EvalContext): EvalResult {
  const keys = lowerCaseKeys(ctx.keys);
  // Policy variables are only substituted in Version 2012-10-17 documents. [IAM UG policies_variables]
  const vars = doc.Version === '2012-10-17' ? keys : undefined;
  let allow: EvalResult | undefined;
  for (const [index, statement] of statementsOf(doc).entries()) {
    if (!statementApplies(statement, ctx, keys, vars)) continue;
    if (statement.Effect === 'Deny') return { decision: 'Deny', statement, index };
    if (statement.Effect === 'Allow') allow ??= { decision: 'Allow', statement, index };
  }
  return allow ?? { decision: 'NotApplicable' };
}

type Keys = Map<string, string[]>;

function statementApplies(st: PolicyStatement, ctx: EvalContext, keys: Keys, vars: Keys | undefined): boolean {
  try {
    return (
      principalApplies(st, ctx.principal) &&
      actionApplies(st, ctx.action) &&
      resourceApplies(st, ctx.resource, vars) &&
      conditionsHold(st.Condition, keys, vars)
    );
  } catch {
    // A document that never went through parsePolicy may hold anything; a statement we cannot read does not apply.
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Principal / NotPrincipal [IAM UG policies_elements_principal, policies_elements_notprincipal]

function principalApplies(st: PolicyStatement, principal: PrincipalContext): boolean {
  if (st.Principal !== undefined) return principalMatches(st.Principal, principal);
  if (st.NotPrincipal !== undefined) return !principalMatches(st.NotPrincipal, principal);
  return true; // identity policy: the statement applies to the identity it is attached to
}

function principalMatches(element: '*' | Record<string, string | string[]>, principal: PrincipalContext): boolean {
  // "Principal": "*" and {"AWS": "*"} both mean everyone, anonymous callers included. [docs/aws-facts.md 4.2b]
  if (element === '*') return true;
  return Object.entries(element).some(([type, raw]) =>
    strings(raw).some((value) => principalValueMatches(type, value, principal)),
  );
}

function principalValueMatches(type: string, value: string, principal: PrincipalContext): boolean {
  switch (type) {
    case 'AWS':
      return value === '*' || (principal.type === 'AWS' && awsPrincipalMatches(value, principal));
    case 'Federated':
      return principal.type === 'Federated' && value === principal.id;
    case 'Service':
      return principal.type === 'Service' && value === principal.id;
    default:
      return false; // CanonicalUser: the lab has no canonical-user callers
  }
}

const ACCOUNT_ROOT = /^arn:[^:]+:iam::(\d{12}):root$/;
const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const ASSUMED_ROLE_ARN = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/** Principal ARNs take no partial wildcards; an account id or its root ARN stands for every principal in it. */
function awsPrincipalMatches(value: string, principal: { arn: string; accountId: string }): boolean {
  if (value === principal.arn) return true;
  if (value === principal.accountId || ACCOUNT_ROOT.exec(value)?.[1] === principal.accountId) return true;
  // A role ARN in a resource-based policy also names that role's sessions.
  const role = ROLE_ARN.exec(value);
  const session = ASSUMED_ROLE_ARN.exec(principal.arn);
  return !!role && !!session && role[1] === session[1] && role[2] === session[2] && role[3] === session[3];
}

// ---------------------------------------------------------------------------------------------------------------
// Action / NotAction (case-insensitive) and Resource / NotResource (case-sensitive), `*` and `?` wildcards.

function actionApplies(st: PolicyStatement, action: string): boolean {
  const matches = (patterns: unknown) =>
    strings(patterns).some((p) => globRegExp(pieces(p, undefined, true) ?? [], 'i').test(action));
  if (st.Action !== undefined) return matches(st.Action);
  if (st.NotAction !== undefined) return !matches(st.NotAction);
  return false;
}

function resourceApplies(st: PolicyStatement, resource: string, vars: Keys | undefined): boolean {
  const matches = (patterns: unknown) => strings(patterns).some((p) => arnLike(p, resource, vars));
  if (st.Resource !== undefined) return matches(st.Resource);
  if (st.NotResource !== undefined) return !matches(st.NotResource);
  return true; // trust policies have no Resource: the role itself is the resource
}

// ---------------------------------------------------------------------------------------------------------------
// Patterns: policy variables and wildcards.

const STAR = Symbol('*');
const QMARK = Symbol('?');
type Piece = string | typeof STAR | typeof QMARK;

/**
 * Split a policy value into literal text and wildcards, substituting `${key}` / `${key, 'default'}` from the request
 * context. `${*}`, `${?}`, `${$}` are the literal characters. Undefined when a variable has no (single) value, in
 * which case the value matches nothing. [IAM UG policies_variables]
 */
function pieces(pattern: string, vars: Keys | undefined, wildcards: boolean): Piece[] | undefined {
  const out: Piece[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    const close = vars && pattern.startsWith('${', i) ? pattern.indexOf('}', i) : -1;
    if (vars && close > 0) {
      const value = variableValue(pattern.slice(i + 2, close), vars);
      if (value === undefined) return undefined;
      out.push(value);
      i = close;
    } else if (wildcards && ch === '*') out.push(STAR);
    else if (wildcards && ch === '?') out.push(QMARK);
    else out.push(ch);
  }
  return out;
}

const VARIABLE = /^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$/;

function variableValue(body: string, vars: Keys): string | undefined {
  if (body === '*' || body === '?' || body === '$') return body;
  const m = VARIABLE.exec(body);
  if (!m?.[1]) return undefined;
  const values = vars.get(m[1].toLowerCase());
  return values?.length === 1 ? values[0] : m[2];
}

function literal(ps: Piece[]): string {
  return ps.map((p) => (p === STAR ? '*' : p === QMARK ? '?' : p)).join('');
}

/** Compiled patterns by their source and flags: every request evaluates the same few policies again. Bounded. */
const compiled = new Map<string, RegExp>();
const COMPILED_MAX = 10_000;

/** `*` matches any run of characters, `?` one; in ARN mode neither crosses `:` inside the first five ARN fields. */
function globRegExp(ps: Piece[], flags: string, arnFields = false): RegExp {
  // Wildcards as numbers, text as JSON strings: no text can stand for a wildcard.
  const id = JSON.stringify([flags, arnFields, ps.map((p) => (p === STAR ? 0 : p === QMARK ? 1 : p))]);
  let re = compiled.get(id);
  if (re === undefined) {
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    re = compileGlob(ps, flags, arnFields);
    compiled.set(id, re);
  }
  return re;
}

function compileGlob(ps: Piece[], flags: string, arnFields: boolean): RegExp {
  let colons = 0;
  let source = '';
  for (const p of ps) {
    const inField = arnFields && colons < 5;
    if (p === STAR) source += inField ? '[^:]*' : '.*';
    else if (p === QMARK) source += inField ? '[^:]' : '.';
    else {
      if (p === ':') colons++;
      source += p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's' + flags);
}

/** ARN matching: each of the six colon-delimited fields is matched separately. [IAM UG condition operators: ARN] */
function arnLike(pattern: string, value: string, vars: Keys | undefined): boolean {
  const ps = pieces(pattern, vars, true);
  if (!ps) return false;
  const isArnPattern = ps.filter((p) => p === ':').length >= 5;
  return globRegExp(ps, '', isArnPattern).test(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Condition operators [IAM UG reference_policies_elements_condition_operators]

type Compare = (contextValue: string, policyValue: string, vars: Keys | undefined) => boolean;

const numeric =
  (test: (a: number, b: number) => boolean): Compare =>
  (c, p) => {
    const a = Number(c);
    const b = Number(p);
    return c.trim() !== '' && p.trim() !== '' && !Number.isNaN(a) && !Number.isNaN(b) && test(a, b);
  };

const date =
  (test: (a: number, b: number) => boolean): Compare =>
  (c, p) => {
    const a = parseDate(c);
    const b = parseDate(p);
    return a !== undefined && b !== undefined && test(a, b);
  };

function parseDate(s: string): number | undefined {
  const t = /^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s); // epoch seconds or ISO 8601
  return Number.isNaN(t) ? undefined : t;
}

const stringEquals: Compare = (c, p, vars) => {
  const ps = pieces(p, vars, false);
  return !!ps && literal(ps) === c;
};
const stringEqualsIgnoreCase: Compare = (c, p, vars) => {
  const ps = pieces(p, vars, false);
  return !!ps && literal(ps).toLowerCase() === c.toLowerCase();
};
const stringLike: Compare = (c, p, vars) => {
  const ps = pieces(p, vars, true);
  return !!ps && globRegExp(ps, '').test(c);
};
const arnMatches: Compare = (c, p, vars) => arnLike(p, c, vars);
const ipAddress: Compare = (c, p) => {
  const range = parseCidr(p);
  const family = isIP(c) === 6 ? 'ipv6' : 'ipv4';
  if (!range || isIP(c) === 0 || range.family !== family) return false;
  const list = new BlockList();
  list.addSubnet(range.address, range.prefix, family);
  return list.check(c, family);
};
const bool: Compare = (c, p) => c.toLowerCase() === p.toLowerCase();

/** The positive form of every operator; each negated operator is "matches none of the values" of its positive. */
const POSITIVE: Record<string, Compare> = {
  StringEquals: stringEquals,
  StringEqualsIgnoreCase: stringEqualsIgnoreCase,
  StringLike: stringLike,
  NumericEquals: numeric((a, b) => a === b),
  NumericLessThan: numeric((a, b) => a < b),
  NumericLessThanEquals: numeric((a, b) => a <= b),
  NumericGreaterThan: numeric((a, b) => a > b),
  NumericGreaterThanEquals: numeric((a, b) => a >= b),
  DateEquals: date((a, b) => a === b),
  DateLessThan: date((a, b) => a < b),
  DateLessThanEquals: date((a, b) => a <= b),
  DateGreaterThan: date((a, b) => a > b),
  DateGreaterThanEquals: date((a, b) => a >= b),
  Bool: bool,
  BinaryEquals: (c, p) => c === p,
  IpAddress: ipAddress,
  ArnEquals: arnMatches, // ArnEquals and ArnLike behave the same: both take wildcards per ARN field
  ArnLike: arnMatches,
};

const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  NotIpAddress: 'IpAddress',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

export interface ConditionOperator {
  /** The operator without set prefix and IfExists suffix, e.g. `StringNotEquals`. */
  base: string;
  /** The positive operator it negates, or itself; 'Null' for the Null check. */
  positive: string;
  negated: boolean;
  ifExists: boolean;
  set?: 'ForAnyValue' | 'ForAllValues';
}

/** Operator names are case-sensitive (IAM rejects `stringEquals`: "Invalid Condition type"). */
export function parseConditionOperator(name: string): ConditionOperator | undefined {
  const m = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/.exec(name);
  const base = m?.[2];
  if (!m || !base) return undefined;
  const set = m[1] as ConditionOperator['set'];
  const ifExists = m[3] !== undefined;
  if (base === 'Null') return ifExists ? undefined : { base, positive: 'Null', negated: false, ifExists, set };
  const positive = NEGATED[base] ?? base;
  if (!(positive in POSITIVE)) return undefined;
  return { base, positive, negated: positive !== base, ifExists, set };
}

function conditionsHold(condition: PolicyStatement['Condition'], keys: Keys, vars: Keys | undefined): boolean {
  if (condition === undefined) return true;
  // Every operator, and every key within an operator, must hold (AND); values of one key are OR-ed.
  return Object.entries(condition).every(([name, block]) => {
    const op = parseConditionOperator(name);
    if (!op) return false; // unknown operator: IAM would have refused the policy; the statement never matches
    return Object.entries(block).every(([key, raw]) => keyHolds(op, keys.get(key.toLowerCase()), strings(raw), vars));
  });
}

function keyHolds(op: ConditionOperator, present: string[] | undefined, values: string[], vars: Keys | undefined) {
  if (op.positive === 'Null') {
    // Null: "true" holds iff the key is absent, "false" iff present. [IAM UG condition operators: Null]
    const absent = present === undefined || present.length === 0;
    return values.some((v) => v.toLowerCase() === String(absent));
  }
  const compare = POSITIVE[op.positive];
  if (!compare) return false;
  const satisfies = (c: string) => values.some((v) => compare(c, v, vars)) !== op.negated;
  if (present === undefined || present.length === 0) {
    // docs/aws-facts.md 4.2b: absent key -> positive operators false, negated operators true, ...IfExists true;
    // ForAllValues true (nothing to disprove), ForAnyValue false (nothing matches). ForAnyValue comes first, IfExists
    // or not: "If there's no matching context key or a null dataset, the condition returns false" (IAM UG multivalued
    // context keys), and AWS answers so for ForAnyValue:StringEqualsIfExists on an absent key (re:Post
    // "ForAnyValue:StringEqualsIfExists behaving unexpectedly": an Allow with it did not allow).
    if (op.set === 'ForAnyValue') return false;
    if (op.ifExists) return true;
    if (op.set === 'ForAllValues') return true;
    return op.negated;
  }
  if (op.set === 'ForAllValues') return present.every(satisfies);
  if (op.set === 'ForAnyValue') return present.some(satisfies);
  // A single-valued operator on a multi-valued key: positive if any value matches, negated if none does.
  return op.negated ? present.every(satisfies) : present.some(satisfies);
}

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** An IPv4/IPv6 CIDR as used by IpAddress; a bare address is a /32 or /128. */
export function parseCidr(value: string): Cidr | undefined {
  const [address = '', prefixText, extra] = value.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function lowerCaseKeys(keys: EvalContext['keys']): Keys {
  const out: Keys = new Map();
  for (const [k, v] of Object.entries(keys)) if (v !== undefined) out.set(k.toLowerCase(), Array.isArray(v) ? v : [v]);
  return out;
}

/** A policy element's values as strings (JSON booleans and numbers in conditions become their text). */
function strings(raw: unknown): string[] {
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  return list.flatMap((v) =>
    typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' ? [String(v)] : [],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing and validation

const DOCUMENT_FIELDS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS = new Set([
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
const PRINCIPAL_TYPES = new Set(['AWS', 'Federated', 'Service', 'CanonicalUser']);

/**
 * Parse a policy and check its grammar. Resource (bucket) and trust policies must name a Principal or NotPrincipal;
 * identity policies must not. Trust policies take no Resource; the others need one. Unknown condition operators
 * are refused as IAM does ("Invalid Condition type").
 */
export function parsePolicy(text: string, kind: 'resource' | 'identity' | 'trust'): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new MalformedPolicyError(`Policy is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new MalformedPolicyError('Policy must be a JSON object');
  for (const field of Object.keys(doc)) {
    if (!DOCUMENT_FIELDS.has(field)) throw new MalformedPolicyError(`Policy has an unknown field "${field}"`);
  }
  if (doc.Version !== undefined && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') {
    throw new MalformedPolicyError('Version must be "2012-10-17" or "2008-10-17"');
  }
  if (doc.Id !== undefined && typeof doc.Id !== 'string') throw new MalformedPolicyError('Id must be a string');
  const statement = doc.Statement;
  if (Array.isArray(statement)) {
    if (statement.length === 0) throw new MalformedPolicyError('Statement must not be empty');
    statement.forEach((st, i) => checkStatement(st, `Statement[${i}]`, kind));
  } else if (statement === undefined) {
    throw new MalformedPolicyError('Policy is missing Statement');
  } else {
    checkStatement(statement, 'Statement', kind);
  }
  return doc as unknown as PolicyDocument;
}

function checkStatement(st: unknown, at: string, kind: 'resource' | 'identity' | 'trust'): void {
  const fail = (msg: string): never => {
    throw new MalformedPolicyError(`${at}${msg}`);
  };
  if (!isObject(st)) return fail(' must be an object');
  for (const field of Object.keys(st)) if (!STATEMENT_FIELDS.has(field)) fail(` has an unknown field "${field}"`);
  if (st.Sid !== undefined && typeof st.Sid !== 'string') fail('.Sid must be a string');
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') fail('.Effect must be "Allow" or "Deny"');
  const actionField = presentOneOf(st, 'Action', 'NotAction', at);
  for (const a of stringList(st[actionField], `${at}.${actionField}`)) {
    if (a !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]*$/.test(a)) fail(`.${actionField} "${a}" is not a valid action`);
  }
  if (kind === 'trust') {
    if (st.Resource !== undefined || st.NotResource !== undefined) fail(' has prohibited field Resource');
  } else {
    const field = presentOneOf(st, 'Resource', 'NotResource', at);
    stringList(st[field], `${at}.${field}`);
  }
  if (kind === 'identity') {
    if (st.Principal !== undefined || st.NotPrincipal !== undefined) fail(' must not specify a Principal');
  } else {
    const field = presentOneOf(st, 'Principal', 'NotPrincipal', at);
    checkPrincipal(st[field], `${at}.${field}`);
  }
  if (st.Condition !== undefined) checkCondition(st.Condition, `${at}.Condition`);
}

/** Exactly one of an element and its Not- form must be present; returns the one that is. */
function presentOneOf(st: Record<string, unknown>, a: string, notA: string, at: string): string {
  if (st[a] !== undefined && st[notA] !== undefined) {
    throw new MalformedPolicyError(`${at} must not have both ${a} and ${notA}`);
  }
  if (st[a] === undefined && st[notA] === undefined) throw new MalformedPolicyError(`${at} must have ${a} or ${notA}`);
  return st[a] !== undefined ? a : notA;
}

function checkPrincipal(p: unknown, at: string): void {
  if (p === '*') return;
  if (!isObject(p) || Object.keys(p).length === 0) {
    throw new MalformedPolicyError(`${at} must be "*" or an object of AWS, Federated, Service or CanonicalUser`);
  }
  for (const [type, values] of Object.entries(p)) {
    if (!PRINCIPAL_TYPES.has(type)) throw new MalformedPolicyError(`${at} has an unknown principal type "${type}"`);
    stringList(values, `${at}.${type}`);
  }
}

function checkCondition(condition: unknown, at: string): void {
  if (!isObject(condition)) throw new MalformedPolicyError(`${at} must be an object`);
  for (const [name, block] of Object.entries(condition)) {
    const op = parseConditionOperator(name);
    if (!op) throw new MalformedPolicyError(`${at}: Invalid Condition type : ${name}`);
    if (!isObject(block)) throw new MalformedPolicyError(`${at}.${name} must be an object of condition keys`);
    for (const [key, raw] of Object.entries(block)) {
      const values: unknown[] = Array.isArray(raw) ? raw : [raw];
      const where = `${at}.${name}["${key}"]`;
      if (values.length === 0 || !values.every((v) => ['string', 'boolean', 'number'].includes(typeof v))) {
        throw new MalformedPolicyError(`${where} must be a string, number, boolean or a non-empty list of them`);
      }
      if (op.positive === 'IpAddress') {
        for (const v of strings(values)) {
          if (!parseCidr(v)) throw new MalformedPolicyError(`${where}: "${v}" is not an IP address or CIDR`);
        }
      }
    }
  }
}

function stringList(raw: unknown, at: string): string[] {
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || !list.every((v) => typeof v === 'string' && v !== '')) {
    throw new MalformedPolicyError(`${at} must be a non-empty string or a non-empty list of strings`);
  }
  return list as string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
