// V8 sized for a monitoring agent rather than for throughput. Node's defaults size the heap from the machine: on a
// 24 GiB host the young generation grows to two 32 MiB semi-spaces and the old generation is let grow to several times
// its live size before a full collection, so `check` of 1,000 clusters peaked at 715 MiB RSS (350 MiB of heap used)
// for ~100 MiB of live objects. The agent's commands (serve, check, check-policy) set two GC heuristics at start,
// before their modules load:
//   --semi-space-growth-factor=1   the young generation keeps its initial size instead of doubling up to 2 x 32 MiB;
//   --heap-growing-percent=50      after a full collection the old generation may grow by half its live size before
//                                  the next one, not by several times it; no hard limit: a larger fleet still gets
//                                  the heap it needs.
// Measured on a quiet 2-core machine at 1,000 clusters (README "bench:fleet"): 374 MiB peak and a 56.6 s cycle (55 s of
// agent CPU), against 712 MiB and 47.0 s (41 s) with Node's defaults; --optimize-for-size held 315-327 MiB but cost
// twice the CPU (a 72-77 s cycle, and 40 % fewer API requests per second), so it is not used.
// Both are read by V8 at each collection, so setting them at run time takes effect (measured: README "bench:fleet");
// --max-semi-space-size and --max-old-space-size do not (they are read once, when the heap is set up). A user who sizes
// the heap themselves (any of the flags below on the command line or in NODE_OPTIONS) gets exactly what they asked.
import { setFlagsFromString } from 'node:v8';

export const AGENT_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=50'] as const;

/** Node and V8 options that size the heap: when one is given, the agent's defaults are not applied. */
const SIZING =
  /^--(?:no-)?(?:optimize[-_]for[-_]size|heap[-_]growing[-_]percent|semi[-_]space[-_]growth[-_]factor|(?:max|min)[-_]semi[-_]space[-_]size|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size|initial[-_]heap[-_]size)(?:=|$)/;

/** Whether the process was started with options of its own that size the heap. */
export function heapSizedByUser(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((arg) => SIZING.test(arg));
}

/** Applies AGENT_HEAP_FLAGS unless the user sized the heap; returns the flags applied. */
export function applyAgentHeapDefaults(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): readonly string[] {
  if (heapSizedByUser(execArgv, nodeOptions)) return [];
  for (const flag of AGENT_HEAP_FLAGS) setFlagsFromString(flag);
  return AGENT_HEAP_FLAGS;
}
