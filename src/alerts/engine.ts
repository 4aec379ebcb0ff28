// The alert state machine: one alert per (cluster, cause code), from the cluster's kept diagnosis and latest results.
// Pure: the caller gives the open alerts, the clock and the settings, and stores what comes back.
//
// - An evaluation of a cause is a stored result of the probe that produces its primary finding (content.ts
//   primaryProbe): each result counts once, however often the cluster is evaluated (by its startedAt).
// - A cause fires after `failAfter` consecutive evaluations that find it, or on first sight when findings of two or more
//   probes back it (its evidence chain); it resolves after `resolveAfter` consecutive decided evaluations that do not.
//   A cause absent from the diagnosis counts as passing only when its probe's latest result is decided: `unknown`
//   neither fires nor resolves anything, and it does not break a run either.
// - Per-role failures that an issuer or bucket cause explains are not causes of their own (the diagnosis covers
//   them), so they never alert separately; a second independent cause is a second alert.
// - STALE (stale.ts) fires as soon as it is reported and resolves as soon as it is not.
import type { ProbeResult } from '../core/model.ts';
import type { Diagnosis, DiagnosisCause } from '../diagnosis/diagnose.ts';
import { confirmed, contentOf, primaryProbe, staleContent } from './content.ts';
import type { ClusterRef } from './content.ts';
import type { Alert, AlertContent, AlertSeverity } from './types.ts';
import { STALE_CODE } from './types.ts';

export interface EngineSettings {
  /** Consecutive failing evaluations before an unconfirmed cause fires. */
  failAfter: number;
  /** Consecutive passing evaluations before a firing alert resolves. */
  resolveAfter: number;
}

/** Probes of the cluster that have not reported for `periods` of their periods (stale.ts). */
export interface StaleReport {
  probes: { probe: string; since: string; periods: number }[];
}

export interface EvaluationInput {
  cluster: ClusterRef;
  diagnosis: Diagnosis;
  latest: readonly ProbeResult[];
  /** The cluster's alerts that are pending or firing. */
  open: readonly Alert[];
  stale?: StaleReport;
  now: Date;
  /** Base of the cluster page link (server.publicUrl). */
  baseUrl: string;
  settings: EngineSettings;
}

/**
 * What changed: `fired`, `escalated` (a firing warning became critical, the first time in its episode) and `resolved`
 * are notified; `pending` and `updated` (de-escalation included) are kept silently; `cleared` is a pending alert whose
 * cause went away before it fired (dropped).
 */
export type TransitionKind = 'pending' | 'fired' | 'escalated' | 'updated' | 'resolved' | 'cleared';

export interface Transition {
  kind: TransitionKind;
  alert: Alert;
}

export const severityOf = (status: DiagnosisCause['status']): AlertSeverity =>
  status === 'fail' ? 'critical' : 'warning';

const ms = (iso: string | undefined): number => (iso === undefined ? Number.NEGATIVE_INFINITY : Date.parse(iso));

/** The stored result of `probe` that has not been counted for this alert yet, if any. */
function freshResult(latest: readonly ProbeResult[], probe: string, alert?: Alert): ProbeResult | undefined {
  const r = latest.find((x) => x.probe === probe);
  if (!r) return undefined;
  return alert === undefined || ms(r.startedAt) > ms(alert.lastEvaluatedAt) ? r : undefined;
}

const sameContent = (a: AlertContent, b: AlertContent): boolean => JSON.stringify(a) === JSON.stringify(b);

function newAlert(
  cluster: string,
  code: string,
  severity: AlertSeverity,
  probe: string,
  content: AlertContent,
  now: string,
  lastEvaluatedAt?: string,
): Alert {
  return {
    id: 0,
    cluster,
    code,
    severity,
    state: 'pending',
    probe,
    failCount: 1,
    passCount: 0,
    ...(lastEvaluatedAt !== undefined && { lastEvaluatedAt }),
    firstSeenAt: now,
    lastSeenAt: now,
    reminders: 0,
    content,
  };
}

