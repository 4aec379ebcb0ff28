// `npm run build` makes a dist/ that runs on its own. The build goes to a temporary /app laid out as the image's
// (dist/, package.json, node_modules: here a link to the repository's), and the CLI runs from there with another
// working directory: the Dockerfile's ENTRYPOINT starts the lab, validates config/example.yaml and serves the
// Helm chart's default config.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { execForm, readDockerfile, workdirAt } from './dockerfile.ts';

const ROOT = join(import.meta.dirname, '../..');
const ENV = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', CI: 'true' };

let tmp: string;
let app: string;
let cli: string;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: SpawnOptions): Promise<Exit> {
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

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

/** Resolves with the first line of `stream` for which `pick` returns a value; rejects if the process ends first. */
function firstLine<T>(child: ChildProcess, stream: 'stdout' | 'stderr', pick: (line: string) => T | undefined) {
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

const json = (line: string): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'irsa-dist-'));
  app = join(tmp, 'app');
  mkdirSync(app);
  copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
  const res = await run('npm', ['run', 'build', '--', '--outDir', join(app, 'dist')], { cwd: ROOT, env: ENV });
  expect(res.code, `npm run build:\n${res.stdout}\n${res.stderr}`).toBe(0);

  // The image's ENTRYPOINT, relative to its WORKDIR (/app), inside the temporary /app.
  const runtime = readDockerfile(join(ROOT, 'Dockerfile')).at(-1)!;
  const [, entry] = execForm(runtime, 'ENTRYPOINT') ?? [];
  const workdir = workdirAt(runtime, Infinity);
  cli = join(app, posix.relative(workdir, posix.resolve(workdir, entry ?? '')));
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('emits the ENTRYPOINT, every non-TypeScript file of the sources, and no import of a .ts file', () => {
    expect(existsSync(cli), cli).toBe(true);
    const dist = join(app, 'dist');
    const tsBuild = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { rootDir?: string };
      include: string[];
    };
    const rootDir = join(ROOT, tsBuild.compilerOptions.rootDir ?? '.');
    const assets = tsBuild.include.flatMap((d) => filesUnder(join(ROOT, d))).filter((f) => !f.endsWith('.ts'));
    expect(assets.some((f) => f.includes(join('src', 'lab', 'samples')))).toBe(true);
    for (const f of assets) expect(existsSync(join(dist, relative(rootDir, f))), relative(ROOT, f)).toBe(true);

    const emitted = filesUnder(dist);
    expect(emitted.filter((f) => f.endsWith('.ts'))).toEqual([]);
    const tsImport = /(?:from\s*|import\s*\(\s*)['"](\.{1,2}\/[^'"]*\.ts)['"]/;
    for (const f of emitted.filter((e) => e.endsWith('.js'))) {
      const m = tsImport.exec(readFileSync(f, 'utf8'));
      expect(m?.[1], `${relative(dist, f)} imports a .ts file`).toBeUndefined();
    }
  });

  it('runs the lab from dist: one lab-ready line on stdout, exit 0 on SIGTERM', { timeout: 60_000 }, async () => {
    const dataDir = join(tmp, 'lab');
    const child = spawn(process.execPath, [cli, 'lab', '--port', '0', '--data-dir', dataDir], {
      cwd: tmp,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = exited(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const { found, lines } = firstLine(child, 'stdout', (l) => (json(l)?.event === 'lab-ready' ? json(l) : undefined));
    const ready = await found.catch((err: Error) => {
      throw new Error(`${err.message}\nstderr:\n${stderr}`);
    });
    expect(ready.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.caFile).toBe(join(dataDir, 'ca.pem'));
    expect(existsSync(join(dataDir, 'ca.pem'))).toBe(true);
    expect((ready.clusters as string[]).length).toBeGreaterThan(0);
    // One request answered: the lab's event loop has turned since it printed the line, so its signal handlers
    // (installed right after the line) are in place.
    const ca = readFileSync(ready.caFile as string, 'utf8');
    const dispatcher = new Agent({ connect: { ca } });
    const info = await request(`${ready.endpoint as string}/_lab/v1/info`, {
      dispatcher,
      headers: { authorization: `Bearer ${ready.controlToken as string}` },
    });
    expect(info.statusCode).toBe(200);
    await info.body.dump();
    await dispatcher.close();
    child.kill('SIGTERM');
    expect(await done, stderr).toEqual({ code: 0, signal: null });
    expect(lines).toHaveLength(1);
  });

  it('validates config/example.yaml from dist: exit 0', { timeout: 30_000 }, async () => {
    const res = await run(process.execPath, [cli, 'validate', '--config', join(ROOT, 'config/example.yaml')], {
      cwd: tmp,
      env: ENV,
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^ok: /);
  });

  it(
    "serves the Helm chart's default config from dist: /healthz and /readyz answer 200, exit 0 on SIGTERM",
    { timeout: 60_000 },
    async () => {
      // values.yaml's config as the chart renders it, with a free port and the data dirs moved under tmp.
      const values = parse(readFileSync(join(ROOT, 'charts/irsa-sentinel/values.yaml'), 'utf8')) as {
        config: { server: { port: number }; storage: { dataDir: string }; lab?: { dataDir: string } };
        persistence: { mountPath: string };
      };
      const { config } = values;
      const { mountPath } = values.persistence;
      const moved = (dir: string) => join(tmp, 'serve', relative(mountPath, dir));
      config.server.port = 0;
      config.storage.dataDir = moved(config.storage.dataDir);
      if (config.lab) config.lab.dataDir = moved(config.lab.dataDir);
      const file = join(tmp, 'config.yaml');
      writeFileSync(file, stringify(config));

      const child = spawn(process.execPath, [cli, 'serve', '--config', file], {
        cwd: tmp,
        env: ENV,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const done = exited(child);
      const { found, lines } = firstLine(child, 'stderr', (l) => {
        const rec = json(l);
        return rec?.msg === 'irsa-sentinel serving' ? (rec.url as string) : undefined;
      });
      const url = new URL(await found);
      expect(url.hostname).toBe('0.0.0.0');
      const base = `http://127.0.0.1:${url.port}`;
      for (const path of ['/healthz', '/readyz']) {
        const res = await request(`${base}${path}`);
        expect(res.statusCode, path).toBe(200);
        await res.body.dump();
      }
      child.kill('SIGTERM');
      expect(await done, lines.join('\n')).toEqual({ code: 0, signal: null });
    },
  );
});
