// Issue 14's README acceptance: the README's quick start runs as written. Its first block starts the demo (with a free
// port and fresh data dirs through the variables the README documents); the values the reader copies from serve's
// "irsa-sentinel serving ..." line are taken from that line's words; then every command of the second block runs in
// one bash session, the real AWS CLI v2 (/usr/bin/aws) first on PATH, and each output the README shows (`#>` lines)
// must appear: alice's break brings the diagnosis and the alert, root's heal clears them. Every URL the quick start
// tells the reader to open must answer 200.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { requireAwsCli } from '../helpers/awscli.ts';
import { quickstartBlocks, quickstartCommands, unmetExpectations } from '../helpers/readme-quickstart.ts';
import type { QuickstartCommand } from '../helpers/readme-quickstart.ts';
import { startShell } from '../helpers/shell-session.ts';
import type { ShellSession } from '../helpers/shell-session.ts';

const ROOT = join(import.meta.dirname, '../..');
const README = join(ROOT, 'README.md');
/** The line the README tells the reader to copy SENTINEL, LAB and CA from. */
const SERVING =
  /^irsa-sentinel serving the status page at (http:\/\/\S+)\/ \(API \S+\); embedded lab at (https:\/\/\S+) \(CA (.+)\)$/;
/** How long a command whose output the README shows may take to show it (the demo's probes run every 15-30 s). */
const SHOWS_WITHIN_MS = 45_000;

interface Demo {
  sentinel: string;
  lab: string;
  caFile: string;
  log: string[];
}

let stopDemo: (() => Promise<void>) | undefined;
let shell: ShellSession | undefined;

afterAll(async () => {
  await shell?.close();
  await stopDemo?.();
});

/** The start block as written, minus `npm ci` (this checkout is installed; it would reinstall the shared tree). */
function startDemo(block: string[], dir: string): Promise<Demo> {
  const commands = quickstartCommands(block).map((c) => c.text);
  expect(commands[0], 'the quick start installs first').toBe('npm ci');
  const child = spawn('/bin/bash', ['-c', commands.slice(1).join('\n')], {
    cwd: ROOT,
    env: {
      ...process.env,
      IRSA_SENTINEL_PORT: '0',
      IRSA_SENTINEL_DATA_DIR: join(dir, 'data'),
      IRSA_SENTINEL_LAB_DIR: join(dir, 'lab'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // npm start runs the agent under npm and sh: stop the whole process group, and wait until the agent is gone too.
  stopDemo = async () => {
    signalGroup(child.pid!, 'SIGTERM');
    await exited;
    const end = Date.now() + 15_000;
    while (signalGroup(child.pid!, 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    signalGroup(child.pid!, 'SIGKILL');
  };
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stderr }).on('line', (line) => {
      log.push(line);
      let msg: unknown;
      try {
        msg = (JSON.parse(line) as { msg?: unknown }).msg;
      } catch {
        return; // npm's own lines
      }
      const m = typeof msg === 'string' ? SERVING.exec(msg) : null;
      if (m) resolve({ sentinel: m[1]!, lab: m[2]!, caFile: m[3]!, log });
    });
    void exited.then(() => reject(new Error(`the demo exited before serving:\n${log.slice(-20).join('\n')}`)));
  });
}

/** Signal the process group `pgid` leads (0: is any of it alive?); false when none of it is left. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The block's lines that set what the reader copies from the serving line, given this run's values. */
function withValuesFromLog(commands: QuickstartCommand[], demo: Demo): QuickstartCommand[] {
  const fromLog: Record<string, { written: RegExp; value: string }> = {
    SENTINEL: { written: /^SENTINEL=http:\/\/127\.0\.0\.1:8080$/, value: demo.sentinel },
    LAB: { written: /^LAB=https:\/\/127\.0\.0\.1:\d+$/, value: demo.lab },
    CA: { written: /^CA=\$PWD\/data\/lab\/ca\.pem$/, value: demo.caFile },
  };
  const seen = new Set<string>();
  const out = commands.map((c) => {
    const name = /^([A-Z]+)=/.exec(c.text)?.[1];
    const from = name === undefined ? undefined : fromLog[name];
    if (!from) return c;
    expect(c.text, `${name} as the README writes it`).toMatch(from.written);
    seen.add(name!);
    return { ...c, text: `${name}='${from.value}'` };
  });
  expect([...seen].sort(), 'the values copied from the serving line').toEqual(Object.keys(fromLog).sort());
  return out;
}

/** Run a command; one that shows output is run again until every `#>` line appears (as the README tells). */
async function runAsWritten(session: ShellSession, command: QuickstartCommand): Promise<void> {
  const deadline = Date.now() + SHOWS_WITHIN_MS;
  for (;;) {
    const { code, output } = await session.run(command.text);
    const unmet = unmetExpectations(command.expect, output);
    if (code === 0 && unmet.length === 0) return;
    if (command.expect.length === 0 || Date.now() > deadline) {
      throw new Error(
        `${command.text}\nexited ${code}${unmet.length ? `; never showed:\n${unmet.join('\n')}` : ''}\noutput:\n${output}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The URLs the quick start says to open (its section of the README), on this run's port. */
function urlsToOpen(sentinel: string): string[] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('## Try it');
  const section = text.slice(start, text.indexOf('\n## ', start + 1));
  const urls = [...new Set(section.match(/http:\/\/127\.0\.0\.1:8080\/[^\s)|`]*/g))];
  return urls.map((u) => u.replace('http://127.0.0.1:8080', sentinel));
}

/** The tools the quick start uses besides the AWS CLI; missing, the test fails saying so (.ci/run installs them). */
function requireQuickstartTools(): void {
  for (const tool of ['jq', 'curl']) {
    try {
      accessSync(`/usr/bin/${tool}`, constants.X_OK);
    } catch {
      throw new Error(`/usr/bin/${tool} is missing: the README's quick start uses it (apt-get install ${tool})`);
    }
  }
}

describe("the README's quick start", () => {
  it('starts the demo, and alice breaks a cluster and root heals it as written', { timeout: 180_000 }, async () => {
    requireAwsCli();
    requireQuickstartTools();
    const blocks = quickstartBlocks(README);
    expect([...blocks.keys()]).toEqual(['start the demo', 'break and heal']);
    const dir = mkdtempSync(join(tmpdir(), 'irsa-readme-'));
    const demo = await startDemo(blocks.get('start the demo')!, dir);

    const urls = urlsToOpen(demo.sentinel);
    expect(urls.length).toBeGreaterThanOrEqual(7);
    for (const url of urls) {
      const res = await request(url);
      await res.body.dump();
      expect(res.statusCode, url).toBe(200);
    }

    const home = join(dir, 'home');
    mkdirSync(home);
    // /usr/bin first: the AWS CLI v2 (PATH may resolve `aws` to a pip v1 on the build machine); nothing else inherited.
    shell = startShell(ROOT, { PATH: '/usr/bin:/bin', HOME: home, TMPDIR: dir, LANG: 'C.UTF-8' });
    const commands = withValuesFromLog(quickstartCommands(blocks.get('break and heal')!), demo);
    expect(commands.some((c) => /^aws --profile alice .* put-bucket-policy /.test(c.text))).toBe(true);
    expect(commands.some((c) => c.expect.includes('ok HEALTHY'))).toBe(true);
    for (const command of commands) {
      try {
        await runAsWritten(shell, command);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- serve's log:\n${demo.log.slice(-15).join('\n')}`, {
          cause: err,
        });
      }
    }
  });
});
