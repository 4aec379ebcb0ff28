// A readable diff of two bucket policies, statement by statement: statements are matched by Sid (or, without one, by
// their whole content), so a reordered policy is no change and an edited statement shows before and after.

export interface PolicyDiff {
  added: string[];
  removed: string[];
  changed: { sid: string; before: string; after: string }[];
  /** `+`/`-`/`~` lines, one per statement, for messages and alerts. */
  text: string;
}

/** JSON with object keys sorted, so that equal policies print equally whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function statements(policy: unknown): Map<string, string> {
  const st = (policy as { Statement?: unknown } | null | undefined)?.Statement;
  const list: unknown[] = st === undefined ? [] : Array.isArray(st) ? st : [st];
  const byKey = new Map<string, string>();
  for (const s of list) {
    const text = canonical(s);
    const sid = (s as { Sid?: unknown } | null)?.Sid;
    byKey.set(typeof sid === 'string' && sid !== '' ? `Sid ${sid}` : text, text);
  }
  return byKey;
}

/** What changed from `before` to `after` (either may be undefined: no policy); undefined when nothing did. */
export function policyDiff(before: unknown, after: unknown): PolicyDiff | undefined {
  if (canonical(before) === canonical(after)) return undefined;
  const a = statements(before);
  const b = statements(after);
  const added = [...b].filter(([k]) => !a.has(k)).map(([, v]) => v);
  const removed = [...a].filter(([k]) => !b.has(k)).map(([, v]) => v);
  const changed = [...b].flatMap(([k, v]) => {
    const old = a.get(k);
    return old !== undefined && old !== v ? [{ sid: k.replace(/^Sid /, ''), before: old, after: v }] : [];
  });
  const lines = [
    ...(before === undefined ? ['+ (a policy where there was none)'] : []),
    ...(after === undefined ? ['- (the policy was deleted)'] : []),
    ...added.map((s) => `+ ${s}`),
    ...removed.map((s) => `- ${s}`),
    ...changed.map((c) => `~ ${c.sid}: ${c.before} -> ${c.after}`),
  ];
  // Only the policy's other elements (Version, Id) changed.
  if (lines.length === 0) lines.push(`~ ${canonical(before)} -> ${canonical(after)}`);
  return { added, removed, changed, text: lines.join('\n') };
}
