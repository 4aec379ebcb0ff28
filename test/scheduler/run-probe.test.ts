// Running one probe now (the API's run route): through the real runner, so the result reaches onResult (the agent
// stores it) exactly as a scheduled run's does; a run of the pair in flight, scheduled or asked for, is joined rather
// than doubled; what cannot run is a coded error naming why.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { clusterDefaults } from '../../src/config/defaults.ts';
import type { ClusterConfig, ProbeSchedule } from '../../src/config/types.ts';
import { PROBE_NAMES } from '../../src/core/model.ts';
import type { ProbeName, ProbeOutcome, ProbeResult } from '../../src/core/model.ts';
import type { Probe } from '../../src/core/probe.ts';
import { createRunner } from '../../src/scheduler/runner.ts';
import { createScheduler } from '../../src/scheduler/scheduler.ts';
import type { HttpFetcher } from '../../src/clients/http.ts';

const log = pino({ level: 'silent' });

const cluster = (name: string, extra: Partial<ClusterConfig> = {}): ClusterConfig => ({
  name,
  issuer: `https://${name}.example.com`,
  ...clusterDefaults(),
  region: 'us-east-1',
  labels: {},
  ...extra,
});

const schedules = (disabled: ProbeName[] = []) =>
  Object.fromEntries(
    PROBE_NAMES.map((n) => [n, { cron: '*/10 * * * * *', timeoutMs: 5_000, enabled: !disabled.includes(n) }]),
  ) as Record<ProbeName, ProbeSchedule>;

/** A probe whose runs wait until released; counts its runs. */
function gatedProbe(name: ProbeName, appliesTo?: (c: ClusterConfig) => boolean) {
  let runs = 0;
  const gates: (() => void)[] = [];
  const probe: Probe = {
    name,
    description: `gated ${name}`,
    ...(appliesTo && { appliesTo }),
    run: () => {
      runs++;
      return new Promise<ProbeOutcome>((resolve) => gates.push(() => resolve({ findings: [] })));
    },
  };
  return {
    probe,
    runs: () => runs,
    async release() {
      // The run starts once the runner's slot is taken: wait for it to reach the probe.
      for (let i = 0; i < 100 && gates.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      gates.splice(0).forEach((open) => open());
    },
  };
}

function setup(opts: { clusters?: ClusterConfig[]; disabled?: ProbeName[] } = {}) {
  const issuer = gatedProbe('issuer');
  const bucket = gatedProbe('bucket', (c) => c.bucket !== undefined);
  const stored: ProbeResult[] = [];
  const runner = createRunner({
    concurrency: 4,
    http: {} as HttpFetcher,
    log,
    previousOf: () => undefined,
    onResult: (r) => void stored.push(r),
    timeoutMsFor: () => 5_000,
  });
  const scheduler = createScheduler({
    config: {
      clusters: opts.clusters ?? [cluster('a'), cluster('only-issuer', { probes: ['issuer'] })],
      schedules: schedules(opts.disabled),
    },
    probes: { issuer: issuer.probe, bucket: bucket.probe },
    runner,
    log,
  });
  return { issuer, bucket, stored, runner, scheduler };
}

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => ({ code: (err as { code: string }).code, message: (err as Error).message }),
  );

describe('runProbe', () => {
  it('runs the probe through the runner: onResult sees the result once, and it is answered', async () => {
    const { issuer, stored, scheduler } = setup();
    const run = scheduler.runProbe('a', 'issuer');
    await issuer.release();
    const { result, joined } = await run;
    expect(joined).toBe(false);
    expect(result).toMatchObject({ cluster: 'a', probe: 'issuer', status: 'ok' });
    expect(stored).toEqual([result]);
    expect(issuer.runs()).toBe(1);
  });

  it('joins a run asked for while one is in flight: one probe run, one stored result, both answered with it', async () => {
    const { issuer, stored, scheduler } = setup();
    const first = scheduler.runProbe('a', 'issuer');
    const second = scheduler.runProbe('a', 'issuer');
    await issuer.release();
    const [a, b] = await Promise.all([first, second]);
    expect([a.joined, b.joined]).toEqual([false, true]);
    expect(b.result).toBe(a.result);
    expect(issuer.runs()).toBe(1);
    expect(stored).toHaveLength(1);
    // Once it is done, the next one runs anew.
    const third = scheduler.runProbe('a', 'issuer');
    await issuer.release();
    expect((await third).joined).toBe(false);
    expect(issuer.runs()).toBe(2);
  });

  it('joins a scheduled run in flight', async () => {
    const { issuer, stored, runner, scheduler } = setup();
    const scheduled = runner.run(cluster('a'), issuer.probe);
    const asked = scheduler.runProbe('a', 'issuer');
    await issuer.release();
    expect(await asked).toEqual({ result: await scheduled, joined: true });
    expect(issuer.runs()).toBe(1);
    expect(stored).toHaveLength(1);
  });

  it('another cluster or another probe is not joined', async () => {
    const { issuer, scheduler } = setup({ clusters: [cluster('a'), cluster('b')] });
    const a = scheduler.runProbe('a', 'issuer');
    const b = scheduler.runProbe('b', 'issuer');
    await issuer.release();
    expect((await a).joined).toBe(false);
    expect((await b).joined).toBe(false);
    expect(issuer.runs()).toBe(2);
  });

  it('an unknown cluster or probe, a probe that does not apply or is disabled: coded errors naming why', async () => {
    const { scheduler, issuer } = setup({
      clusters: [cluster('a'), cluster('only-issuer', { probes: ['issuer'] })],
      disabled: ['issuer'],
    });
    expect(await codeOf(scheduler.runProbe('nope', 'issuer'))).toMatchObject({ code: 'UNKNOWN_CLUSTER' });
    expect(await codeOf(scheduler.runProbe('a', 'nope'))).toEqual({
      code: 'UNKNOWN_PROBE',
      message: 'No probe named "nope" is available (probes: issuer, bucket)',
    });
    // Registered in the model but not loaded here: as unknown.
    expect(await codeOf(scheduler.runProbe('a', 'roles'))).toMatchObject({ code: 'UNKNOWN_PROBE' });
    expect(await codeOf(scheduler.runProbe('only-issuer', 'bucket'))).toEqual({
      code: 'PROBE_NOT_APPLICABLE',
      message: 'The bucket probe does not apply to cluster "only-issuer": its probes are issuer',
    });
    // The probe's own condition (no bucket in the config).
    expect(await codeOf(scheduler.runProbe('a', 'bucket'))).toMatchObject({
      code: 'PROBE_NOT_APPLICABLE',
      message: expect.stringContaining('its configuration lacks what the probe needs') as unknown,
    });
    expect(await codeOf(scheduler.runProbe('a', 'issuer'))).toEqual({
      code: 'PROBE_DISABLED',
      message: expect.stringContaining('schedules.issuer.enabled is false') as unknown,
    });
    expect(issuer.runs()).toBe(0);
  });

  it('once the runner drains (shutdown), RUN_NOT_COMPLETED', async () => {
    const { scheduler, runner, issuer } = setup();
    await runner.drain(0);
    expect(await codeOf(scheduler.runProbe('a', 'issuer'))).toMatchObject({ code: 'RUN_NOT_COMPLETED' });
    expect(issuer.runs()).toBe(0);
  });
});
