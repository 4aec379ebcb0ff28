// `irsa-sentinel serve`: the long-running agent. SIGTERM/SIGINT stop it gracefully; a second signal exits at once.
// SIGHUP, or a change of the config file or directory, reloads the configuration: a valid one is put in force without
// a restart, an invalid one is refused (the error logged as `validate` prints it) and the running one kept.
import type { Logger } from 'pino';
import type { Agent } from '../agent.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import { createLogger } from '../logger.ts';
import { startTelemetry } from '../telemetry/tracing.ts';
import { loadConfigOrExit } from './config-or-exit.ts';
import { watchConfig } from './config-watch.ts';
import type { ReloadReason } from './config-watch.ts';
import { onShutdownSignals } from './signals.ts';

export async function runServeCommand(opts: { config: string }): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  const log = createLogger(config.log.level);
  // Tracing starts before the agent's modules load, so the HTTP and AWS SDK instrumentations see them.
  const telemetry = await startTelemetry(process.env, (message, err) => log.warn({ err }, message));
  // The agent (AWS SDK, lab, probes) loads only once the configuration is known to be good.
  const { createAgent } = await import('../agent.ts');
  const agent = await createAgent(config, log, { alerting: true }).catch((err: unknown) => {
    // A taken lab port: one line and exit 2, before the lab touched any file (LAB_PORT_IN_USE).
    if ((err as { code?: unknown }).code !== 'LAB_PORT_IN_USE') throw err;
    process.stderr.write(
      `irsa-sentinel serve: lab ${(err as Error).message}; set lab.port in the config (0 picks a free one)\n`,
    );
    process.exit(2);
  });
  const api = await agent.api();
  await api.listen({ host: config.server.host, port: config.server.port });
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  agent.listening(`http://${config.server.host}:${port}`);
  agent.startScheduling();
  const url = `http://${config.server.host}:${port}`;
  // Where a browser on this machine opens the page (a wildcard bind address is not one to browse to).
  const local = `http://${['0.0.0.0', '::'].includes(config.server.host) ? '127.0.0.1' : config.server.host}:${port}`;
  const lab = agent.lab && { endpoint: agent.lab.endpoint, caFile: agent.lab.caFile };
  log.info(
    {
      url,
      page: `${local}/`,
      api: `${local}/api/v1/status`,
      clusters: agent.config.clusters.length,
      tracing: telemetry.enabled ? 'otlp' : 'off',
      ...(lab && { lab: lab.endpoint, labCaFile: lab.caFile }),
    },
    servingMessage(local, lab),
  );

  const watch = watchConfig({
    path: opts.config,
    reload: (reason) => reloadConfig(opts.config, agent, log, reason),
    onWatchError: (err) =>
      log.warn({ err, config: opts.config }, 'cannot watch the configuration for changes; SIGHUP still reloads it'),
  });

  onShutdownSignals({
    async stop() {
      watch.close();
      await api.close();
      await agent.stop();
      await telemetry.shutdown();
    },
    exit(code) {
      log.flush();
      process.exit(code);
    },
    report(event, detail) {
      log[detail.err ? 'error' : 'info'](detail, event);
    },
  });
}

/**
 * The line a person reads at start (README "Try it"): where to open the page, and with the embedded lab where it
 * listens and which CA file its certificates chain to. Tests find it by its first words, `irsa-sentinel serving`.
 */
export function servingMessage(local: string, lab?: { endpoint: string; caFile: string }): string {
  const serving = `irsa-sentinel serving the status page at ${local}/ (API ${local}/api/v1/status)`;
  return lab ? `${serving}; embedded lab at ${lab.endpoint} (CA ${lab.caFile})` : serving;
}

/** Load the configuration again and put it in force; whatever goes wrong is logged and the running one kept. */
async function reloadConfig(path: string, agent: Agent, log: Logger, reason: ReloadReason): Promise<void> {
  try {
    const report = await agent.reload(loadConfig(path));
    if (report.restart.length > 0)
      log.warn(
        { reason, keys: report.restart },
        `configuration changed where only a restart applies it (${report.restart.join(', ')}): running with the old values of those`,
      );
    if (report.applied.length === 0) log.info({ reason }, 'configuration reloaded: nothing to apply');
    else
      log.info({ reason, applied: report.applied, clusters: agent.config.clusters.length }, 'configuration reloaded');
  } catch (err) {
    // The text `irsa-sentinel validate` prints for the same files.
    if (err instanceof ConfigError)
      log.error({ reason, error: err.message }, 'configuration refused, the running one is kept');
    else log.error({ reason, err }, 'configuration could not be applied, the running one is kept');
  }
}
