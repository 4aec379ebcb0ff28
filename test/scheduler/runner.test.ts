import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpFetcher } from '../../src/clients/http.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import { finding } from '../../src/findings.ts';
import type { ProbeName, ProbeOutcome, ProbeResult } from '../../src/core/model.ts';
import type { Probe, ProbeContext } from '../../src/core/probe.ts';
import { createRunner, ProbeTimeoutError, RunAbandonedError, SHARED_RUNS } from '../../src/scheduler/runner.ts';
import type { RunnerOptions } from '../../src/scheduler/runner.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';

const http: HttpFetcher = { get: () => Promise.reject(new Error('no network in runner tests')) };

function cluster(name: string): ClusterConfig {
  return { name, issuer: `https://${name}.example.com`, region: 'us-east-1', labels: {}, ...clusterDefaults() };
}

function probe(name: ProbeName, run: (c: ClusterConfig, ctx: ProbeContext) => Promise<ProbeOutcome>): Probe {
  return { name, description: `fake ${name}`, run };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pino logger whose lines land in an array. */
function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as never) });
  return { log, lines };
}

function runner(overrides: Partial<RunnerOptions> = {}) {
  const { log, lines } = captureLog();
  const results: ProbeResult[] = [];
  const r = createRunner({
    concurrency: 4,
    http,
    log,
    previousOf: () => undefined,
    onResult: (result) => void results.push(result),
    timeoutMsFor: () => 5_000,
    ...overrides,
  });
  return { runner: r, results, lines };
}

const okProbe = probe('issuer', () => Promise.resolve({ findings: [] }));

