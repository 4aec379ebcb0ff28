// The bucket probe's own reading of IAM policy Condition blocks, wildcards and policy variables, written from the IAM
// User Guide (reference_policies_elements_condition, _condition_operators, _multi-value-conditions, _variables) and
// AWS-FACTS 4.2b. Pure code: no I/O, and nothing shared with the lab's evaluator (src/lab/), on purpose.
import { BlockList, isIP } from 'node:net';

/** What is wrong and where, e.g. `Statement[2].Condition.StringEquals["aws:SourceVpce"]: value must be ...`. */
export class PolicyParseError extends Error {
  readonly code = 'BUCKET_POLICY_INVALID';
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'PolicyParseError';
    this.path = path;
  }
}

/**
 * The request context: lower-cased key names (IAM: "Condition key names are not case-sensitive") to their values.
 * A key that is not in the map is absent from the request.
 */
export type RequestContext = ReadonlyMap<string, readonly string[]>;

/** aws:SourceIp of a caller whose public address is not known (and not yours): see ipValueMatches. */
export const UNKNOWN_PUBLIC_ADDRESS = 'unknown-public-address';

// ---- wildcards ---------------------------------------------------------------------------------------------------

const ANY = Symbol('*');
const ONE = Symbol('?');
export type Pattern = (string | typeof ANY | typeof ONE)[];

/** Literal text: every character stands for itself. */
export const literal = (text: string): Pattern => [...text];

/** IAM's wildcards: `*` any run of characters, `?` exactly one (condition operators, Action, Resource). */
export const wildcard = (text: string): Pattern => [...text].map((c) => (c === '*' ? ANY : c === '?' ? ONE : c));

/** Linear-backtracking glob match (no RegExp: hostile patterns with many `*` cannot blow up). */
export function globMatch(p: Pattern, value: string): boolean {
  const s = [...value];
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < s.length) {
    if (i < p.length && (p[i] === ONE || p[i] === s[j])) {
      i++;
      j++;
    } else if (i < p.length && p[i] === ANY) {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (p[i] === ANY) i++;
  return i === p.length;
}

const lower = (p: Pattern): Pattern => p.map((c) => (typeof c === 'string' ? c.toLowerCase() : c));

// ---- policy variables --------------------------------------------------------------------------------------------

// IAM UG reference_policies_variables: `${key}` is replaced by the request's value; `${*}`, `${?}`, `${$}` stand for
// the literal characters; `${key, 'default'}` gives a default. Only policies with Version 2012-10-17 have variables:
// otherwise "variables like ${aws:username} are treated as literal strings". A variable whose key is absent "fails"
// any attempt to match: compile returns undefined and the value matches nothing.
const VARIABLE = /\$\{([^}]*)\}/g;
const SPECIAL: Record<string, string> = { '*': '*', '?': '?', $: '$' };

function resolveVariable(body: string, ctx: RequestContext): string | undefined {
  const trimmed = body.trim();
  if (Object.hasOwn(SPECIAL, trimmed)) return SPECIAL[trimmed];
  const m = /^([^,]+?)\s*(?:,\s*'([^']*)')?$/.exec(trimmed);
  if (!m) return undefined;
  return ctx.get(m[1]!.toLowerCase())?.[0] ?? m[2];
}

/** A policy value as a pattern; variables (when enabled) are substituted as literal text. */
export function compile(
  value: string,
  opts: { wildcards: boolean; variables: boolean },
  ctx: RequestContext,
): Pattern | undefined {
  const part = opts.wildcards ? wildcard : literal;
  if (!opts.variables) return part(value);
  const out: Pattern = [];
  let last = 0;
  for (const m of value.matchAll(VARIABLE)) {
    const resolved = resolveVariable(m[1]!, ctx);
    if (resolved === undefined) return undefined;
    out.push(...part(value.slice(last, m.index)), ...literal(resolved));
    last = m.index + m[0].length;
  }
  out.push(...part(value.slice(last)));
  return out;
}

/** True when the text uses a wildcard or (in a 2012-10-17 policy) a policy variable: not a "fixed value". */
export const hasWildcardOrVariable = (value: string, variables: boolean): boolean =>
  /[*?]/.test(value) || (variables && /\$\{[^}]*\}/.test(value));

// ---- ARNs --------------------------------------------------------------------------------------------------------

/** arn:partition:service:region:account:resource (the resource part keeps its own colons). */
const arnParts = (arn: string): string[] | undefined => {
  const parts = arn.split(':');
  return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
};

/**
 * ArnLike/ArnEquals (and the Resource element): "Each of the six colon-delimited components of the ARN is checked
 * separately and each can include ... wildcards" (IAM UG condition operators, ARN). Only the first five colons
 * split, so a variable such as `${aws:username}` in the resource part (the only place one may be) stays whole.
 */
