// What an alert says, from a diagnosis cause: its title, summary, fix and evidence chain, who changed what and when
// (the CloudTrail record in the chain, else the bucket probe's source for a locked-out read), the cluster's labels
// and a link to its page. And which probe's results are the alert's evaluations: that of the cause's primary finding.
import type { ProbeName, ProbeResult } from '../core/model.ts';
import { PROBE_NAMES } from '../core/model.ts';
import type { DiagnosisCause } from '../diagnosis/diagnose.ts';
import { RULES } from '../diagnosis/rules.ts';
import { FINDINGS, isFindingCode } from '../findings.ts';
import type { AlertChange, AlertContent, AlertEvidence } from './types.ts';
import { STALE_CODE } from './types.ts';

export interface ClusterRef {
  name: string;
  labels: Record<string, string>;
}

const TITLES: Record<string, string> = {
  DEGRADED: 'Findings no diagnosis rule names',
  [STALE_CODE]: 'Probes stopped reporting',
};

export const titleOf = (code: string): string => RULES.find((r) => r.code === code)?.title ?? TITLES[code] ?? code;

const isProbe = (p: string): p is ProbeName => (PROBE_NAMES as readonly string[]).includes(p);

/**
 * The probe whose results evaluate a cause: that of its rule's primary finding, else (a finding several probes emit,
 * DEGRADED) that of the first finding of its evidence; `runner` when nothing names one.
 */
export function primaryProbe(cause: Pick<DiagnosisCause, 'code' | 'evidence'>): string {
  const rule = RULES.find((r) => r.code === cause.code);
  const declared = rule ? FINDINGS[rule.primary].probe : undefined;
  if (declared !== undefined && isProbe(declared)) {
    // A role-level rule's primary may be emitted elsewhere too; the evidence's own probe says which one found it.
    const first = cause.evidence.find((e) => e.code === rule?.primary);
    return first?.probe ?? declared;
  }
  return cause.evidence[0]?.probe ?? 'runner';
}

/** Findings from at least two probes back the cause: it fires on first sight. */
export const confirmed = (cause: Pick<DiagnosisCause, 'evidence'>): boolean =>
  new Set(cause.evidence.map((e) => e.probe)).size >= 2;

function findingFacts(latest: readonly ProbeResult[], e: AlertEvidence): Record<string, unknown> | undefined {
  const result = latest.find((r) => r.probe === e.probe);
  return result?.findings.find((f) => f.code === e.code && f.message === e.message && f.subject === e.subject)
    ?.evidence;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Who changed the bucket, when, and which statement denies: from the facts of the cause's evidence. */
export function changeOf(evidence: readonly AlertEvidence[], latest: readonly ProbeResult[]): AlertChange | undefined {
  let statement: string | undefined;
  let fallback: AlertChange | undefined;
  for (const e of evidence) {
    const facts = findingFacts(latest, e);
    if (!facts) continue;
    if (e.code === 'BUCKET_ANONYMOUS_READ_DENIED') {
      statement ??= str(facts.statement);
      const source = facts.source as Record<string, unknown> | undefined;
      const actor = str(source?.actor);
      if (actor && !fallback)
        fallback = { actor, ...(str(source?.time) && { at: str(source?.time) }), event: 'PutBucketPolicy' };
    }
  }
  const record = evidence.find((e) => e.code === 'BUCKET_POLICY_CHANGED_BY');
  const facts = record && findingFacts(latest, record);
  const actor = facts && (str(facts.sessionIssuer) ?? str(facts.actor));
  const change: AlertChange | undefined = actor
    ? {
        actor,
        ...(str(facts.time) && { at: str(facts.time) }),
        ...(str(facts.eventName) && { event: str(facts.eventName) }),
      }
    : fallback;
  return change && { ...change, ...(statement !== undefined && { statement }) };
}

const plainEvidence = (evidence: readonly AlertEvidence[]): AlertEvidence[] =>
  evidence.map((e) => ({
    probe: e.probe,
    code: e.code,
    message: e.message,
    ...(e.subject !== undefined && { subject: e.subject }),
  }));

/** The cluster's page (issue 12 serves it): `<publicUrl>/clusters/<name>`. */
export const clusterLink = (baseUrl: string, cluster: string): string =>
  `${baseUrl.replace(/\/+$/, '')}/clusters/${encodeURIComponent(cluster)}`;

export function contentOf(
  cause: DiagnosisCause,
  cluster: ClusterRef,
  latest: readonly ProbeResult[],
  baseUrl: string,
): AlertContent {
  const evidence = plainEvidence(cause.evidence);
  const change = changeOf(evidence, latest);
  const primary = RULES.find((r) => r.code === cause.code)?.primary;
  const remediation =
    cause.remediation ?? (primary ? FINDINGS[primary].remediation : undefined) ?? fallbackRemediation(evidence);
  return {
    title: titleOf(cause.code),
    summary: cause.summary,
    ...(remediation !== undefined && { remediation }),
    evidence,
    ...(change && { change }),
    labels: { ...cluster.labels },
    link: clusterLink(baseUrl, cluster.name),
  };
}

function fallbackRemediation(evidence: readonly AlertEvidence[]): string | undefined {
  const code = evidence[0]?.code;
  return code !== undefined && isFindingCode(code) ? FINDINGS[code].remediation : undefined;
}

/** The content of a STALE alert: which probes have not reported, since when. */
export function staleContent(
  cluster: ClusterRef,
  stale: readonly { probe: string; since: string; periods: number }[],
  baseUrl: string,
): AlertContent {
  const list = stale.map((s) => `${s.probe} (last ${s.since})`).join(', ');
  return {
    title: titleOf(STALE_CODE),
    summary: `No result from ${stale.length === 1 ? 'the' : stale.length} ${stale.map((s) => s.probe).join(', ')} probe${stale.length === 1 ? '' : 's'} of ${cluster.name} for ${stale[0]?.periods ?? 3} periods or more: ${list}.`,
    remediation:
      "The agent is not running these probes on schedule: check its logs for scheduler or runner errors, its CPU and memory, and whether the cluster's probes are disabled. Until they report again the cluster's status is not current.",
    evidence: [],
    labels: { ...cluster.labels },
    link: clusterLink(baseUrl, cluster.name),
  };
}
