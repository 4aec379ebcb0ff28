// One bash session, as a reader's terminal: commands run one after another in the same shell, so what one sets or
// exports the next sees. Each runs with stdin from /dev/null and stderr joined to stdout; its output and exit code
// are read up to a marker line the session prints after it.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';

export interface ShellResult {
  code: number;
  output: string;
}

export interface ShellSession {
  run(command: string, timeoutMs?: number): Promise<ShellResult>;
  close(): Promise<void>;
}

export function startShell(cwd: string, env: NodeJS.ProcessEnv): ShellSession {
  const child = spawn('/bin/bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let buffer = '';
  let waiter: (() => void) | undefined;
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    waiter?.();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return {
    async run(command, timeoutMs = 30_000) {
      const marker = `__readme_quickstart_${randomUUID()}__`;
      buffer = '';
      child.stdin.write(`{\n${command}\n} </dev/null 2>&1; printf '\\n${marker} %s\\n' "$?"\n`);
      const done = new RegExp(`\\n${marker} (\\d+)\\n`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = done.exec(buffer);
        if (m) return { code: Number(m[1]), output: buffer.slice(0, m.index) };
        if (child.exitCode !== null) throw new Error(`the shell exited ${child.exitCode}: ${buffer}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`not done within ${timeoutMs} ms: ${command}\n${buffer}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        waiter = undefined;
      }
    },
    async close() {
      child.stdin.end();
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
