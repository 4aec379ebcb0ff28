// The page's two static assets, /assets/page.css (the file next to this one) and /assets/page.js (script.ts), with
// their ETags. Pages link them with `?v=<hash>` so a new version is fetched at once after an upgrade.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PAGE_JS } from './script.ts';

export interface Asset {
  body: string;
  contentType: string;
  /** A strong ETag: the quoted start of the body's SHA-256. */
  etag: string;
  /** The same hash, for the `?v=` of the links. */
  version: string;
}

function asset(body: string, contentType: string): Asset {
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { body, contentType, etag: `"${version}"`, version };
}

export const ASSETS = {
  'page.css': asset(readFileSync(new URL('./page.css', import.meta.url), 'utf8'), 'text/css; charset=utf-8'),
  'page.js': asset(PAGE_JS, 'text/javascript; charset=utf-8'),
} as const;

export type AssetName = keyof typeof ASSETS;