function present(input: EvaluationInput, cause: DiagnosisCause, existing: Alert | undefined): Transition | undefined {
  const now = input.now.toISOString();
  const { failAfter } = input.settings;
  const probe = existing?.probe ?? primaryProbe(cause);
  const content = contentOf(cause, input.cluster, input.latest, input.baseUrl);
  const severity = severityOf(cause.status);
  const fires = (a: Alert) => a.failCount >= failAfter || confirmed(cause);
  if (!existing) {
    const r = input.latest.find((x) => x.probe === probe);
    const alert = newAlert(input.cluster.name, cause.code, severity, probe, content, now, r?.startedAt);
    return fires(alert)
      ? { kind: 'fired', alert: { ...alert, state: 'firing', firedAt: now } }
      : { kind: 'pending', alert };
  }
  const fresh = freshResult(input.latest, probe, existing);
  const counted: Alert = fresh
    ? {
        ...existing,
        failCount: existing.failCount + 1,
        passCount: 0,
        lastEvaluatedAt: fresh.startedAt,
        lastSeenAt: now,
      }
    : { ...existing, passCount: 0 };
  const alert: Alert = { ...counted, severity, content };
  if (existing.state === 'pending' && fires(alert))
    return { kind: 'fired', alert: { ...alert, state: 'firing', firedAt: now } };
  // Once per episode: a count that crosses its fail threshold back and forth notifies its first crossing only.
  if (
    existing.state === 'firing' &&
    existing.severity === 'warning' &&
    severity === 'critical' &&
    existing.escalatedAt === undefined
  )
    return { kind: 'escalated', alert: { ...alert, escalatedAt: now } };
  const changed =
    fresh !== undefined ||
    existing.passCount !== 0 ||
    existing.severity !== severity ||
    !sameContent(existing.content, content);
  return changed ? { kind: existing.state === 'pending' ? 'pending' : 'updated', alert } : undefined;
}

function absent(input: EvaluationInput, existing: Alert): Transition | undefined {
  const now = input.now.toISOString();
  // A pending alert whose cause is gone (fixed, or now accounted for by another cause) while its probe's latest
  // result is decided never fires: the consecutive run is broken.
  if (existing.state === 'pending') {
    const latest = input.latest.find((x) => x.probe === existing.probe);
    return latest && latest.status !== 'unknown' ? { kind: 'cleared', alert: existing } : undefined;
  }
  const fresh = freshResult(input.latest, existing.probe, existing);
  if (!fresh) return undefined;
  if (fresh.status === 'unknown') return { kind: 'updated', alert: { ...existing, lastEvaluatedAt: fresh.startedAt } };
  const alert: Alert = {
    ...existing,
    passCount: existing.passCount + 1,
    failCount: 0,
    lastEvaluatedAt: fresh.startedAt,
  };
  if (alert.passCount >= input.settings.resolveAfter)
    return { kind: 'resolved', alert: { ...alert, state: 'resolved', resolvedAt: now } };
  return { kind: 'updated', alert };
}

function staleTransition(input: EvaluationInput, existing: Alert | undefined): Transition | undefined {
  const now = input.now.toISOString();
  const report = input.stale;
  if (!report || report.probes.length === 0) {
    if (!existing) return undefined;
    return { kind: 'resolved', alert: { ...existing, state: 'resolved', resolvedAt: now, passCount: 1 } };
  }
  const content = staleContent(input.cluster, report.probes, input.baseUrl);
  if (!existing)
    return {
      kind: 'fired',
      alert: {
        ...newAlert(input.cluster.name, STALE_CODE, 'warning', 'runner', content, now),
        state: 'firing',
        firedAt: now,
      },
    };
  if (sameContent(existing.content, content)) return undefined;
  return { kind: 'updated', alert: { ...existing, content, lastSeenAt: now } };
}

/** The transitions of one cluster's alerts; alerts with no change are not listed. */
export function evaluate(input: EvaluationInput): Transition[] {
  const byCode = new Map(input.open.map((a) => [a.code, a]));
  const out: Transition[] = [];
  const seen = new Set<string>();
  for (const cause of input.diagnosis.causes) {
    if (cause.status !== 'fail' && cause.status !== 'warn') continue;
    if (seen.has(cause.code)) continue; // one alert per code, the first (highest ranked) cause of it
    seen.add(cause.code);
    const t = present(input, cause, byCode.get(cause.code));
    if (t) out.push(t);
  }
  for (const alert of input.open) {
    if (alert.code === STALE_CODE || seen.has(alert.code)) continue;
    const t = absent(input, alert);
    if (t) out.push(t);
  }
  const stale = staleTransition(input, byCode.get(STALE_CODE));
  if (stale) out.push(stale);
  return out;
}
