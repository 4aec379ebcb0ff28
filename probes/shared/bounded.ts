// Findings built from what a remote host sent are bounded before they leave a probe: a 10 KB kid, a 1 MiB jwks_uri or
// a JWKS of a thousand keys must not become a result of megabytes that the store keeps, the API serves and the page
// renders. Values are cut where they are quoted (json-body.ts `clip`, `preview`); this is the backstop for the whole
// finding: message, subject and every string and string list of its evidence.
import type { Finding } from '../../src/core/model.ts';
import { clip, MAX_QUOTED } from './json-body.ts';

export const FINDING_LIMITS = {
  message: 4096,
  subject: 512,
  /** Each string of the evidence. */
  evidenceString: 1024,
  /** Entries kept of a list of the evidence (kids, client IDs); the rest are counted in a last entry. */
  evidenceList: 20,
  /** Each string in such a list. */
  evidenceListString: MAX_QUOTED,
} as const;

function boundValue(value: unknown, depth: number, inList = false): unknown {
  if (typeof value === 'string')
    return clip(value, inList ? FINDING_LIMITS.evidenceListString : FINDING_LIMITS.evidenceString);
  if (depth > 3 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const kept = value.slice(0, FINDING_LIMITS.evidenceList).map((v) => boundValue(v, depth + 1, true));
    const more = value.length - kept.length;
    if (more > 0 && kept.every((v) => typeof v === 'string')) kept.push(`… and ${more} more`);
    return kept;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, boundValue(v, depth + 1)]));
}

/** The finding with its message, subject and evidence cut to FINDING_LIMITS. */
export function boundFinding(f: Finding): Finding {
  return {
    ...f,
    message: clip(f.message, FINDING_LIMITS.message),
    ...(f.subject !== undefined && { subject: clip(f.subject, FINDING_LIMITS.subject) }),
    ...(f.evidence !== undefined && { evidence: boundValue(f.evidence, 0) as Record<string, unknown> }),
  };
}