export function arnMatch(pattern: string, arn: string, variables: boolean, ctx: RequestContext): boolean {
  if (pattern === '*') return true;
  const want = arnParts(pattern);
  const got = arnParts(arn);
  if (!want || !got) return false;
  return want.every((seg, i) => {
    const p = compile(seg, { wildcards: true, variables: variables && i === 5 }, ctx);
    return p !== undefined && globMatch(p, got[i]!);
  });
}

// ---- IP addresses ------------------------------------------------------------------------------------------------

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** "The value must be in the standard CIDR format ... without the associated routing prefix, IAM uses ... /32". */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function inCidr(ip: string, cidr: Cidr): boolean {
  const version = isIP(ip);
  if (version === 0) return false;
  const list = new BlockList();
  list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
}

/** An unknown public address is inside a range only if the range is everything (/0). */
const ipValueMatches = (ip: string, cidr: Cidr): boolean =>
  ip === UNKNOWN_PUBLIC_ADDRESS ? cidr.prefix === 0 : inCidr(ip, cidr);

// ---- operators ---------------------------------------------------------------------------------------------------

type Family = 'string' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';
type Compare = 'eq' | 'ieq' | 'like' | 'lt' | 'le' | 'gt' | 'ge';
interface OperatorDef {
  family: Family;
  compare: Compare;
  /** Negated operators (StringNotEquals, NotIpAddress, ...) are true when no policy value matches (NOR). */
  negated: boolean;
}

const def = (family: Family, compare: Compare, negated = false): OperatorDef => ({ family, compare, negated });
const ORDERED = (family: 'numeric' | 'date', prefix: string): [string, OperatorDef][] => [
  [`${prefix}Equals`, def(family, 'eq')],
  [`${prefix}NotEquals`, def(family, 'eq', true)],
  [`${prefix}LessThan`, def(family, 'lt')],
  [`${prefix}LessThanEquals`, def(family, 'le')],
  [`${prefix}GreaterThan`, def(family, 'gt')],
  [`${prefix}GreaterThanEquals`, def(family, 'ge')],
];

/** Every operator of IAM UG "Condition operators" (names as documented, case-sensitive). */
const OPERATORS = new Map<string, OperatorDef>([
  ['StringEquals', def('string', 'eq')],
  ['StringNotEquals', def('string', 'eq', true)],
  ['StringEqualsIgnoreCase', def('string', 'ieq')],
  ['StringNotEqualsIgnoreCase', def('string', 'ieq', true)],
  ['StringLike', def('string', 'like')],
  ['StringNotLike', def('string', 'like', true)],
  ...ORDERED('numeric', 'Numeric'),
  ...ORDERED('date', 'Date'),
  ['Bool', def('bool', 'eq')],
  ['BinaryEquals', def('binary', 'eq')],
  ['IpAddress', def('ip', 'eq')],
  ['NotIpAddress', def('ip', 'eq', true)],
  ['ArnEquals', def('arn', 'like')],
  ['ArnLike', def('arn', 'like')],
  ['ArnNotEquals', def('arn', 'like', true)],
  ['ArnNotLike', def('arn', 'like', true)],
  ['Null', def('null', 'eq')],
]);

export interface ConditionClause {
  /** As written, e.g. `ForAnyValue:StringNotEqualsIfExists`. */
  operator: string;
  /** The operator without qualifier and IfExists, e.g. `StringNotEquals`. */
  base: string;
  qualifier?: 'ForAnyValue' | 'ForAllValues';
  ifExists: boolean;
  negated: boolean;
  family: Family;
  compare: Compare;
  /** The key as written (for messages); looked up lower-cased. */
  key: string;
  values: string[];
}

function parseOperator(name: string, path: string): Omit<ConditionClause, 'key' | 'values'> {
  const m = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/.exec(name);
  const base = m?.[2] ?? '';
  const found = OPERATORS.get(base);
  // "You can add IfExists to the end of any condition operator name except the Null condition".
  if (!m || !found || (m[3] && base === 'Null')) throw new PolicyParseError(path, `unknown condition operator ${name}`);
  const qualifier = m[1] as ConditionClause['qualifier'];
  return { operator: name, base, ifExists: Boolean(m[3]), ...found, ...(qualifier ? { qualifier } : {}) };
}

const scalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function parseValues(raw: unknown, path: string): string[] {
  const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  if (list.length === 0 || !list.every(scalar)) {
    throw new PolicyParseError(path, 'value must be a string or a non-empty list of strings');
  }
  return list.map(String);
}

const isDate = (v: string): boolean => /^\d+$/.test(v) || !Number.isNaN(Date.parse(v));

