// pino: JSON lines for machines, pretty when a person is watching a terminal. Every line is redacted as it is written
// (src/redact.ts): pino's `redact` paths only know fields, and a token can sit in any message or error text.
import pino from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';
import { redactText } from './redact.ts';

/** What every logger of the agent is made with: the level and the redaction of each serialized line. */
export const loggerOptions = (level: string): LoggerOptions => ({ level, hooks: { streamWrite: redactText } });

export function createLogger(
  level: string,
  opts: { pretty?: boolean; destination?: number; stream?: DestinationStream } = {},
): Logger {
  if (opts.stream) return pino(loggerOptions(level), opts.stream);
  const pretty = opts.pretty ?? (process.stderr.isTTY && !process.env.CI);
  const destination = opts.destination ?? 2;
  if (pretty) {
    return pino({
      ...loggerOptions(level),
      transport: { target: 'pino-pretty', options: { destination, colorize: true, translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  return pino(loggerOptions(level), pino.destination({ fd: destination, sync: false }));
}
