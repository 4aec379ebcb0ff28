// The probes' own evaluation of IAM policy Condition clauses (the bucket probe's policy evaluator and the roles
// probe's trust-policy check both use it): missing keys, IfExists, set qualifiers and each operator family's
// comparison, written from the IAM User Guide (reference_policies_elements_condition, _condition_operators,
// _multi-value-conditions, _variables) and docs/aws-facts.md 4.2b. Clauses are parsed in operators.ts and values matched in
// patterns.ts; both are re-exported from here.
// Pure code: no I/O, and nothing shared with the lab's evaluator (src/lab/), on purpose.
import type { Compare, ConditionClause } from './operators.ts';
import {
  UNKNOWN_PUBLIC_ADDRESS,
  UNKNOWN_USER_AGENT,
  arnMatch,
  compile,
  globMatch,
  ipValueMatches,
  lower,
  parseCidr,
} from './patterns.ts';
import type { RequestContext } from './patterns.ts';

export { PolicyParseError, parseCondition } from './operators.ts';
export type { ConditionClause } from './operators.ts';
export {
  UNKNOWN_PUBLIC_ADDRESS,
  UNKNOWN_USER_AGENT,
  arnMatch,
  compile,
  globMatch,
  hasWildcardOrVariable,
  literal,
  parseCidr,
  wildcard,
} from './patterns.ts';
export type { Cidr, Pattern, RequestContext } from './patterns.ts';

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
 * Does one clause hold for the request? Missing keys (IAM UG condition operators, docs/aws-facts.md 4.2b): a positive operator
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
  if (got[0] === UNKNOWN_USER_AGENT) return `${c.key} of its own`;
  return `${c.key} ${got.join(', ')}`;
}
