// Parsing a body a remote host sent: why it is not JSON, in words that never quote it. V8's own SyntaxError messages
// quote the start of the text, and whoever controls the host chooses that text (an instance metadata answer, a token).

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

/** The JSON value of a body, or why it is not JSON (jsonSyntaxReason). */
export function parseJsonBody(body: Buffer | string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as unknown };
  } catch (err) {
    return { problem: jsonSyntaxReason(err) };
  }
}
