// The lab control API's bearer token: random at every start, written owner-only beside ca.pem for local tools, and
// checked in constant time. The control API hands out every lab user's secret key, so no other local process may
// read it without the token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONTROL_TOKEN_FILE = 'control-token';

export const newControlToken = (): string => randomBytes(32).toString('base64url');

/** Write `<dataDir>/control-token` (mode 0600, no newline) afresh: an existing file would keep its old mode. */
export function writeControlToken(dataDir: string, token: string): string {
  const file = join(dataDir, CONTROL_TOKEN_FILE);
  rmSync(file, { force: true });
  writeFileSync(file, token, { mode: 0o600, flag: 'wx' });
  return file;
}

export type TokenCheck = { ok: true } | { ok: false; code: 'MissingToken' | 'InvalidToken'; message: string };

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Does the Authorization header carry `Bearer <expected>`? Never echoes what it was given. */
export function checkBearer(header: string | string[] | undefined, expected: string): TokenCheck {
  const where = `the lab-ready line (controlToken) or <data-dir>/${CONTROL_TOKEN_FILE}; it changes at every start`;
  if (typeof header !== 'string' || header.trim() === '') {
    return {
      ok: false,
      code: 'MissingToken',
      message: `the lab control API needs "Authorization: Bearer <token>": the token is in ${where}`,
    };
  }
  const m = /^Bearer +(\S+)\s*$/i.exec(header);
  // Equal-length digests, so the comparison takes the same time whatever was sent.
  if (!m || !timingSafeEqual(digest(m[1] as string), digest(expected))) {
    return {
      ok: false,
      code: 'InvalidToken',
      message: `the Authorization header is not "Bearer <this lab's control token>": read it from ${where}`,
    };
  }
  return { ok: true };
}
