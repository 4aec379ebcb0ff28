// `irsa-sentinel check`: every probe once for the chosen clusters; a table (or --json); exit 0 ok/warn, 1 fail, 2 usage.
import { diagnose } from '../diagnosis/diagnose.ts';
import { createLogger } from '../logger.ts';
import { startTelemetry } from '../telemetry/tracing.ts';
import { redactValue } from '../redact.ts';
import type { ProbeName, ProbeResult } from '../core/model.ts';
import { PROBE_NAMES, worst } from '../core/model.ts';
import { UnknownClusterError, UnknownProbeError } from '../scheduler/scheduler.ts';
import { loadConfigOrExit } from './config-or-exit.ts';
import { formatCheckTable } from './check-format.ts';

export interface CheckOptions {
  config: string;
  cluster?: string[];
  probe?: string[];
  json?: boolean;
}

export async function runCheckCommand(opts: CheckOptions): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  for (const p of opts.probe ?? []) {
    if (!(PROBE_NAMES as readonly string[]).includes(p)) {
      process.stderr.write(`irsa-sentinel check: --probe ${p}: must be one of ${PROBE_NAMES.join(', ')}\n`);
      process.exit(2);
    }
  }
  // A one-shot run keeps nothing: results go to an in-memory store.
  const log = createLogger(process.env.IRSA_SENTINEL_LOG_LEVEL ?? 'warn');
  // Tracing (when OTEL_* asks for it) starts before the agent's modules load; the cycle is flushed before exiting.
  const telemetry = await startTelemetry(process.env, (message, err) => log.warn({ err }, message));
  // The agent (AWS SDK, lab, probes) loads only once the configuration and flags are known to be good.
  const { createAgent } = await import('../agent.ts');
  const tty = process.stderr.isTTY && !opts.json;
  let done = 0;
  const progress = (r: ProbeResult): void => {
    done++;
    process.stderr.write(`  [${done}] ${r.cluster} ${r.probe}: ${r.status} (${r.durationMs} ms)\n`);
  };
  const agent = await createAgent({ ...config, storage: { ...config.storage, inMemory: true } }, log, {
    metrics: false,
    ...(tty ? { onResult: progress } : {}),
  });
  let results: ProbeResult[];
  try {
    if (tty) process.stderr.write(`checking ${checkedClusters(agent.config.clusters.length, opts.cluster)}…\n`);
    results = await agent.scheduler.runOnce({
      ...(opts.cluster?.length ? { clusters: opts.cluster } : {}),
      ...(opts.probe?.length ? { probes: opts.probe as ProbeName[] } : {}),
    });
  } catch (err) {
    await agent.stop();
    if (err instanceof UnknownClusterError || err instanceof UnknownProbeError) {
      process.stderr.write(`irsa-sentinel check: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  await agent.stop();
  await telemetry.shutdown();
  const overall = worst(results.map((r) => r.status));
  // The root cause per cluster comes first, from every probe's result of this run.
  const computed = [...Map.groupBy(results, (r) => r.cluster)].map(([cluster, rs]) => ({ cluster, ...diagnose(rs) }));
  // What is printed is redacted as the store redacts what it keeps (src/redact.ts).
  if (opts.json) {
    // Written a result at a time: the whole document (7.7 MB at 1,000 clusters) and a redacted copy of every result
    // were the last peak of the agent's memory.
    for (const chunk of checkJson(overall, computed, results)) process.stdout.write(chunk);
  } else {
    const { diagnoses } = redactValue({ diagnoses: computed }).value;
    process.stdout.write(
      formatCheckTable(redactValue(results).value, overall, diagnoses, {
        ...(process.stdout.isTTY && { width: process.stdout.columns }),
      }),
    );
  }
  process.exit(overall === 'fail' ? 1 : 0);
}

/**
 * The `--json` document, byte for byte `JSON.stringify({ status, diagnoses, results }, null, 2) + '\n'` of the
 * redacted values, in pieces of about 64 KiB: each diagnosis and result is redacted and serialized on its own.
 */
export function* checkJson(
  status: string,
  diagnoses: readonly unknown[],
  results: readonly unknown[],
): Generator<string> {
  let buffer = `{\n  "status": ${JSON.stringify(status)},\n  "diagnoses": `;
  for (const [key, items] of [
    ['diagnoses', diagnoses],
    ['results', results],
  ] as const) {
    if (key === 'results') buffer += ',\n  "results": ';
    if (items.length === 0) {
      buffer += '[]';
      continue;
    }
    buffer += '[\n';
    for (const [i, item] of items.entries()) {
      // Nested two levels deep: JSON text has no raw newline inside a string, so every line is the item's own.
      buffer += `    ${JSON.stringify(redactValue(item).value, null, 2).replaceAll('\n', '\n    ')}`;
      buffer += i < items.length - 1 ? ',\n' : '\n  ]';
      if (buffer.length >= 65_536) {
        yield buffer;
        buffer = '';
      }
    }
  }
  yield `${buffer}\n}\n`;
}

/** "1 cluster (vpce-locked)", "3 clusters": what a run checks. */
export function checkedClusters(fleet: number, chosen: readonly string[] | undefined): string {
  const names = chosen?.length ? [...new Set(chosen)] : undefined;
  const n = names?.length ?? fleet;
  return `${n} cluster${n === 1 ? '' : 's'}${names ? ` (${names.join(', ')})` : ''}`;
}
