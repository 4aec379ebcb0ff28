// The cloudtrail probe: from the account-region scans shared by every cluster of the account (ctx.aws.trail), the
// cluster's recent AssumeRoleWithWebIdentity failures and successes, and who changed its OIDC bucket's policy or
// Block Public Access (or the account's). Throttling and missing permission are `unknown`, never `fail`.
import { declared } from '../../src/core/probe.ts';
import { cloudtrailProbe as declaration } from './index.ts';
import type { Event } from '@aws-sdk/client-cloudtrail';
import type { AwsClients } from '../../src/clients/aws.ts';
import { TRAIL_SCAN_BUDGET_MS, TrailError } from '../../src/clients/trail.ts';
import type { TrailQuery, TrailWindow } from '../../src/clients/trail.ts';
import type { ClusterConfig } from '../../src/core/cluster.ts';
import type { CloudTrailProbeSettings } from './settings.ts';
import { finding } from './findings.ts';
import type { Finding } from '../../src/core/model.ts';
import type { Probe } from '../../src/core/probe.ts';
import { providerUrlOf } from '../shared/issuer-urls.ts';
import { CHANGE_EVENT_NAMES, changeQuery } from '../shared/trail/changes.ts';
import { judgePolicy } from './judge.ts';
import { changeFinding, failureFindings, roleActivity, scanFinding } from './report.ts';
import { parseLookupEvent } from './records.ts';
import type { AssumeEvent, BucketChangeEvent, TrailEvent } from './records.ts';

/** A record that does not parse is not kept (the scan keeps one mapping for every cluster). */
const parsed = (event: Event): TrailEvent | undefined => {
  try {
    return parseLookupEvent(event);
  } catch {
    return undefined;
  }
};

function queries(settings: CloudTrailProbeSettings) {
  const assume: TrailQuery<AssumeEvent> = {
    id: 'AssumeRoleWithWebIdentity',
    // The AssumeEvent shape (records-assume.ts): bump when it changes, so saved items are not reused.
    format: 1,
    lookup: { AttributeKey: 'EventName', AttributeValue: 'AssumeRoleWithWebIdentity' },
    windowMs: settings.windowMinutes * 60_000,
    map: (e) => {
      const p = parsed(e);
      return p?.kind === 'assume' ? p : undefined;
    },
  };
  const changes = CHANGE_EVENT_NAMES.map((name) => changeQuery(name, settings.changeWindowHours * 3_600_000));
  return { assume, changes };
}

/** Regions whose trail can hold the cluster's events: its own, its bucket's, and the extra ones (us-east-1). */
export const regionsOf = (cluster: ClusterConfig, settings: CloudTrailProbeSettings): string[] => [
  ...new Set([cluster.region, ...(cluster.bucket ? [cluster.bucket.region] : []), ...settings.extraRegions]),
];

/** What a change sets: the policy or Block Public Access of a bucket, or the account's Block Public Access. */
const settingOf = (e: BucketChangeEvent): string =>
  e.scope === 'account' ? 'account' : `${e.bucket ?? ''}/${e.eventName.includes('Policy') ? 'policy' : 'bpa'}`;

/**
 * Whether no later change of the same setting undid this one: only a change still in force can warn. CloudTrail's
 * eventTime has one-second precision, so a change in the same second as another is not known to be in force.
 */
const isLatest = (e: BucketChangeEvent, all: BucketChangeEvent[]): boolean =>
  !all.some((o) => o !== e && settingOf(o) === settingOf(e) && o.time >= e.time);

interface Scanned {
  assume: AssumeEvent[];
  changes: BucketChangeEvent[];
  findings: Finding[];
  truncated: string[];
  /** Per truncated region, the oldest part of its window no scan has read yet. */
  unread: { region: string; from: string; to: string }[];
}

async function scanRegions(
  aws: AwsClients,
  regions: string[],
  q: ReturnType<typeof queries>,
  signal: AbortSignal,
): Promise<Scanned> {
  const out: Scanned = { assume: [], changes: [], findings: [], truncated: [], unread: [] };
  const seen = new Set<string>();
  const take = <T>(region: string, w: TrailWindow<T>, into: T[]) => {
    if (w.truncated && !out.truncated.includes(region)) out.truncated.push(region);
    if (w.unread) out.unread.push({ region, from: w.unread.from.toISOString(), to: w.unread.to.toISOString() });
    for (const item of w.items) if (!seen.has(item.eventId) && seen.add(item.eventId)) into.push(item.value);
  };
  await Promise.all(
    regions.map(async (region) => {
      const trail = aws.trail(region);
      try {
        take(region, await trail.window(q.assume, signal), out.assume);
        for (const query of q.changes) take(region, await trail.window(query, signal), out.changes);
      } catch (err) {
        if (!(err instanceof TrailError)) throw err;
        out.findings.push(scanFinding(err, region));
      }
    }),
  );
  return out;
}

export function createCloudTrailProbe(settings: CloudTrailProbeSettings): Probe {
  const q = queries(settings);
  return {
    ...declared(declaration),
    async run(cluster, ctx) {
      const { aws } = ctx;
      if (!aws)
        return { findings: [finding('CLOUDTRAIL_UNAVAILABLE', 'The cluster names no configured AWS account.')] };
      const regions = regionsOf(cluster, settings);
      const scanned = await scanRegions(aws, regions, q, ctx.signal);
      const host = providerUrlOf(cluster.issuer);
      const mine = scanned.assume.filter((e) => e.issuerHost === host);
      const changes = scanned.changes.filter(
        (e) => e.errorCode === undefined && (e.scope === 'account' || e.bucket === cluster.bucket?.name),
      );
      const findings = [
        ...scanned.findings,
        ...failureFindings(mine, settings.failAbove),
        ...changes.map((e) =>
          changeFinding(
            e,
            isLatest(e, changes),
            e.eventName === 'PutBucketPolicy' && e.policy !== undefined
              ? judgePolicy(cluster, aws.accountId, e.policy)
              : undefined,
          ),
        ),
      ];
      if (scanned.truncated.length > 0)
        findings.push(
          finding(
            'CLOUDTRAIL_INCOMPLETE',
            `CloudTrail of ${scanned.truncated.join(', ')} is not read to the start of the window yet: the scans reached their budget (${settings.maxPages} calls or ${TRAIL_SCAN_BUDGET_MS / 1000} s) first; later scans fill the rest.`,
            { evidence: { regions: scanned.truncated, maxPages: settings.maxPages, unread: scanned.unread } },
          ),
        );
      return {
        findings,
        observations: {
          regions,
          windowMinutes: settings.windowMinutes,
          roles: roleActivity(mine),
          changes: changes.length,
        },
      };
    },
  };
}
