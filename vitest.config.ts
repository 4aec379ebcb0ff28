import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

/**
 * Files that judge how fast the agent works, in their own process, and so fail when another file's work starves them of
 * CPU: the small soak counts the probe runs of its 16 s; lab-faults runs every probe of ~20 lab clusters at once in one
 * process and holds a healthy issuer to its 3 s warning. Both failed beside other files on a loaded 2-core machine and
 * pass alone there, so they run after all the others, one at a time (~40 s).
 */
const ALONE = ['test/bench/soak.test.ts', 'test/diagnosis/lab-faults.test.ts'];

/**
 * The files that take longest (measured on a 2-core machine, longest first): mostly waiting on probe schedules,
 * the CloudTrail throttle and child processes rather than on the CPU. They start first, so the many short files run
 * beside them instead of after them. Without this, a fresh checkout (no vitest cache) orders files by size.
 */
const SLOW_FIRST = [
  'test/e2e/bucket-chain.test.ts',
  'test/e2e/alerts-live.test.ts',
  'test/e2e/readme-quickstart.test.ts',
  'test/cli/serve.test.ts',
  'test/cli/config-errors.test.ts',
  'test/probes/cloudtrail/cloudtrail.test.ts',
  'test/lab/awscli.test.ts',
  'test/cli/lab.test.ts',
  'test/cli/check-policy.test.ts',
  'test/clients/trail-scanner.test.ts',
  'test/e2e/crash.test.ts',
  'test/probes/hostile/hosts.test.ts',
  'test/probes/hostile/aws-faults.test.ts',
];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const i = SLOW_FIRST.indexOf(relative(spec.project.config.root, spec.moduleId));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep the base order (last run's durations, else file size).
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

// Node's on-disk compile cache (V8 code for every module loaded natively: the AWS SDK, fastify, the CLI's own sources)
// for the test workers and, through the environment they pass on, every `irsa-sentinel` process the tests spawn:
// each of those otherwise compiles the same modules again (about 0.4 s of CPU for the CLI, twice that for the agent).
// Checked against each file's content, so a changed source is compiled afresh. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'irsa-sentinel-test-compile-cache');

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // vitest's default for `run` is one worker per core less one: a single worker on 2 cores, which runs every file
    // one after another while most of the slow ones wait (on schedules, throttles, child processes) with the CPU idle.
    // One per core keeps both cores busy through those waits. Not more: several tests judge latencies (an issuer slower
    // than 2 s is ISSUER_SLOW, the small soak counts runs), and with 3 workers on 2 cores under other load (a load
    // average of ~20) five of them failed from CPU starvation.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        extends: true,
        test: { name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: {
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...ALONE],
          sequence: { groupOrder: 0 },
        },
      },
    ],
    coverage: { provider: 'v8', include: ['src/**/*.ts', 'probes/**/*.ts'], reporter: ['text', 'json-summary'] },
  },
});
