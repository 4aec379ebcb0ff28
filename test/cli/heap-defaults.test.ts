// The agent's V8 sizing (src/heap-defaults.ts): applied unless the user sized the heap, and effective when set at run
// time (a Node upgrade that turned the flags into no-ops would show here: the young generation would grow again).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heapSizedByUser } from '../../src/heap-defaults.ts';

const MODULE = join(import.meta.dirname, '..', '..', 'src', 'heap-defaults.ts');

/** The young generation's size (MiB) after allocating ~1 GiB of short-lived objects, in a process of its own. */
function newSpaceMiB(apply: boolean): number {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    ${apply ? `const { applyAgentHeapDefaults } = await import(${JSON.stringify(MODULE)}); applyAgentHeapDefaults([], '');` : ''}
    let keep = [];
    for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i, a: [i, i] }); if (keep.length > 20000) keep = []; }
    const ns = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stdout.write(String(ns.space_size / 2 ** 20));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('the agent heap defaults', () => {
  it('step aside when the command line or NODE_OPTIONS sizes the heap', () => {
    expect(heapSizedByUser([], undefined)).toBe(false);
    expect(heapSizedByUser(['--import', 'x.ts', '--heap-prof'], '--enable-source-maps')).toBe(false);
    expect(heapSizedByUser(['--max-old-space-size=512'], undefined)).toBe(true);
    expect(heapSizedByUser([], '--enable-source-maps  --max-semi-space-size=4')).toBe(true);
    expect(heapSizedByUser(['--no-optimize-for-size'], '')).toBe(true);
    expect(heapSizedByUser(['--max_heap_size=300'], '')).toBe(true);
    expect(heapSizedByUser(['--max-old-space-size-percentage=50'], '')).toBe(false);
  });

  it('keep the young generation at its initial size when set at run time', () => {
    expect(newSpaceMiB(true)).toBeLessThanOrEqual(8);
  }, 60_000);
});
