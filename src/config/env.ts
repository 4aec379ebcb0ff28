// ${ENV} substitution in a parsed YAML document, before validation, in scalar string values only (never in keys).
//   ${NAME}            the variable's value; an error when it is not set
//   ${NAME:-default}   the default when the variable is unset or empty
//   $${                a literal "${"
// A plain (unquoted) scalar that is exactly one reference takes the type its value reads as, so `port: ${PORT}`
// gives a number for PORT=8080; only integers and true/false are converted, anything else stays a string.
// Quote the reference ('${PORT}') to keep a string.
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document } from 'yaml';

export interface EnvIssue {
  path: PropertyKey[];
  message: string;
}

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

type Env = Record<string, string | undefined>;

function substitute(text: string, env: Env, problems: string[]): string {
  return text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined) {
      problems.push('malformed reference: write ${NAME}, ${NAME:-default}, or $${ for a literal ${');
      return match;
    }
    const value = env[name];
    if (fallback !== undefined) return value ? value : fallback;
    if (value === undefined) {
      problems.push(`environment variable ${name} is not set (write \${${name}:-default} to give a default)`);
      return match;
    }
    return value;
  });
}

function retype(value: string): string | number | boolean {
  if (/^-?(?:0|[1-9]\d{0,14})$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}

/** Replace references in every scalar string of the document, in place; returns the problems found. */
export function substituteEnv(doc: Document, env: Env): EnvIssue[] {
  const issues: EnvIssue[] = [];
  const walk = (node: unknown, path: PropertyKey[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key: unknown = isScalar(pair.key) ? pair.key.value : pair.key;
        walk(pair.value, [...path, String(key)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const original = node.value;
      const problems: string[] = [];
      const value = substitute(original, env, problems);
      for (const message of problems) issues.push({ path, message });
      node.value = node.type === 'PLAIN' && WHOLE_REFERENCE.test(original) ? retype(value) : value;
    }
  };
  walk(doc.contents, []);
  return issues;
}
