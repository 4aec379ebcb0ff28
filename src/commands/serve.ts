// `irsa-sentinel serve`: the long-running agent. SIGTERM/SIGINT stop it gracefully; a second signal exits at once.
import { createAgent } from '../agent.ts';
import { createLogger } from '../logger.ts';
import { loadConfigOrExit } from './config-or-exit.ts';

export async function runServeCommand(opts: { config: string }): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  const log = createLogger(config.log.level);
  const agent = await createAgent(config, log);
  const api = await agent.api();
  await api.listen({ host: config.server.host, port: config.server.port });
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  agent.startScheduling();
  log.info(
    { url: `http://${config.server.host}:${port}`, clusters: agent.config.clusters.length },
    'irsa-sentinel serving',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal, exiting now');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    const done = async (): Promise<void> => {
      await api.close();
      await agent.stop();
    };
    done().then(
      () => {
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
