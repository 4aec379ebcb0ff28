// `check` on a terminal: a failing cluster's text output fits on one screen (identical findings grouped into one line,
// each fix printed once), from the real output of every probe against a lab cluster whose seven roles all fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCheckTable } from '../../src/commands/check-format.ts';
import { checkedClusters } from '../../src/commands/check.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import { worst } from '../../src/core/model.ts';
import { diagnose } from '../../src/diagnosis/diagnose.ts';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab } from '../helpers/lab.ts';
import { createProbeRunner } from '../helpers/probe-run.ts';

const TERMINAL = { width: 100 };

let lab: Lab;
const runs = new Map<string, ProbeResult[]>();

beforeAll(async () => {
  lab = await startTestLab({
    fleet: {
      clusters: [
        { name: 'locked', faults: [{ fault: 'bucket-policy-deny-non-vpce', form: 'aws-documented' }] },
        { name: 'rotated', faults: [{ fault: 'rotate-key-unpublished' }, { fault: 'drop-audience' }] },
      ],
      keyPool: 1,
    },
  });
  const runner = await createProbeRunner(lab, { trailFreshMs: 600_000 });
  try {
    for (const name of ['locked', 'rotated']) runs.set(name, await runner.run(name));
  } finally {
    await runner.close();
  }
}, 120_000);
afterAll(() => lab?.close());

const text = (results: ProbeResult[], width: number | null = TERMINAL.width) =>
  formatCheckTable(
    results,
    worst(results.map((r) => r.status)),
    [{ cluster: results[0]!.cluster, ...diagnose(results) }],
    width === null ? {} : { width },
  );

describe('check on a terminal', () => {
  it.each(['locked', 'rotated'])('%s: seven failing roles print on one screen (at most 40 lines)', (name) => {
    const results = runs.get(name)!;
    const failingRoles = results.find((r) => r.probe === 'roles')!.findings.filter((f) => f.severity === 'fail');
    expect(failingRoles.length).toBeGreaterThanOrEqual(7);
    const lines = text(results).trimEnd().split('\n');
    if (process.env.SHOW_CHECK) console.log(lines.join('\n'));
    expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(40);
    expect(lines.every((l) => l.length <= TERMINAL.width)).toBe(true);
  });

  it('groups the seven identical role failures into one line listing them, with one fix', () => {
    const out = text(runs.get('locked')!);
    const lines = out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('locked / roles: ASSUME_KEY_RETRIEVAL_FAILED'));
    expect(lines.filter((l) => l.startsWith('locked / roles: ASSUME_KEY_RETRIEVAL_FAILED'))).toHaveLength(1);
    // The group's line, wrapped: its continuation lines hang by four columns.
    const group = [
      lines[at],
      ...lines.slice(at + 1).filter((_, i, rest) => rest.slice(0, i + 1).every((l) => l.startsWith('    '))),
    ];
    expect(group.join(' ')).toMatch(/× 7 — .+ and 4 more$/);
    const fixes = out.split('\n').filter((l) => /^\s+fix: /.test(l));
    expect(new Set(fixes).size).toBe(fixes.length);
  });

  it('leads with every cause and what was not checked', () => {
    const out = text(runs.get('rotated')!, null);
    expect(out).toMatch(
      /^FAIL {2}rotated: Every role \(7\) fails with Couldn't retrieve verification key because the cluster signs/,
    );
    expect(out).toMatch(/also \(fail\): An audience is missing from the IAM OIDC provider/);
  });

  it('says how many clusters it checks', () => {
    expect(checkedClusters(3, ['vpce-locked'])).toBe('1 cluster (vpce-locked)');
    expect(checkedClusters(3, undefined)).toBe('3 clusters');
    expect(checkedClusters(1, [])).toBe('1 cluster');
  });
});