function checkValues(op: Omit<ConditionClause, 'key' | 'values'>, values: string[], path: string): void {
  const bad = values.find((v) => {
    if (op.family === 'ip') return parseCidr(v) === undefined;
    if (op.family === 'numeric') return v.trim() === '' || !Number.isFinite(Number(v));
    if (op.family === 'date') return !isDate(v);
    if (op.family === 'null') return !/^(true|false)$/i.test(v);
    return false;
  });
  if (bad !== undefined) throw new PolicyParseError(path, `${JSON.stringify(bad)} is not a valid ${op.family} value`);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Condition element: `{ operator: { key: value | [values] } }`. */
export function parseCondition(raw: unknown, path: string): ConditionClause[] {
  if (!isPlainObject(raw)) throw new PolicyParseError(path, 'Condition must be an object of operators');
  const clauses: ConditionClause[] = [];
  for (const [name, block] of Object.entries(raw)) {
    const opPath = `${path}.${name}`;
    const op = parseOperator(name, opPath);
    if (!isPlainObject(block) || Object.keys(block).length === 0) {
      throw new PolicyParseError(opPath, 'must be an object of condition keys to values');
    }
    for (const [key, value] of Object.entries(block)) {
      const keyPath = `${opPath}[${JSON.stringify(key)}]`;
      const values = parseValues(value, keyPath);
      checkValues(op, values, keyPath);
      clauses.push({ ...op, key, values });
    }
  }
  return clauses;
}

// ---- evaluation --------------------------------------------------------------------------------------------------

const toMillis = (v: string): number => (/^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v));

function ordered(compare: Compare, a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  const table: Record<Compare, boolean> = {
    eq: a === b,
    ieq: a === b,
    like: a === b,
    lt: a < b,
    le: a <= b,
    gt: a > b,
    ge: a >= b,
  };
  return table[compare];
}

/** One request value against one policy value, by the operator's family (positive sense). */
function valueMatches(c: ConditionClause, got: string, want: string, variables: boolean, ctx: RequestContext): boolean {
  switch (c.family) {
    case 'string': {
      // Variables only in String and ARN operators (IAM UG reference_policies_variables, Condition element).
      const p = compile(want, { wildcards: c.compare === 'like', variables }, ctx);
      if (!p) return false;
      return c.compare === 'ieq' ? globMatch(lower(p), got.toLowerCase()) : globMatch(p, got);
    }
    case 'arn':
      return arnMatch(want, got, variables, ctx);
    case 'ip':
      return ipValueMatches(got, parseCidr(want)!);
    case 'bool':
      return got.toLowerCase() === want.toLowerCase();
    case 'binary':
      return got === want;
    case 'numeric':
      return ordered(c.compare, Number(got), Number(want));
    case 'date':
      return ordered(c.compare, toMillis(got), toMillis(want));
    case 'null':
      return false; // handled in clauseHolds
  }
}

/**
 * Does one clause hold for the request? Missing keys (IAM UG condition operators, AWS-FACTS 4.2b): a positive operator
 * is false, a negated one true, `...IfExists` true, `Null` tests presence. Set qualifiers (multi-value conditions):
 * with no value in the request ForAllValues is true and ForAnyValue false; with values, ForAllValues needs every value
 * to match, ForAnyValue one, which for single-valued keys is the plain operator.
 */
export function clauseHolds(c: ConditionClause, ctx: RequestContext, variables: boolean): boolean {
  const got = ctx.get(c.key.toLowerCase());
  if (c.family === 'null') return c.values.some((v) => (v.toLowerCase() === 'true') === (got === undefined));
  if (got === undefined || got.length === 0) {
    if (c.qualifier === 'ForAllValues') return true;
    if (c.qualifier === 'ForAnyValue') return false;
    return c.ifExists || c.negated;
  }
  const one = (g: string): boolean => {
    const any = c.values.some((w) => valueMatches(c, g, w, variables, ctx));
    return c.negated ? !any : any;
  };
  return c.qualifier === 'ForAllValues' ? got.every(one) : got.some(one);
}

/** `StringNotEquals aws:SourceVpce vpce-1a2b3c4d` */
export const describeClause = (c: ConditionClause): string => `${c.operator} ${c.key} ${c.values.join(' or ')}`;

/** What the request has for the clause's key, e.g. `no aws:SourceVpce`, `aws:SourceIp 198.51.100.7`. */
export function describeRequestValue(c: ConditionClause, ctx: RequestContext): string {
  const got = ctx.get(c.key.toLowerCase());
  if (!got || got.length === 0) return `no ${c.key}`;
  if (got[0] === UNKNOWN_PUBLIC_ADDRESS) return `${c.key} a public address`;
  return `${c.key} ${got.join(', ')}`;
}
