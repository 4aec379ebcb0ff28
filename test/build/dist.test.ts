// `npm run build` makes a dist/ that runs on its own with production dependencies only, as in the image. The build
// goes to a temporary /app laid out as the image's: dist/, package.json and package-lock.json, and node_modules from
// `npm ci --omit=dev --ignore-scripts` (the image's install; the registry or npm's cache is needed). The CLI runs from
// there with another working directory: the Dockerfile's ENTRYPOINT starts the lab, validates config/example.yaml,
// serves the Helm chart's default config and a config without the lab, and the Dockerfile's HEALTHCHECK command
// asks the served /healthz.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { execForm, healthcheck, readDockerfile, workdirAt } from './dockerfile.ts';
import { exited, firstLine, json, run } from './processes.ts';

const ROOT = join(import.meta.dirname, '../..');
const ENV = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', CI: 'true' };
// npm's own settings of the `npm test` that runs this must not steer the nested install.
const NPM_ENV = Object.fromEntries(Object.entries(ENV).filter(([k]) => !/^npm_/i.test(k)));
const runtime = readDockerfile(join(ROOT, 'Dockerfile')).at(-1)!;

let tmp: string;
let app: string;
let cli: string;
let install: { ms: number; stderr: string };

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Starts `serve` from dist with a config; resolves with its base URL once it listens, and a stop function. */
async function serve(config: object, name: string) {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  const child = spawn(process.execPath, [cli, 'serve', '--config', file], {
    cwd: tmp,
    env: ENV,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const done = exited(child);
  const { found, lines } = firstLine(child, 'stderr', (l) => {
    const rec = json(l);
    return String(rec?.msg).startsWith('irsa-sentinel serving') ? (rec?.url as string) : undefined;
  });
  const url = new URL(await found);
  return {
    url,
    base: `http://127.0.0.1:${url.port}`,
    lines,
    stop: async () => {
      child.kill('SIGTERM');
      return done;
    },
  };
}

async function get(url: string) {
  const res = await request(url);
  await res.body.dump();
  return res.statusCode;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'irsa-dist-'));
  app = join(tmp, 'app');
  mkdirSync(app);
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, f), join(app, f));
  // The build and the install write different folders: run both at once.
  const started = Date.now();
  const [build, ci] = await Promise.all([
    run('npm', ['run', 'build', '--', '--outDir', join(app, 'dist')], { cwd: ROOT, env: ENV }),
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: app,
      env: NPM_ENV,
    }).then((res) => ({ ...res, ms: Date.now() - started })),
  ]);
  expect(build.code, `npm run build:\n${build.stdout}\n${build.stderr}`).toBe(0);
  expect(ci.code, `npm ci --omit=dev:\n${ci.stdout}\n${ci.stderr}`).toBe(0);
  install = { ms: ci.ms, stderr: ci.stderr };

  // The image's ENTRYPOINT, relative to its WORKDIR (/app), inside the temporary /app.
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
    "serves the Helm chart's default config (the lab): /healthz and /readyz answer 200, exit 0 on SIGTERM",
    {
      timeout: 60_000,
    },
    async () => {
      // values.yaml's config as the chart renders it, with a free port and the data dirs moved under tmp.
      const values = parse(readFileSync(join(ROOT, 'charts/irsa-sentinel/values.yaml'), 'utf8')) as {
        config: { server: { port: number }; storage: { dataDir: string }; lab?: { dataDir: string } };
        persistence: { mountPath: string };
      };
      const { config } = values;
      const moved = (dir: string) => join(tmp, 'serve', relative(values.persistence.mountPath, dir));
      config.server.port = 0;
      config.storage.dataDir = moved(config.storage.dataDir);
      if (config.lab) config.lab.dataDir = moved(config.lab.dataDir);
      const agent = await serve(config, 'chart-default');
      expect(agent.url.hostname).toBe('0.0.0.0');
      for (const path of ['/healthz', '/readyz']) expect(await get(`${agent.base}${path}`), path).toBe(200);
      expect(await agent.stop(), agent.lines.join('\n')).toEqual({ code: 0, signal: null });
    },
  );
});

describe('the production install (npm ci --omit=dev, as in the image)', () => {
  it('holds every production dependency of the lockfile and no development one', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
    };
    const entries = Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/'));
    const dev = entries.filter(([, p]) => p.dev).map(([path]) => path);
    const prod = entries.filter(([, p]) => !p.dev && !p.optional && !p.devOptional).map(([path]) => path);
    expect(dev).toEqual(
      expect.arrayContaining(['node_modules/vitest', 'node_modules/typescript', 'node_modules/node']),
    );
    expect(
      dev.filter((path) => existsSync(join(app, path))),
      'development packages installed',
    ).toEqual([]);
    expect(
      prod.filter((path) => !existsSync(join(app, path))),
      'production packages missing',
    ).toEqual([]);
    // The `node` devDependency (its preinstall downloads a Node 24) is not there: dist runs on this process's Node.
    expect(existsSync(join(app, 'node_modules/.bin/node'))).toBe(false);
    console.info(`npm ci --omit=dev took ${install.ms} ms`);
  });

  it(
    'serves a fleet without the lab (an unreachable issuer): /healthz 200, and the image HEALTHCHECK passes',
    {
      timeout: 60_000,
    },
    async () => {
      const agent = await serve(
        {
          server: { host: '127.0.0.1', port: 0 },
          storage: { dataDir: join(tmp, 'no-lab') },
          log: { level: 'info' },
          // .invalid never resolves (RFC 6761): the issuer probe fails; the agent must serve regardless.
          clusters: [
            { name: 'unreachable', issuer: 'https://oidc.issuer.invalid', region: 'us-east-1', probes: ['issuer'] },
          ],
        },
        'no-lab',
      );
      expect(await get(`${agent.base}/healthz`)).toBe(200);
      // The HEALTHCHECK's exec form, run as Docker runs it, with the URL the image sets pointed at this agent.
      const check = healthcheck(runtime)!;
      const [cmd, ...args] = check.cmd;
      expect(cmd).toBe('node');
      const probe = (url: string) =>
        run(process.execPath, args, { cwd: tmp, env: { PATH: process.env.PATH, IRSA_SENTINEL_HEALTHCHECK_URL: url } });
      const healthy = await probe(`${agent.base}/healthz`);
      expect(healthy.code, healthy.stderr).toBe(0);
      expect((await probe(`${agent.base}/no-such-route`)).code, 'a 404 is unhealthy').toBe(1);
      expect(await agent.stop(), agent.lines.join('\n')).toEqual({ code: 0, signal: null });
      expect((await probe(`${agent.base}/healthz`)).code, 'nothing listening is unhealthy').toBe(1);
    },
  );
});
