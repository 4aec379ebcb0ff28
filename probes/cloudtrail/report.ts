// What the cloudtrail probe reports from the events of one cluster: failure groups, per-role activity, each change
// to its bucket or the account's Block Public Access with who made it, and what a failed scan means.
import type { TrailError } from '../../src/clients/trail.ts';
import { sharedFinding } from '../shared/findings.ts';
import { finding } from './findings.ts';
import type { Finding } from '../../src/core/model.ts';
import type { PolicyJudgement } from './judge.ts';
import { groupAssumeEvents } from './records.ts';
import type { AssumeEvent, BucketChangeEvent } from './records.ts';

/** One ASSUME_FAILURES_RECENT per (role, subject, error code); they fail together once the cluster has more than `failAbove`. */
export function failureFindings(events: AssumeEvent[], failAbove: number): Finding[] {
  const { failures } = groupAssumeEvents(events);
  const total = failures.reduce((n, g) => n + g.count, 0);
  const severity = total > failAbove ? 'fail' : 'warn';
  return failures.map((g) => {
    const role = g.roleArn ?? 'an unknown role';
    const as = g.subject !== undefined ? ` as ${g.subject}` : '';
    return finding(
      'ASSUME_FAILURES_RECENT',
      `${g.count} AssumeRoleWithWebIdentity call(s) for ${role}${as} failed with ${g.errorCode ?? 'an error'}, the newest at ${g.newest}.`,
      {
        severity,
        subject: g.roleArn ?? g.providerArn ?? 'unknown',
        evidence: {
          errorCode: g.errorCode,
          count: g.count,
          newest: g.newest,
          oldest: g.oldest,
          clusterFailures: total,
          ...(g.subject !== undefined && { subject: g.subject }),
          ...(g.sampleMessage !== undefined && { errorMessage: g.sampleMessage }),
        },
      },
    );
  });
}

export interface RoleActivity {
  roleArn: string;
  successes: number;
  failures: number;
  lastSuccess?: string;
  lastFailure?: string;
}

/** Per role: calls that succeeded and failed in the window, and when last, so a role that stopped being used shows. */
export function roleActivity(events: AssumeEvent[]): RoleActivity[] {
  const roles = new Map<string, RoleActivity>();
  for (const e of events) {
    const arn = e.roleArn ?? 'unknown';
    const r = roles.get(arn) ?? { roleArn: arn, successes: 0, failures: 0 };
    roles.set(arn, r);
    const ok = e.errorCode === undefined;
    if (ok) r.successes++;
    else r.failures++;
    const key = ok ? 'lastSuccess' : 'lastFailure';
    if (r[key] === undefined || e.time > r[key]) r[key] = e.time;
  }
  return [...roles.values()].sort((a, b) => a.roleArn.localeCompare(b.roleArn));
}

const WHAT: Record<BucketChangeEvent['eventName'], string> = {
  PutBucketPolicy: 'put a new bucket policy on',
  DeleteBucketPolicy: 'deleted the bucket policy of',
  PutBucketPublicAccessBlock: 'changed Block Public Access of',
  DeleteBucketPublicAccessBlock: 'removed Block Public Access from',
  PutAccountPublicAccessBlock: "changed the account's Block Public Access",
  DeleteAccountPublicAccessBlock: "removed the account's Block Public Access",
};

/** The Sids (or #index) of a policy's statements, with their effect: the readable gist of what was put. */
function statementsOf(policy: unknown): string[] | undefined {
  const st = (policy as { Statement?: unknown } | null | undefined)?.Statement;
  if (st === undefined) return undefined;
  const list: unknown[] = Array.isArray(st) ? st : [st];
  return list.map((s, i) => {
    const { Sid, Effect } = (s ?? {}) as { Sid?: unknown; Effect?: unknown };
    return `${typeof Effect === 'string' ? Effect : '?'} ${typeof Sid === 'string' ? Sid : `#${i}`}`;
  });
}

/**
 * BUCKET_POLICY_CHANGED_BY for one successful change. A change still in force (`current`: no later change of the same
 * setting) that cuts off STS's reads of the issuer documents is a warning: a deleted policy, RestrictPublicBuckets
 * turned on (docs/aws-facts.md 4.2), or a put policy that the evaluator finds denies them (`denies`, judge.ts). Other changes
 * are recorded for the diagnosis.
 */
export function changeFinding(e: BucketChangeEvent, current: boolean, denies?: PolicyJudgement): Finding {
  const who = e.actorArn ?? e.actorType ?? 'an unknown identity';
  const target = e.scope === 'bucket' ? ` ${e.bucket ?? ''}` : '';
  const from = e.sourceIp !== undefined ? ` from ${e.sourceIp}` : '';
  const statements = statementsOf(e.policy);
  const restricts = e.publicAccessBlock?.RestrictPublicBuckets === true;
  const cuts = current && (e.eventName === 'DeleteBucketPolicy' || restricts || denies !== undefined);
  const effect = denies
    ? ` It denies STS the issuer documents: ${denies.message.replace(/\.$/, '')}${current ? '' : ' (since changed again)'}.`
    : '';
  return finding('BUCKET_POLICY_CHANGED_BY', `${who} ${WHAT[e.eventName]}${target} at ${e.time}${from}.${effect}`, {
    ...(cuts && { severity: 'warn' as const }),
    subject: e.scope === 'bucket' ? (e.bucket ?? 'unknown bucket') : 'account',
    evidence: {
      eventName: e.eventName,
      eventId: e.eventId,
      time: e.time,
      region: e.region,
      actor: who,
      ...(e.sessionIssuerArn !== undefined && { sessionIssuer: e.sessionIssuerArn }),
      ...(e.sourceIp !== undefined && { sourceIp: e.sourceIp }),
      ...(e.userAgent !== undefined && { userAgent: e.userAgent }),
      ...(statements !== undefined && { statements }),
      ...(e.policy !== undefined && { policy: e.policy }),
      ...(e.publicAccessBlock !== undefined && { publicAccessBlock: e.publicAccessBlock }),
      ...(denies && { denies: { documents: denies.documents, reason: denies.reason, statement: denies.statement } }),
    },
  });
}

/** A region whose scan failed: throttled, refused (naming the action) or unavailable; all `unknown`. */
export function scanFinding(err: TrailError, region: string): Finding {
  const evidence = { region, ...(err.awsError !== undefined && { awsError: err.awsError }) };
  if (err.code === 'TRAIL_THROTTLED')
    return finding('CLOUDTRAIL_THROTTLED', `${err.message} (${region}); backing off until the next run.`, {
      subject: region,
      evidence,
    });
  if (err.code === 'TRAIL_ACCESS_DENIED')
    return sharedFinding('AWS_PERMISSION_MISSING', `The agent may not call cloudtrail:LookupEvents in ${region}.`, {
      subject: region,
      evidence: { ...evidence, action: 'cloudtrail:LookupEvents' },
    });
  if (err.code === 'TRAIL_CREDENTIALS_REJECTED')
    return sharedFinding(
      'AWS_CREDENTIALS_REJECTED',
      `AWS refused the agent's own credentials calling cloudtrail:LookupEvents in ${region} (${err.message}).`,
      { subject: region, evidence: { ...evidence, action: 'cloudtrail:LookupEvents' } },
    );
  return finding('CLOUDTRAIL_UNAVAILABLE', `${err.message} (${region})`, { subject: region, evidence });
}
