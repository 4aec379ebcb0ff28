// The alert state machine over real diagnoses of probe results as the probes give them (test/diagnosis/results.ts):
// thresholds counted per stored result of the cause's probe, first sight for causes two probes confirm, unknown
// neither firing nor resolving, STALE, one alert per cause, per-role failures under a bucket cause not alerted.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/alerts/engine.ts';
import type { EngineSettings, StaleReport, Transition } from '../../src/alerts/engine.ts';
import type { Alert } from '../../src/alerts/types.ts';
import type { Finding, ProbeName, ProbeResult } from '../../src/core/model.ts';
import { diagnose } from '../../src/diagnosis/diagnose.ts';
import { finding } from '../../src/findings.ts';
import {
  ALICE,
  audienceMissing,
  bucketDenied,
  changedBy,
  CLUSTER,
  everyRoleFails,
  httpError,
  result,
  slow,
} from '../diagnosis/results.ts';

const SETTINGS: EngineSettings = { failAfter: 2, resolveAfter: 2 };
const BASE = 'https://sentinel.example.com';

/** A cluster's latest results and open alerts, stepped one stored result at a time as the agent does. */
class Cluster {
  readonly latest = new Map<ProbeName, ProbeResult>();
  open: Alert[] = [];
  history: Transition[] = [];
  #t = Date.parse('2026-12-02T14:00:00.000Z');
  #id = 1;
  readonly settings: EngineSettings;
  constructor(settings: EngineSettings = SETTINGS) {
    this.settings = settings;
  }

