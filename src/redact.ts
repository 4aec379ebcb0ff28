// Redaction: secret-looking text is replaced by a marker naming its kind, `[REDACTED:jwt]`. One module, used by the
// store (before a result is written), the logger (every line), the API (every response) and `check` (its output), so
// a token that reached a message or evidence, from a hostile document or an error, never leaves the agent, while the
// result around it is kept with its true status. Imports nothing.
//
// Every pattern works on plain text and on JSON text alike (a JSON line, a response body), and none crosses an
// unescaped double quote: redacting a JSON text leaves it valid JSON of the same structure.

export const SECRET_KINDS = [
  /** A JWT or a piece of one (a service-account token, an ID token): base64url `eyJ…` segments. */
  'jwt',
  /** An OpenShift OAuth access token, `sha256~…`. */
  'kube-token',
  /** A PEM private key block (or its start), or the base64 of one (a kubeconfig's client-key-data). */
  'private-key',
  /** An AWS secret access key, recognised by its field: JSON, XML, a credentials file. */
  'aws-secret-key',
  /** An AWS session token, recognised by its field. */
  'aws-session-token',
  /** The credential of an `Authorization: Bearer …` header. */
  'bearer',
  /** A secret the configuration declares (a sink URL, a routing key, an HMAC secret, an API token): registerSecrets. */
  'configured-secret',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

export const redactedMarker = (kind: SecretKind): string => `[REDACTED:${kind}]`;

/** Every pattern below contains one of these; text without any is returned as is, untouched and unscanned. */
const CANDIDATE =
  /eyJ|sha256~|PRIVATE KEY|LS0tLS1CRUdJTi|SecretAccessKey|SessionToken|secret_access_key|session_token|client-key-data|bearer\s/i;

// One alternation, one pass; the named group that matched says the kind. The first alternative matching at a
// position wins, so a field (which starts at its name) is redacted as that field, whatever its value looks like.
const FIELD_SECRET = 'SecretAccessKey|secretAccessKey|aws_secret_access_key|AWS_SECRET_ACCESS_KEY';
const FIELD_TOKEN = 'SessionToken|sessionToken|aws_session_token|AWS_SESSION_TOKEN';
const PATTERNS = [
  // "SecretAccessKey": "…" in JSON (and \"…\" in JSON inside a JSON string).
  String.raw`(?<jsonField>\\*"(?:${FIELD_SECRET}|${FIELD_TOKEN}|client-key-data)\\*"\s*:\s*\\*")(?<jsonValue>[^"\\]*)`,
  // <SecretAccessKey>…</SecretAccessKey> in an STS reply, closed or cut off.
  String.raw`(?<xmlField><(?:SecretAccessKey|SessionToken)>)(?<xmlValue>[^<"\\]*)`,
  // aws_secret_access_key = … (credentials file), secretAccessKey: … (YAML), client-key-data: … (kubeconfig).
  String.raw`(?<textField>(?:${FIELD_SECRET}|${FIELD_TOKEN}|client-key-data)[ \t]*[:=][ \t]*)(?<textValue>[^\s"'\\,;}<]+)`,
  // A PEM private key: the BEGIN line, the body (raw or with JSON-escaped newlines), the END line if present.
  String.raw`(?<pem>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[A-Za-z0-9+/=\s:,]|\\+[nrt]|-(?!----))*(?:-----END [A-Z0-9 ]*PRIVATE KEY-----)?)`,
  // The base64 of a PEM block ("-----BEGIN" is LS0tLS1CRUdJTi…); only a private key's is redacted (see below).
  String.raw`(?<pem64>LS0tLS1CRUdJTi[A-Za-z0-9+/=]+)`,
  String.raw`(?<jwt>eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2})`,
  String.raw`(?<kube>sha256~[A-Za-z0-9_-]{4,})`,
  String.raw`(?<bearer>[Bb]earer[ \t]+)(?<bearerValue>[A-Za-z0-9._~+/-]+=*)`,
];
const SECRET = new RegExp(PATTERNS.join('|'), 'g');

interface Groups {
  jsonField?: string;
  xmlField?: string;
  textField?: string;
  jsonValue?: string;
  xmlValue?: string;
  textValue?: string;
  pem?: string;
  pem64?: string;
  jwt?: string;
  kube?: string;
  bearer?: string;
}

const fieldKind = (field: string): SecretKind =>
  /token/i.test(field) ? 'aws-session-token' : /client-key/.test(field) ? 'private-key' : 'aws-secret-key';

/** Whether base64 text decodes to the start of a PEM private key (not a certificate or a public key). */
const isPrivateKeyPem = (b64: string): boolean =>
  /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(Buffer.from(b64.slice(0, 64), 'base64').toString('latin1'));

export interface Redaction {
  text: string;
  /** How many secrets were replaced, by kind; empty when none. */
  kinds: Partial<Record<SecretKind, number>>;
}

/** Secrets the configuration declares, longest first (so a URL goes before a token inside it). */
let registered: string[] = [];
/** Shorter values are too likely to occur in ordinary text to be replaced everywhere. */
const MIN_REGISTERED_LENGTH = 8;

/**
 * Declare literal secrets (sink URLs, routing keys, HMAC secrets, API tokens) to be replaced wherever they occur, in
 * every output this module guards (logs, API responses, the store). Values shorter than 8 characters are ignored.
 */
export function registerSecrets(values: Iterable<string>): void {
  const all = new Set(registered);
  for (const v of values) if (typeof v === 'string' && v.length >= MIN_REGISTERED_LENGTH) all.add(v);
  registered = [...all].sort((a, b) => b.length - a.length);
}

function replaceRegistered(text: string, count: (kind: SecretKind) => string): string {
  let out = text;
  for (const secret of registered) if (out.includes(secret)) out = out.split(secret).join(count('configured-secret'));
  return out;
}

/** `text` with every secret-looking piece replaced by its marker, and what was replaced. */
export function redactWithReport(text: string): Redaction {
  const kinds: Partial<Record<SecretKind, number>> = {};
  const count = (kind: SecretKind): string => {
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    return redactedMarker(kind);
  };
  const plain = registered.length === 0 ? text : replaceRegistered(text, count);
  if (!CANDIDATE.test(plain)) return { text: plain, kinds };
  const out = plain.replace(SECRET, (match: string, ...args: unknown[]) => {
    const g = args.at(-1) as Groups;
    const field = g.jsonField ?? g.xmlField ?? g.textField;
    if (field !== undefined) {
      const value = g.jsonValue ?? g.xmlValue ?? g.textValue ?? '';
      return value === '' || value.startsWith('[REDACTED:') ? match : field + count(fieldKind(field));
    }
    if (g.pem !== undefined) return count('private-key');
    if (g.pem64 !== undefined) return isPrivateKeyPem(g.pem64) ? count('private-key') : match;
    if (g.jwt !== undefined) return count('jwt');
    if (g.kube !== undefined) return count('kube-token');
    if (g.bearer !== undefined) return g.bearer + count('bearer');
    return match;
  });
  return { text: out, kinds };
}

/** `text` with every secret-looking piece replaced by its marker. */
export const redactText = (text: string): string => redactWithReport(text).text;

/** Fields whose value is a secret whatever it looks like. */
const SECRET_FIELDS: Record<string, SecretKind> = {
  SecretAccessKey: 'aws-secret-key',
  secretAccessKey: 'aws-secret-key',
  aws_secret_access_key: 'aws-secret-key',
  SessionToken: 'aws-session-token',
  sessionToken: 'aws-session-token',
  aws_session_token: 'aws-session-token',
  'client-key-data': 'private-key',
};

/**
 * A JSON value (plain objects, arrays, strings, numbers, booleans, null) with every string redacted and the value of
 * every secret field (SecretAccessKey, SessionToken, …) replaced by its marker; the input is not changed. `kinds`
 * counts what was replaced.
 */
export function redactValue<T>(value: T): { value: T; kinds: Partial<Record<SecretKind, number>> } {
  const kinds: Partial<Record<SecretKind, number>> = {};
  const add = (more: Partial<Record<SecretKind, number>>): void => {
    for (const [kind, n] of Object.entries(more) as [SecretKind, number][]) kinds[kind] = (kinds[kind] ?? 0) + n;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = redactWithReport(v);
      add(r.kinds);
      return r.text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(v)) {
      const kind = Object.hasOwn(SECRET_FIELDS, key) ? SECRET_FIELDS[key] : undefined;
      if (kind !== undefined && item !== undefined && item !== null && item !== '') {
        add({ [kind]: 1 });
        out[key] = redactedMarker(kind);
      } else out[key] = walk(item);
    }
    return out;
  };
  return { value: walk(value) as T, kinds };
}

/** The total of a redaction's counts. */
export const redactionCount = (kinds: Partial<Record<SecretKind, number>>): number =>
  Object.values(kinds).reduce((sum, n) => sum + n, 0);
