import { afterEach, describe, expect, it } from 'vitest';
import { createReruns } from '../../src/scheduler/rerun.ts';
import type { Reruns } from '../../src/scheduler/rerun.ts';

let reruns: Reruns | undefined;
afterEach(() => reruns?.stop());

function setup(cooldownMs: number) {
  const runs: { cluster: string; except: string[]; at: number }[] = [];
  const before: string[] = [];
  const t0 = Date.now();
  reruns = createReruns({
    cooldownMs,
    run: async (cluster, except) => {
      runs.push({ cluster, except, at: Date.now() - t0 });
      await new Promise((r) => setTimeout(r, 20));
    },
    before: (cluster) => before.push(cluster),
  });
  return { runs, before, reruns };
}

describe('re-runs on a status change', () => {
  it('run the other probes at once; a change while one is pending joins it', async () => {
    const { runs, before, reruns: r } = setup(10_000);
    const work = r.request('a', 'issuer');
    expect(work).toBeDefined();
    expect(r.request('a', 'bucket')).toBeUndefined();
    await work;
    expect(runs).toEqual([{ cluster: 'a', except: ['issuer'], at: expect.any(Number) }]);
    expect(before).toEqual(['a']);
  });

  it('at most once per cooldown per cluster: a later change re-runs every probe when the cooldown ends', async () => {
    const { runs, reruns: r } = setup(300);
    await r.request('a', 'issuer');
    await r.request('b', 'issuer'); // another cluster: not held back
    const late = r.request('a', 'bucket');
    expect(late).toBeDefined();
    await late;
    expect(runs.map((x) => [x.cluster, x.except])).toEqual([
      ['a', ['issuer']],
      ['b', ['issuer']],
      ['a', []],
    ]);
    expect(runs[2]!.at - runs[0]!.at).toBeGreaterThanOrEqual(280);
  });

  it('with no probe named, runs every probe (start-up check of firing alerts)', async () => {
    const { runs, reruns: r } = setup(1_000);
    await r.request('a');
    expect(runs[0]?.except).toEqual([]);
  });

  it('stop cancels re-runs waiting for their cooldown', async () => {
    const { runs, reruns: r } = setup(200);
    await r.request('a', 'issuer');
    void r.request('a', 'issuer');
    r.stop();
    await new Promise((res) => setTimeout(res, 400));
    expect(runs).toHaveLength(1);
  });
});
