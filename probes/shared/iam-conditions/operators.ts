// The grammar of IAM policy Condition blocks as the probes read them (bucket and trust policies): every condition
// operator, its qualifiers and IfExists, and the values each accepts (IAM UG reference_policies_elements_condition, _condition_operators,
// _multi-value-conditions; docs/aws-facts.md 4.2b). Pure code: no I/O, and nothing shared with the lab's evaluator (src/lab/).
import { parseCidr } from './patterns.ts';

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

// ---- operators ---------------------------------------------------------------------------------------------------

export type Family = 'string' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';
export type Compare = 'eq' | 'ieq' | 'like' | 'lt' | 'le' | 'gt' | 'ge';
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
