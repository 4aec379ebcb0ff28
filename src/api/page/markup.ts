// HTML by tagged template with escaping by default: every interpolated value is text (cluster names, finding
// messages and evidence are untrusted: a discovery document's text can reach a finding message) unless it is
// already Html made by this module. Attributes must be double-quoted in the templates; the escaping covers both
// text and double- or single-quoted attribute values. The tag is `markup`, not `html`: prettier formats a template
// tagged `html` as an HTML document, which changes the whitespace the page shows (pre-line text, <pre>).

/** Markup known to be safe: made by `markup` from escaped parts. */
export class Html {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};
const SPECIAL = /[&<>"'`]/g;
const ANY_SPECIAL = /[&<>"'`]/;
// C0 controls (but tab, newline, carriage return) and DEL, lone surrogates: never valid in HTML text.
const INVALID_SOURCE =
  '[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const INVALID = new RegExp(INVALID_SOURCE, 'g');
/** Cheap first test: any control character or surrogate at all (paired surrogates are then kept by INVALID). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const SUSPECT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ud800-\udfff]/;

/** Text as HTML text or attribute value: `& < > " ' \`` as entities, control characters and lone surrogates as U+FFFD. */
export function escapeHtml(text: string): string {
  // Most text (names, codes, times) has nothing to replace: test first, it is much cheaper than replacing.
  const clean = SUSPECT.test(text) ? text.replace(INVALID, '\ufffd') : text;
  return ANY_SPECIAL.test(clean) ? clean.replace(SPECIAL, (c) => ENTITIES[c] ?? c) : clean;
}

/** A value interpolated into a template: Html as is, lists joined, nothing for null/undefined/false, else text. */
function piece(value: unknown): string {
  if (value instanceof Html) return value.toString();
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(piece).join('');
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return escapeHtml(JSON.stringify(value) ?? '');
}

/** The template's literal parts as written; every value escaped as text unless it is Html. */
export function markup(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Markup that is trusted as written (constant strings of this module's callers only, never data). */
export const trusted = (markup: string): Html => new Html(markup);

/** Html parts joined (lists of rows). */
export const join = (parts: readonly Html[], separator = ''): Html =>
  new Html(parts.map((p) => p.toString()).join(separator));

/**
 * A URL path segment for links built from data (a cluster name): percent-encoded so it cannot leave the path,
 * start a scheme (`javascript:`) or a query. The result is then escaped as an attribute value by `markup`.
 */
export const pathSegment = (text: string): string => encodeURIComponent(text);

/** A query string from pairs (repeated keys kept, in order), '' for none; escaped by `markup` where used. */
export function queryString(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return '';
  return `?${new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v])).toString()}`;
}
