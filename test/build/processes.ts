// Child processes for the build tests: run one to its end, wait for its exit, or for a line it prints.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: SpawnOptions): Promise<Exit> {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

/** Resolves with the first line of `stream` for which `pick` returns a value; rejects if the process ends first. */
export function firstLine<T>(child: ChildProcess, stream: 'stdout' | 'stderr', pick: (line: string) => T | undefined) {
  const lines: string[] = [];
  const found = new Promise<T>((resolve, reject) => {
    createInterface({ input: child[stream]! }).on('line', (line) => {
      lines.push(line);
      const v = pick(line);
      if (v !== undefined) resolve(v);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before the line; ${stream}:\n${lines.join('\n')}`)));
  });
  return { found, lines };
}

export const json = (line: string): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};
