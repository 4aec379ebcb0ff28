// The probes' own matching of IAM policy values: wildcards, policy variables, ARNs and CIDR ranges, written
// from the IAM User Guide (reference_policies_elements_condition_operators, _variables, Resource) and docs/aws-facts.md 4.2b.
// Pure code: no I/O, and nothing shared with the lab's evaluator (src/lab/), on purpose.
import { BlockList, isIP } from 'node:net';

/**
 * The request context: lower-cased key names (IAM: "Condition key names are not case-sensitive") to their values.
 * A key that is not in the map is absent from the request.
 */
export type RequestContext = ReadonlyMap<string, readonly string[]>;

/** aws:SourceIp of a caller whose public address is not known (and not yours): see ipValueMatches. */
export const UNKNOWN_PUBLIC_ADDRESS = 'unknown-public-address';

/** aws:UserAgent of a caller whose client is not known (STS fetching the issuer documents): see contextOf. */
export const UNKNOWN_USER_AGENT = 'unknown-user-agent';

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

export const lower = (p: Pattern): Pattern => p.map((c) => (typeof c === 'string' ? c.toLowerCase() : c));

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

// IPv4 and IPv6 ranges are separate: a policy lists both "if you need to restrict access from networks that support both
// IPv4 and IPv6 addressing" (IAM UG aws:SourceIp), so ::/0 does not hold 203.0.113.9 (node's BlockList would match it
// as the IPv4-mapped ::ffff:203.0.113.9).
function inCidr(ip: string, cidr: Cidr): boolean {
  const version = isIP(ip);
  if (version === 0 || (version === 4) !== (cidr.family === 'ipv4')) return false;
  const list = new BlockList();
  list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
}

/**
 * An unknown public address is inside a range only if the range is every IPv4 address (0.0.0.0/0). It is an IPv4
 * address: "To make a request to an S3 bucket over IPv6, you need to use a dual-stack endpoint" (S3 UG, Making requests
 * over IPv6), and issuers are the bucket's standard endpoint (ccoctl: https://<bucket>.s3.<region>.amazonaws.com) or
 * CloudFront, whose S3 origin is that endpoint too. So ::/0 does not hold it.
 */
export const ipValueMatches = (ip: string, cidr: Cidr): boolean =>
  ip === UNKNOWN_PUBLIC_ADDRESS ? cidr.prefix === 0 && cidr.family === 'ipv4' : inCidr(ip, cidr);
