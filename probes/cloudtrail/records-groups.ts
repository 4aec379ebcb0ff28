// Grouping parsed AssumeRoleWithWebIdentity events (cloudtrail-records.ts) for the findings. Pure.
import type { AssumeEvent } from './records-assume.ts';
import { compact } from '../shared/trail/records-common.ts';

export interface AssumeGroup {
  providerArn?: string;
  roleArn?: string;
  subject?: string;
  errorCode?: string;
  count: number;
  newest: string;
  oldest: string;
  /** The errorMessage of the newest failure that has one. */
  sampleMessage?: string;
}

const later = (a: string, b: string): boolean => Date.parse(a) > Date.parse(b);

function addTo(groups: Map<string, AssumeGroup>, e: AssumeEvent): void {
  const key = JSON.stringify([e.providerArn, e.roleArn, e.subject, e.errorCode].map((v) => v ?? null));
  const group = groups.get(key);
  if (group === undefined) {
    const { providerArn, roleArn, subject, errorCode, time, errorMessage: sampleMessage } = e;
    groups.set(
      key,
      compact({ providerArn, roleArn, subject, errorCode, count: 1, newest: time, oldest: time, sampleMessage }),
    );
    return;
  }
  group.count += 1;
  if (later(e.time, group.newest)) {
    group.newest = e.time;
    if (e.errorMessage !== undefined) group.sampleMessage = e.errorMessage;
  }
  if (later(group.oldest, e.time)) group.oldest = e.time;
}

const byNewest = (groups: Map<string, AssumeGroup>): AssumeGroup[] =>
  [...groups.values()].sort((a, b) => Date.parse(b.newest) - Date.parse(a.newest) || b.count - a.count);

/** Failures grouped by (providerArn, roleArn, subject, errorCode), successes by (providerArn, roleArn, subject); each
 * with its count and newest and oldest time, newest group first. An eventId seen twice counts once. */
export function groupAssumeEvents(events: AssumeEvent[]): { failures: AssumeGroup[]; successes: AssumeGroup[] } {
  const failures = new Map<string, AssumeGroup>();
  const successes = new Map<string, AssumeGroup>();
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    addTo(e.errorCode === undefined ? successes : failures, e);
  }
  return { failures: byNewest(failures), successes: byNewest(successes) };
}
