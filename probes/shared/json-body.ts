// Parsing a body a remote host sent: why it is not JSON, in words that never quote it. V8's own SyntaxError messages
// quote the start of the text, and whoever controls the host chooses that text (an instance metadata answer, a token).
// JSON between systems is UTF-8 (RFC 8259 8.1): a body that is not is refused rather than decoded with replacement
// characters. Values a document holds reach findings only through `preview` and `clip`, bounded in size and safe
// against nesting no recursive walk survives (V8 parses 10,000 levels; String() and JSON.stringify do not).

/** V8's messages that name only the grammar and a position. */
const AT_POSITION = /^(.{1,80}?) (?:in|after) JSON at position \d+ \(line (\d+) column (\d+)\)$/;

/** A JSON.parse error as words and a position, without the text that was parsed. */
export function jsonSyntaxReason(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  const at = AT_POSITION.exec(message);
  if (at) return `${at[1]} at line ${at[2]}, column ${at[3]}`;
  if (message === 'Unexpected end of JSON input') return 'it ends before the JSON does';
  if (message.startsWith('Unexpected token')) return 'it does not start as JSON';
  return 'not valid JSON';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Lead byte: length and the range its first continuation byte must fall in (no overlongs, no surrogates).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** The JSON value of a body, or why it is not JSON (jsonSyntaxReason), or why it is not UTF-8. */
export function parseJsonBody(body: Buffer | string): { value: unknown } | { problem: string } {
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    try {
      text = strictUtf8.decode(body);
    } catch {
      const at = invalidUtf8Offset(body);
      const byte = (body[at] ?? 0).toString(16).toUpperCase().padStart(2, '0');
      return { problem: `it is not valid UTF-8 (byte 0x${byte} at offset ${at})` };
    }
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { problem: jsonSyntaxReason(err) };
  }
}

/** What kind of JSON value this is, in words: object, array, string, number, boolean, null. */
export const jsonKind = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON object in a body, or why there is none ("is not JSON (…)", "is JSON but not an object (array)"). */
export function parseJsonObject(body: Buffer): { value: Record<string, unknown> } | { problem: string } {
  const parsed = parseJsonBody(body);
  if ('problem' in parsed) return { problem: `is not JSON (${parsed.problem})` };
  const { value } = parsed;
  return isObject(value) ? { value } : { problem: `is JSON but not an object (${jsonKind(value)})` };
}

/** Longest text a document may put in a finding's message, subject or evidence. */
export const MAX_QUOTED = 200;

/** `text`, cut to `max` characters with a note of how much was left out. */
export function clip(text: string, max = MAX_QUOTED): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** Nesting deeper than this is not rendered: a document can nest 500,000 levels in 1 MiB. */
const MAX_PREVIEW_DEPTH = 8;

/**
 * A JSON rendering of a value taken from a document, for a message: bounded in length, and in depth without recursing
 * into what it does not show (deeper levels become "…").
 */
export function preview(value: unknown, max = MAX_QUOTED): string {
  let out = '';
  const walk = (v: unknown, depth: number): void => {
    if (out.length > max) return;
    if (Array.isArray(v)) {
      if (depth >= MAX_PREVIEW_DEPTH) return void (out += '[…]');
      out += '[';
      for (let i = 0; i < v.length && out.length <= max; i++) {
        if (i > 0) out += ',';
        walk(v[i], depth + 1);
      }
      out += ']';
    } else if (isObject(v)) {
      if (depth >= MAX_PREVIEW_DEPTH) return void (out += '{…}');
      out += '{';
      let first = true;
      for (const key in v) {
        if (out.length > max) break;
        out += `${first ? '' : ','}${JSON.stringify(clip(key, max))}:`;
        first = false;
        walk(v[key], depth + 1);
      }
      out += '}';
    } else out += typeof v === 'string' ? JSON.stringify(clip(v, max)) : String(JSON.stringify(v) ?? v);
  };
  walk(value, 0);
  return out.length <= max ? out : `${out.slice(0, max)}…`;
}
