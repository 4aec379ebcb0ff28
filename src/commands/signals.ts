// Shutdown on SIGTERM/SIGINT: the first signal stops gracefully, a second one exits at once.
export type ShutdownEvent = 'stopping' | 'second signal, exiting now' | 'error while stopping';

export interface ShutdownHooks {
  /** Graceful stop; a rejection is reported and exits 1. */
  stop: (signal: NodeJS.Signals) => Promise<void>;
  exit: (code: number) => void;
  report: (event: ShutdownEvent, detail: { signal: NodeJS.Signals; err?: unknown }) => void;
}

/** The handler for every shutdown signal (exported for tests; `onShutdownSignals` installs it). */
export function shutdownHandler(hooks: ShutdownHooks): (signal: NodeJS.Signals) => void {
  let stopping = false;
  return (signal) => {
    if (stopping) {
      hooks.report('second signal, exiting now', { signal });
      hooks.exit(130);
      return;
    }
    stopping = true;
    hooks.report('stopping', { signal });
    hooks.stop(signal).then(
      () => hooks.exit(0),
      (err: unknown) => {
        hooks.report('error while stopping', { signal, err });
        hooks.exit(1);
      },
    );
  };
}

export function onShutdownSignals(hooks: ShutdownHooks): void {
  const handler = shutdownHandler(hooks);
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
