// `irsa-sentinel serve` as a child process, as an operator runs it: its JSON log lines read from stderr, its URL
// taken from the "irsa-sentinel serving" line; stopped with SIGTERM.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const CLI = join(import.meta.dirname, '../../src/cli.ts');

export interface LogLine {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

export interface ServeProcess {
  child: ChildProcess;
  /** The API's base URL once it listens. */
  url: Promise<string>;
  lines: LogLine[];
  /** The last log lines, for a failure message. */
  tail(n?: number): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `logFile`: every line is appended there too (read it when a test fails). */
export function startServe(configFile: string, env: Record<string, string> = {}, logFile?: string): ServeProcess {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configFile], {
    env: { ...process.env, CI: 'true', AWS_EC2_METADATA_DISABLED: 'true', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr }).on('line', (line) => {
      raw.push(line);
      if (logFile) appendFileSync(logFile, `${line}\n`);
      try {
        const rec = JSON.parse(line) as LogLine;
        lines.push(rec);
        if (rec.msg?.startsWith('irsa-sentinel serving') && typeof rec.url === 'string') resolve(rec.url);
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${raw.slice(-20).join('\n')}`)));
  });
  url.catch(() => {});
  return {
    child,
    url,
    lines,
    tail: (n = 30) => raw.slice(-n).join('\n'),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Poll `fn` until `ok`, every `everyMs`; the last value, or a throw naming `what` after `ms`. */
export async function until<T>(
  what: string,
  fn: () => T | Promise<T>,
  ok: (v: T) => boolean,
  ms: number,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(v)?.slice(0, 500)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
