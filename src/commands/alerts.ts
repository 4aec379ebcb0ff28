// `irsa-sentinel alerts`: the firing, pending and recently resolved alerts of the config's store, with their
// deliveries (sink names and outcomes, never URLs); `irsa-sentinel test-alert --sink NAME`: the sample alert through
// one sink, its outcome printed; exit 0 delivered, 1 not, 2 usage or config.
import { AlertError } from '../alerts/errors.ts';
import { sampleEvent } from '../alerts/sample.ts';
import { createSink } from '../alerts/sinks/index.ts';
import type { AlertView } from '../alerts/view.ts';
import { createAlertsView } from '../alerts/view.ts';
import { redactText } from '../redact.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { loadConfigOrExit } from './config-or-exit.ts';

export interface AlertsCommandOptions {
  config: string;
  json?: boolean;
}

const line = (a: AlertView): string[] => {
  const when =
    a.state === 'resolved'
      ? `resolved ${a.resolvedAt}`
      : a.state === 'firing'
        ? `since ${a.firedAt}`
        : `seen ${a.firstSeenAt}`;
  const quiet = a.quiet
    ? ` [held: ${a.quiet.kind === 'silence' ? `silence ${a.quiet.id}` : `maintenance ${a.quiet.name}`}]`
    : '';
  const out = [`${a.state.toUpperCase().padEnd(8)} ${a.severity.padEnd(8)} ${a.cluster} ${a.code} (${when})${quiet}`];
  out.push(`         ${a.content.summary}`);
  if (a.content.change)
    out.push(`         changed by ${a.content.change.actor}${a.content.change.at ? ` at ${a.content.change.at}` : ''}`);
  for (const d of a.deliveries) {
    const outcome = d.lastOutcome ? `: ${d.lastOutcome.message}` : '';
    out.push(`         -> ${d.sink} ${d.kind} ${d.status} after ${d.attempts} attempt(s)${outcome}`);
  }
  return out;
};

export function runAlertsCommand(opts: AlertsCommandOptions): void {
  const config = loadConfigOrExit(opts.config);
  const store = openSqliteStore({ dataDir: config.storage.dataDir, inMemory: config.storage.inMemory });
  try {
    const view = createAlertsView({
      store: store.alertStore(),
      maintenance: config.alerts.maintenance,
      recentHours: config.alerts.recentHours,
    });
    const firing = view.firing();
    const pending = view.pending();
    const recent = view.recent();
    const silences = view.silences();
    const maintenance = view.activeMaintenance();
    if (opts.json) {
      const strip = (list: AlertView[]) => list.map(({ content, ...rest }) => ({ ...rest, ...content }));
      const body = { firing: strip(firing), pending: strip(pending), recent: strip(recent), silences, maintenance };
      process.stdout.write(redactText(JSON.stringify(body, null, 2)) + '\n');
      return;
    }
    const out: string[] = [];
    if (firing.length + pending.length + recent.length === 0) out.push('no alerts');
    for (const a of [...firing, ...pending, ...recent]) out.push(...line(a));
    for (const s of silences)
      out.push(
        `silence ${s.id} until ${s.endsAt} by ${s.createdBy}: ${s.matchers.map((m) => `${m.name}${m.isRegex ? '=~' : '='}${m.value}`).join(', ')} (${s.comment})`,
      );
    for (const m of maintenance) out.push(`maintenance ${m.name} until ${m.endsAt}`);
    process.stdout.write(redactText(out.join('\n')) + '\n');
  } finally {
    store.close();
  }
}

export interface TestAlertOptions {
  config: string;
  sink: string;
}

export async function runTestAlertCommand(opts: TestAlertOptions): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  const found = config.alerts.sinks.find((s) => s.name === opts.sink);
  if (!found) {
    const known = config.alerts.sinks.map((s) => s.name);
    process.stderr.write(
      `irsa-sentinel test-alert: SINK_NOT_FOUND: no sink named "${opts.sink}" (sinks: ${known.join(', ') || 'none configured'})\n`,
    );
    process.exit(2);
  }
  let sink;
  try {
    sink = createSink(found, { sendResolved: config.alerts.sendResolved });
  } catch (err) {
    if (!(err instanceof AlertError)) throw err;
    process.stderr.write(
      `irsa-sentinel test-alert: ${err.code}: ${err.message}; under serve, use POST /api/v1/sinks/${opts.sink}/test\n`,
    );
    process.exit(2);
  }
  const base = config.server.publicUrl ?? `http://${config.server.host}:${config.server.port}`;
  const outcome = await sink.deliver(sampleEvent(new Date(), base), AbortSignal.timeout(sink.timeoutMs));
  await sink.close?.();
  const detail = [outcome.httpStatus !== undefined && `HTTP ${outcome.httpStatus}`, outcome.errorCode]
    .filter(Boolean)
    .join(', ');
  const text = outcome.ok
    ? `ok: the test alert reached sink ${sink.name} (${sink.type}, ${detail})\n`
    : `failed: sink ${sink.name} (${sink.type}): ${outcome.message}${detail ? ` (${detail})` : ''}\n`;
  (outcome.ok ? process.stdout : process.stderr).write(redactText(text));
  process.exitCode = outcome.ok ? 0 : 1;
}
