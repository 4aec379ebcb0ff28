import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

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
  'test/bench/soak.test.ts',
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
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // vitest's default for `run` is one worker per core less one: a single worker on 2 cores, which runs every file
    // one after another while most of the slow ones wait (on schedules, throttles, child processes) with the CPU idle.
    // One more worker than cores keeps the CPU busy through those waits.
    maxWorkers: availableParallelism() + 1,
    sequence: { sequencer: SlowFirstSequencer },
    coverage: { provider: 'v8', include: ['src/**/*.ts', 'probes/**/*.ts'], reporter: ['text', 'json-summary'] },
  },
});
