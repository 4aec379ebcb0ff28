// pino: JSON lines for machines, pretty when a person is watching a terminal.
import pino from 'pino';
import type { Logger } from 'pino';

export function createLogger(level: string, opts: { pretty?: boolean; destination?: number } = {}): Logger {
  const pretty = opts.pretty ?? (process.stderr.isTTY && !process.env.CI);
  const destination = opts.destination ?? 2;
  if (pretty) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { destination, colorize: true, translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  return pino({ level }, pino.destination({ fd: destination, sync: false }));
}