  /** The probe stores a result with these findings (ok when none); the cluster is evaluated. */
  report(probe: ProbeName, findings: Finding[] = [], status?: ProbeResult['status']): Transition[] {
    this.#t += 5_000;
    const r = result(probe, findings);
    this.latest.set(probe, { ...r, ...(status && { status }), startedAt: new Date(this.#t).toISOString() });
    return this.evaluate();
  }

  /** Several probes store their results, then the cluster is evaluated once. */
  cycle(results: Partial<Record<ProbeName, Finding[]>>): Transition[] {
    for (const [probe, findings] of Object.entries(results) as [ProbeName, Finding[]][]) {
      this.#t += 1_000;
      this.latest.set(probe, { ...result(probe, findings), startedAt: new Date(this.#t).toISOString() });
    }
    return this.evaluate();
  }

  evaluate(stale?: StaleReport): Transition[] {
    const latest = [...this.latest.values()];
    const out = evaluate({
      cluster: { name: CLUSTER, labels: { env: 'prod' } },
      diagnosis: diagnose(latest),
      latest,
      open: this.open,
      ...(stale && { stale }),
      now: new Date(this.#t + 100),
      baseUrl: BASE,
      settings: this.settings,
    });
    for (const t of out) {
      const alert = t.alert.id === 0 ? { ...t.alert, id: this.#id++ } : t.alert;
      this.open = this.open.filter((a) => a.code !== alert.code);
      if (t.kind !== 'resolved' && t.kind !== 'cleared') this.open.push(alert);
      this.history.push({ kind: t.kind, alert });
    }
    return out;
  }

  firing(): string[] {
    return this.open.filter((a) => a.state === 'firing').map((a) => a.code);
  }
}

const kinds = (ts: Transition[]) => ts.map((t) => `${t.kind} ${t.alert.code}`);

describe('the alert engine', () => {
  it('fires an unconfirmed cause after two consecutive failing results of its own probe, not of others', () => {
    const c = new Cluster();
    expect(kinds(c.report('issuer', [slow(3100)]))).toEqual(['pending ISSUER_TOO_SLOW']);
    // Another probe's result is not an evaluation of this cause.
    c.report('bucket');
    c.report('jwks');
    expect(c.open).toMatchObject([{ code: 'ISSUER_TOO_SLOW', state: 'pending', failCount: 1 }]);
    const fired = c.report('issuer', [slow(3200)]);
    expect(kinds(fired)).toEqual(['fired ISSUER_TOO_SLOW']);
    expect(fired[0]?.alert).toMatchObject({ severity: 'warning', state: 'firing', probe: 'issuer', failCount: 2 });
  });

  it('counts each stored result once, however often the cluster is evaluated', () => {
    const c = new Cluster();
    c.report('issuer', [slow(3100)]);
    expect(c.evaluate()).toEqual([]);
    expect(c.evaluate()).toEqual([]);
    expect(c.open[0]).toMatchObject({ failCount: 1, state: 'pending' });
  });

  it('with failAfter 3, fires on the third', () => {
    const c = new Cluster({ failAfter: 3, resolveAfter: 1 });
    c.report('issuer', [slow(3100)]);
    c.report('issuer', [slow(3100)]);
    expect(c.firing()).toEqual([]);
    c.report('issuer', [slow(3100)]);
    expect(c.firing()).toEqual(['ISSUER_TOO_SLOW']);
  });

  it('fires on first sight a cause that findings of two probes confirm (the bucket verdict and the failing roles)', () => {
    const c = new Cluster();
    c.latest.set('roles', { ...everyRoleFails('ASSUME_KEY_RETRIEVAL_FAILED'), startedAt: '2026-12-02T14:00:00.000Z' });
    const out = c.report('bucket', [bucketDenied('Access-to-specific-VPCE-only')]);
    expect(kinds(out)).toEqual(['fired BUCKET_POLICY_DENIES_STS']);
    expect(out[0]?.alert).toMatchObject({ severity: 'critical', probe: 'bucket', failCount: 1 });
  });

  it('fires on first sight a CloudTrail-recorded change that the bucket verdict confirms, naming the actor, time and statement', () => {
    const c = new Cluster();
    c.latest.set('cloudtrail', {
      ...result('cloudtrail', [changedBy('PutBucketPolicy', '2026-12-02T14:02:11Z', ALICE, { severity: 'warn' })]),
      startedAt: '2026-12-02T14:00:01.000Z',
    });
    const [t] = c.report('bucket', [bucketDenied('Access-to-specific-VPCE-only')]);
    expect(t?.kind).toBe('fired');
    expect(t?.alert.content).toMatchObject({
      title: 'The OIDC bucket policy denies STS',
      summary: expect.stringContaining(
        'Statement Access-to-specific-VPCE-only (changed by arn:aws:iam::111122223333:user/alice at 2026-12-02T14:02:11Z)',
      ),
      remediation: expect.any(String),
      change: {
        actor: ALICE,
        at: '2026-12-02T14:02:11Z',
        event: 'PutBucketPolicy',
        statement: 'Access-to-specific-VPCE-only',
      },
      labels: { env: 'prod' },
      link: `${BASE}/clusters/${CLUSTER}`,
    });
    expect(t?.alert.content.evidence.map((e) => `${e.probe}/${e.code}`)).toEqual([
      'bucket/BUCKET_ANONYMOUS_READ_DENIED',
      'cloudtrail/BUCKET_POLICY_CHANGED_BY',
    ]);
    // Evidence as alerts carry it: no raw facts.
    expect(JSON.stringify(t?.alert.content.evidence)).not.toContain('eventId');
  });

  it('per-role failures that the bucket cause explains never alert on their own; a second independent cause is a second alert', () => {
    const c = new Cluster();
    // The cycle that sees the fault is evaluated once (the agent settles a cluster while its probes re-run).
    c.cycle({
      issuer: [httpError('ISSUER_HTTP_ERROR')],
      bucket: [bucketDenied()],
      roles: everyRoleFails('ASSUME_KEY_RETRIEVAL_FAILED').findings,
    });
    expect(c.firing()).toEqual(['BUCKET_POLICY_DENIES_STS']);
    // Then each probe's next results, one at a time.
    c.report('issuer', [httpError('ISSUER_HTTP_ERROR')]);
    c.report('jwks', [audienceMissing()]);
    c.report('jwks', [audienceMissing()]);
    c.report('roles', everyRoleFails('ASSUME_KEY_RETRIEVAL_FAILED').findings);
    c.report('roles', everyRoleFails('ASSUME_KEY_RETRIEVAL_FAILED').findings);
    expect(c.firing().sort()).toEqual(['AUDIENCE_MISSING', 'BUCKET_POLICY_DENIES_STS']);
    const everFired = c.history.filter((t) => t.kind === 'fired').map((t) => t.alert.code);
    expect(everFired.sort()).toEqual(['AUDIENCE_MISSING', 'BUCKET_POLICY_DENIES_STS']);
    expect(everFired).not.toContain('KEY_RETRIEVAL_FAILS');
    expect(everFired).not.toContain('ISSUER_HTTP_ERROR');
  });

  it("clears a pending alert once another cause accounts for it (it never fires); the issuer's 403 confirms the bucket verdict", () => {
    const c = new Cluster();
    expect(kinds(c.report('issuer', [httpError('ISSUER_HTTP_ERROR')]))).toEqual(['pending ISSUER_HTTP_ERROR']);
    const out = c.report('bucket', [bucketDenied()]);
    expect(kinds(out).sort()).toEqual(['cleared ISSUER_HTTP_ERROR', 'fired BUCKET_POLICY_DENIES_STS']);
    expect(out.find((t) => t.kind === 'fired')?.alert.content.evidence.map((e) => e.probe)).toEqual([
      'bucket',
      'issuer',
    ]);
  });

  it('resolves after two passing results of its probe, and not on other probes', () => {
    const c = new Cluster();
    c.report('issuer', [slow(3100)]);
    c.report('issuer', [slow(3100)]);
    expect(kinds(c.report('issuer'))).toEqual(['updated ISSUER_TOO_SLOW']);
    expect(c.open[0]).toMatchObject({ state: 'firing', passCount: 1 });
    c.report('bucket');
    expect(c.firing()).toEqual(['ISSUER_TOO_SLOW']);
    const out = c.report('issuer');
    expect(kinds(out)).toEqual(['resolved ISSUER_TOO_SLOW']);
    expect(out[0]?.alert).toMatchObject({ state: 'resolved', resolvedAt: expect.any(String) });
  });

  it('a failure between passes starts the count again', () => {
    const c = new Cluster();
    c.report('issuer', [slow(3100)]);
    c.report('issuer', [slow(3100)]);
    c.report('issuer');
    c.report('issuer', [slow(3100)]);
    expect(c.open[0]).toMatchObject({ state: 'firing', passCount: 0 });
    c.report('issuer');
    expect(c.firing()).toEqual(['ISSUER_TOO_SLOW']);
  });

  it('unknown neither fires nor resolves, nor breaks a run', () => {
    const unknown = finding('PROBE_TIMEOUT', 'The issuer probe did not finish within 20000 ms');
    const fires = new Cluster();
    fires.report('issuer', [slow(3100)]);
    fires.report('issuer', [unknown], 'unknown');
    fires.report('issuer', [unknown], 'unknown');
    expect(fires.open).toMatchObject([{ code: 'ISSUER_TOO_SLOW', state: 'pending', failCount: 1 }]);
    fires.report('issuer', [slow(3100)]);
    expect(fires.firing()).toEqual(['ISSUER_TOO_SLOW']);

    const resolves = new Cluster();
    resolves.report('issuer', [slow(3100)]);
    resolves.report('issuer', [slow(3100)]);
    for (let i = 0; i < 4; i++) resolves.report('issuer', [unknown], 'unknown');
    expect(resolves.firing()).toEqual(['ISSUER_TOO_SLOW']);
    expect(resolves.open[0]?.passCount).toBe(0);
  });

  it('raises STALE at once and resolves it when the probes report again', () => {
    const c = new Cluster();
    const stale = { probes: [{ probe: 'bucket', since: '2026-12-02T13:00:00.000Z', periods: 3 }] };
    const out = c.evaluate(stale);
    expect(kinds(out)).toEqual(['fired STALE']);
    expect(out[0]?.alert).toMatchObject({
      severity: 'warning',
      content: { summary: expect.stringContaining('bucket (last 2026-12-02T13:00:00.000Z)') },
    });
    expect(c.evaluate(stale)).toEqual([]);
    expect(kinds(c.evaluate({ probes: [] }))).toEqual(['resolved STALE']);
  });

  it('a warning and a failure of one cluster are two alerts of their own severities', () => {
    const c = new Cluster({ failAfter: 1, resolveAfter: 1 });
    c.report('issuer', [slow(3100)]);
    c.report('jwks', [audienceMissing()]);
    expect(c.open.map((a) => [a.code, a.severity]).sort()).toEqual([
      ['AUDIENCE_MISSING', 'critical'],
      ['ISSUER_TOO_SLOW', 'warning'],
    ]);
  });

  it('notifies a firing warning that becomes critical once per episode (escalated); the way back and forth is silent', () => {
    const c = new Cluster({ failAfter: 1, resolveAfter: 1 });
    const step = (findings: Finding[]) =>
      c
        .report('issuer', findings)
        .map((t) => `${t.kind} ${t.alert.severity}${t.alert.escalatedAt ? ' escalated' : ''}`);
    expect(step([slow(3100)])).toEqual(['fired warning']);
    // Over STS's 5 s budget the same cause fails.
    expect(step([slow(6000)])).toEqual(['escalated critical escalated']);
    expect(step([slow(3100)])).toEqual(['updated warning escalated']);
    expect(step([slow(6000)])).toEqual(['updated critical escalated']);
    // A new episode escalates again.
    expect(step([])).toEqual(['resolved critical escalated']);
    expect(step([slow(3100)])).toEqual(['fired warning']);
    expect(step([slow(6000)])).toEqual(['escalated critical escalated']);
  });

  it('a pending warning that becomes critical fires as critical (no escalation); a critical alert that eases is updated', () => {
    const c = new Cluster();
    expect(c.report('issuer', [slow(3100)]).map((t) => `${t.kind} ${t.alert.severity}`)).toEqual(['pending warning']);
    expect(c.report('issuer', [slow(6000)]).map((t) => `${t.kind} ${t.alert.severity}`)).toEqual(['fired critical']);
    expect(c.report('issuer', [slow(3100)]).map((t) => `${t.kind} ${t.alert.severity}`)).toEqual(['updated warning']);
    expect(c.open[0]?.escalatedAt).toBeUndefined();
  });
});
