// `irsa-sentinel serve`: the long-running agent. SIGTERM/SIGINT stop it gracefully; a second signal exits at once.
import { createLogger } from '../logger.ts';
import { loadConfigOrExit } from './config-or-exit.ts';
import { onShutdownSignals } from './signals.ts';

export async function runServeCommand(opts: { config: string }): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  // The agent (AWS SDK, lab, probes) loads only once the configuration is known to be good.
  const { createAgent } = await import('../agent.ts');
  const log = createLogger(config.log.level);
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
  log.info(
    { url: `http://${config.server.host}:${port}`, clusters: agent.config.clusters.length },
    'irsa-sentinel serving',
  );

  onShutdownSignals({
    async stop() {
      await api.close();
      await agent.stop();
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