describe('runner', () => {
  afterEach(() => vi.restoreAllMocks());

  it('builds the result: status from the findings, timing, identity, observations', async () => {
    const now = () => new Date('2026-03-01T12:00:00.000Z');
    const p = probe('issuer', (_c, ctx) => {
      expect(ctx.now()).toEqual(now());
      expect(ctx.http).toBe(http);
      return Promise.resolve({
        findings: [
          finding('ISSUER_SLOW', 'slow', {
            evidence: {
              totalMs: 2500,
              latencyMs: [{ url: 'https://issuer.example', ms: 2500 }],
              warnMs: 2000,
              failMs: 5000,
            },
          }),
          finding('ISSUER_TLS_EXPIRING', 'fyi', { severity: 'info' }),
        ],
        observations: { kids: ['a'] },
      });
    });
    const { runner: r, results } = runner({ now });
    const result = await r.run(cluster('c1'), p);
    expect(result).toMatchObject({
      cluster: 'c1',
      probe: 'issuer',
      status: 'warn',
      startedAt: '2026-03-01T12:00:00.000Z',
      observations: { kids: ['a'] },
    });
    expect(result?.durationMs).toBeGreaterThanOrEqual(0);
    expect(result?.findings.map((f) => f.code)).toEqual(['ISSUER_SLOW', 'ISSUER_TLS_EXPIRING']);
    expect(results).toEqual([result]);
    expect(r.inFlight()).toBe(0);
  });

  it('never runs more than `concurrency` probes at once', async () => {
    let running = 0;
    let most = 0;
    const p = probe('issuer', async () => {
      running++;
      most = Math.max(most, running);
      await sleep(5);
      running--;
      return { findings: [] };
    });
    const { runner: r } = runner({ concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => r.run(cluster(`c${i}`), p)));
    expect(most).toBe(2);
    expect(results.map((x) => x?.status)).toEqual(Array(7).fill('ok'));
  });

  it('lets runs waiting on shared work hold at most SHARED_RUNS slots per key, so the other probes go on', async () => {
    const scan = deferred();
    const running = new Map<string, number>();
    const most = new Map<string, number>();
    const shared: Probe = {
      ...probe('cloudtrail', async (c) => {
        const key = c.labels.account!;
        running.set(key, (running.get(key) ?? 0) + 1);
        most.set(key, Math.max(most.get(key) ?? 0, running.get(key)!));
        await scan.promise;
        running.set(key, running.get(key)! - 1);
        return { findings: [] };
      }),
      sharedBy: (c) => c.labels.account!,
    };
    const inAccount = (name: string, account: string) => ({ ...cluster(name), labels: { account } });
    const { runner: r } = runner({ concurrency: 6 });
    // Eight clusters of account a and two of b queue their shared runs first, then ten issuer runs.
    const waiting = [
      ...Array.from({ length: 8 }, (_, i) => r.run(inAccount(`a${i}`, 'a'), shared)),
      ...Array.from({ length: 2 }, (_, i) => r.run(inAccount(`b${i}`, 'b'), shared)),
    ];
    const others = await Promise.all(Array.from({ length: 10 }, (_, i) => r.run(cluster(`c${i}`), okProbe)));
    // Every issuer run finished while the shared runs still waited for their scan.
    expect(others.map((x) => x?.status)).toEqual(Array(10).fill('ok'));
    expect(Object.fromEntries(running)).toEqual({ a: SHARED_RUNS, b: 2 });
    scan.resolve();
    expect((await Promise.all(waiting)).map((x) => x?.status)).toEqual(Array(10).fill('ok'));
    expect(Object.fromEntries(most)).toEqual({ a: SHARED_RUNS, b: 2 });
  });

  it('queues a shared run let through for its slot at once, ahead of runs asked for after it', async () => {
    const order: string[] = [];
    const shared: Probe = {
      ...probe('cloudtrail', (c) => (order.push(`${c.name}/cloudtrail`), Promise.resolve({ findings: [] }))),
      sharedBy: () => 'account',
    };
    const plain = probe('issuer', (c) => (order.push(`${c.name}/issuer`), Promise.resolve({ findings: [] })));
    const { runner: r } = runner({ concurrency: 1 });
    await Promise.all([r.run(cluster('a'), shared), r.run(cluster('b'), plain), r.run(cluster('c'), plain)]);
    expect(order).toEqual(['a/cloudtrail', 'b/issuer', 'c/issuer']);
  });

  it('skips a run of the same (cluster, probe) while one is in flight, and runs it again afterwards', async () => {
    const gate = deferred();
    let calls = 0;
    const p = probe('issuer', async () => {
      calls++;
      await gate.promise;
      return { findings: [] };
    });
    const { runner: r, results, lines } = runner();
    const first = r.run(cluster('c1'), p);
    expect(await r.run(cluster('c1'), p)).toBeUndefined();
    expect(r.inFlight()).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'probe run skipped',
        cluster: 'c1',
        probe: 'issuer',
        reason: 'previous run in flight',
      }),
    );
    gate.resolve();
    expect((await first)?.status).toBe('ok');
    expect(await r.run(cluster('c1'), p)).toBeDefined();
    expect(calls).toBe(2);
    expect(results).toHaveLength(2);
  });

  it('also counts a queued run as in flight, so a busy fleet does not pile up runs of one pair', async () => {
    const gate = deferred();
    const slow = probe('issuer', async () => {
      await gate.promise;
      return { findings: [] };
    });
    const { runner: r } = runner({ concurrency: 1 });
    const a = r.run(cluster('a'), slow);
    const b = r.run(cluster('b'), slow); // queued behind a
    expect(await r.run(cluster('b'), slow)).toBeUndefined();
    expect(r.inFlight()).toBe(2);
    gate.resolve();
    expect((await Promise.all([a, b])).every((x) => x?.status === 'ok')).toBe(true);
  });

  it('runs different clusters, and different probes of one cluster, in parallel', async () => {
    const gate = deferred();
    let running = 0;
    const blocking = (name: ProbeName) =>
      probe(name, async () => {
        running++;
        await gate.promise;
        return { findings: [] };
      });
    const issuer = blocking('issuer');
    const jwks = blocking('jwks');
    const { runner: r } = runner();
    const runs = [r.run(cluster('a'), issuer), r.run(cluster('b'), issuer), r.run(cluster('a'), jwks)];
    await vi.waitFor(() => expect(running).toBe(3));
    gate.resolve();
    expect(await Promise.all(runs)).toHaveLength(3);
  });

  it('ends a run at its timeout with unknown + PROBE_TIMEOUT and aborts its signal, even if the probe ignores it', async () => {
    let signal: AbortSignal | undefined;
    const hang = probe('issuer', (_c, ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    const { runner: r, results } = runner({ timeoutMsFor: (p) => (p === 'issuer' ? 50 : 5_000) });
    const result = await r.run(cluster('c1'), hang);
    expect(result?.status).toBe('unknown');
    expect(result?.findings).toEqual([
      expect.objectContaining({ code: 'PROBE_TIMEOUT', severity: 'unknown', evidence: { timeoutMs: 50 } }),
    ]);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(ProbeTimeoutError);
    expect(results).toEqual([result]);
    expect(r.inFlight()).toBe(0);
  });

  it('reports a timeout, not the abort error, when the probe honours its signal and rejects', async () => {
    const honours = probe(
      'issuer',
      (_c, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('fetch aborted'))),
        ),
    );
    const { runner: r } = runner({ timeoutMsFor: () => 50 });
    const result = await r.run(cluster('c1'), honours);
    expect(result?.findings.map((f) => f.code)).toEqual(['PROBE_TIMEOUT']);
  });

  it('turns a throwing probe into unknown + PROBE_ERROR with the message and no stack', async () => {
    const { runner: r, lines } = runner();
    const err = new Error('boom');
    const asyncThrow = probe('issuer', () => Promise.reject(err));
    const result = await r.run(cluster('c1'), asyncThrow);
    expect(result?.status).toBe('unknown');
    expect(result?.findings).toEqual([
      expect.objectContaining({
        code: 'PROBE_ERROR',
        severity: 'unknown',
        message: 'boom',
        evidence: { error: 'Error' },
      }),
    ]);
    expect(JSON.stringify(result)).not.toContain('runner.test.ts');
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: 'probe failed', cluster: 'c1' }));

    const syncThrow: Probe = {
      name: 'jwks',
      description: 'throws before returning a promise',
      run: () => {
        throw Object.assign(new TypeError('bad kid'), { code: 'E_KID' });
      },
    };
    expect((await r.run(cluster('c1'), syncThrow))?.findings[0]).toMatchObject({
      code: 'PROBE_ERROR',
      message: 'bad kid',
      evidence: { error: 'TypeError', code: 'E_KID' },
    });

    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const throwsString = probe('bucket', () => Promise.reject('plain string'));
    expect((await r.run(cluster('c1'), throwsString))?.findings[0]?.message).toBe('plain string');

    const noFindings = probe('roles', () => Promise.resolve({} as ProbeOutcome));
    expect((await r.run(cluster('c1'), noFindings))?.findings[0]).toMatchObject({
      code: 'PROBE_ERROR',
      message: 'The roles probe returned no findings array',
    });
  });

  it('logs a failing onResult and keeps going, with no unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      let calls = 0;
      const { runner: r, lines } = runner({
        onResult: () => {
          calls++;
          if (calls === 1) throw new Error('store is full');
          return Promise.reject(new Error('store is gone'));
        },
      });
      expect((await r.run(cluster('a'), okProbe))?.status).toBe('ok');
      expect((await r.run(cluster('b'), okProbe))?.status).toBe('ok');
      await sleep(10);
      expect(unhandled).not.toHaveBeenCalled();
      const errors = lines.filter((l) => l.msg === 'handling a probe result failed');
      expect(errors.map((l) => (l.err as { message: string }).message)).toEqual(['store is full', 'store is gone']);
      expect(r.inFlight()).toBe(0);
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('passes the previous result of the same (cluster, probe) to the probe', async () => {
    const previous: ProbeResult = {
      cluster: 'c1',
      probe: 'issuer',
      status: 'ok',
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 12,
      findings: [],
      observations: { kids: ['k1'] },
    };
    const previousOf = vi.fn((c: string, p: ProbeName) => (c === 'c1' && p === 'issuer' ? previous : undefined));
    const seen: (ProbeResult | undefined)[] = [];
    const p = probe('issuer', (_c, ctx) => {
      seen.push(ctx.previous);
      return Promise.resolve({ findings: [] });
    });
    const { runner: r } = runner({ previousOf });
    await r.run(cluster('c1'), p);
    await r.run(cluster('c2'), p);
    expect(seen).toEqual([previous, undefined]);
    expect(previousOf.mock.calls).toEqual([
      ['c1', 'issuer'],
      ['c2', 'issuer'],
    ]);
  });

  it('logs one debug line per run with codes, never the evidence', async () => {
    const p = probe('issuer', () =>
      Promise.resolve({
        findings: [finding('DISCOVERY_INVALID', 'not JSON', { evidence: { url: 'SECRET-BODY-CONTENT' } })],
      }),
    );
    const { runner: r, lines } = runner();
    await r.run(cluster('c1'), p);
    const runLines = lines.filter((l) => l.msg === 'probe run');
    expect(runLines).toEqual([
      expect.objectContaining({
        level: 20,
        cluster: 'c1',
        probe: 'issuer',
        status: 'fail',
        findings: ['DISCOVERY_INVALID'],
        durationMs: expect.any(Number),
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('SECRET-BODY-CONTENT');
  });

  it('drain finishes fast runs, abandons slow ones within the grace, and then accepts nothing', async () => {
    const fastStarted = deferred();
    const fastGate = deferred();
    const fast = probe('issuer', async () => {
      fastStarted.resolve();
      await fastGate.promise;
      return { findings: [] };
    });
    const slowStarted = deferred();
    let slowSignal: AbortSignal | undefined;
    const slow = probe('jwks', (_c, ctx) => {
      slowSignal = ctx.signal;
      slowStarted.resolve();
      return new Promise(() => {});
    });
    const { runner: r, results } = runner();
    const fastRun = r.run(cluster('a'), fast);
    const slowRun = r.run(cluster('a'), slow);
    await Promise.all([fastStarted.promise, slowStarted.promise]);
    expect(r.inFlight()).toBe(2);
    // The fast run only needs a few ticks to deliver; the grace is generous for a loaded machine.
    const drained = r.drain(1000);
    fastGate.resolve();
    expect(await drained).toEqual({ finished: 1, abandoned: 1 });
    expect(slowSignal?.reason).toBeInstanceOf(RunAbandonedError);
    expect((await fastRun)?.status).toBe('ok');
    expect(await slowRun).toBeUndefined();
    expect(results.map((x) => x.probe)).toEqual(['issuer']);
    expect(r.inFlight()).toBe(0);
    expect(await r.run(cluster('b'), fast)).toBeUndefined();
  });

  it('drain does not start queued runs and counts them as abandoned', async () => {
    const started: string[] = [];
    const hang = probe('issuer', (c) => {
      started.push(c.name);
      return new Promise(() => {});
    });
    const { runner: r, results } = runner({ concurrency: 1 });
    const runs = [r.run(cluster('a'), hang), r.run(cluster('b'), hang)];
    await vi.waitFor(() => expect(started).toEqual(['a']));
    expect(await r.drain(20)).toEqual({ finished: 0, abandoned: 2 });
    expect(await Promise.all(runs)).toEqual([undefined, undefined]);
    expect(started).toEqual(['a']);
    expect(results).toEqual([]);
  });

  it('drain with nothing in flight resolves at once', async () => {
    const { runner: r } = runner();
    expect(await r.drain(60_000)).toEqual({ finished: 0, abandoned: 0 });
  });
});
