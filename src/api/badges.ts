// Health badges: an SVG in the shields.io style (badge-maker, the library shields.io itself renders with) and the
// shields.io endpoint JSON (https://shields.io/badges/endpoint-badge: schemaVersion 1, label, message, color), for a
// cluster or the fleet.
import { makeBadge } from 'badge-maker';
import type { Status } from '../core/model.ts';
import type { Body } from './fleet-view.ts';
import { etagOf } from './fleet-view.ts';

const COLOR: Record<Status | 'stale', string> = {
  ok: 'brightgreen',
  warn: 'yellow',
  unknown: 'lightgrey',
  fail: 'red',
  stale: 'lightgrey',
};
const MESSAGE: Record<Status, string> = { ok: 'healthy', warn: 'degraded', unknown: 'unknown', fail: 'failing' };

export interface BadgeSpec {
  label: string;
  status: Status;
}

const cache = new Map<string, { svg: Body; json: Body }>();

/** The SVG and the endpoint JSON of a badge, serialised once per (label, status). */
export function badge({ label, status }: BadgeSpec): { svg: Body; json: Body } {
  const key = `${label}\u0000${status}`;
  let made = cache.get(key);
  if (made === undefined) {
    const svg = Buffer.from(makeBadge({ label, message: MESSAGE[status], color: COLOR[status], style: 'flat' }));
    const json = Buffer.from(
      JSON.stringify({ schemaVersion: 1, label, message: MESSAGE[status], color: COLOR[status], cacheSeconds: 30 }),
    );
    made = { svg: { json: svg, etag: etagOf(svg) }, json: { json, etag: etagOf(json) } };
    if (cache.size > 10_000) cache.clear();
    cache.set(key, made);
  }
  return made;
}
