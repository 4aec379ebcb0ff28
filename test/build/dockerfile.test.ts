// The Dockerfile's invariants, checked against the repository without a container engine: Node 24 bases, what
// each stage copies exists (and is not .dockerignored), the build stage's order, the runtime stage holds only
// dist/, production node_modules, package.json and config/, the ENTRYPOINT is a file the build emits, and the
// agent runs as a numeric non-root user. test/build/dist.test.ts runs that ENTRYPOINT from a real build.
import { IMAGE_ENV } from '../../bench/image-env.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  copies,
  copyTarget,
  dockerignored,
  execForm,
  healthcheck,
  keyValues,
  readDockerfile,
  workdirAt,
} from './dockerfile.ts';
import type { Stage } from './dockerfile.ts';

const ROOT = join(import.meta.dirname, '../..');
const stages = readDockerfile(join(ROOT, 'Dockerfile'));
const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  description: string;
  license: string;
  scripts: Record<string, string>;
  allowScripts?: Record<string, boolean>;
  devDependencies: Record<string, string>;
  engines: { node: string };
};
const tsBuild = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
  extends?: string;
  compilerOptions: { rootDir?: string; outDir?: string };
  include: string[];
};
const OUT_DIR = tsBuild.compilerOptions.outDir ?? 'dist';
const ROOT_DIR = tsBuild.compilerOptions.rootDir ?? '.';

const build = stages.find((s) => s.name === 'build');
const runtime = stages.at(-1)!;
const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN');
const last = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).at(-1);

/** Absolute paths a stage's COPY instructions from the build context put in the image, with their sources. */
function contextCopies(stage: Stage): { source: string; target: string }[] {
  return copies(stage)
    .filter((c) => c.from === undefined)
    .flatMap((c) =>
      c.sources.map((source) => {
        const isDir = existsSync(join(ROOT, source)) && statSync(join(ROOT, source)).isDirectory();
        return { source: posix.normalize(source).replace(/\/$/, ''), target: copyTarget(stage, c, source, isDir) };
      }),
    );
}

describe('Dockerfile', () => {
  it('builds in a stage named build and runs in a final stage, both on Node 24, the Node the project pins', () => {
    expect(build, 'a stage `FROM … AS build`').toBeDefined();
    expect(runtime).not.toBe(build);
    const nodeMajor = /(\d+)/.exec(pkg.devDependencies.node ?? '')?.[1];
    expect(nodeMajor, 'devDependencies.node').toBe('24');
    expect(pkg.engines.node).toBe(`>=${nodeMajor}`);
    const names = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
    for (const s of stages.filter((st) => !names.has(st.image))) {
      expect(s.image).toMatch(
        new RegExp(
          `^(?:(?:docker\\.io/)?(?:library/)?node:${nodeMajor}(?:\\.\\d+)*(?:-[a-z0-9-]+)?|gcr\\.io/distroless/nodejs${nodeMajor}-[a-z0-9-]+(?::[\\w.-]+)?)(?:@sha256:[0-9a-f]{64})?$`,
        ),
      );
    }
  });

  it('copies from the build context only paths that exist and that .dockerignore lets through', () => {
    const sources = stages.flatMap(contextCopies).map((c) => c.source);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), `COPY ${source}: not in the repository`).toBe(true);
      expect(dockerignored(ignore, source), `COPY ${source}: excluded by .dockerignore`).toBe(false);
    }
  });

  it('gives the build stage everything `npm run build` reads: lockfile, tsconfigs, build script, sources', () => {
    const copied = new Set(contextCopies(build!).map((c) => c.source));
    const script = /^node (\S+)/.exec(pkg.scripts.build ?? '')?.[1];
    const needed = [
      'package.json',
      'package-lock.json',
      'tsconfig.build.json',
      ...(tsBuild.extends ? [posix.normalize(tsBuild.extends)] : []),
      ...tsBuild.include.map((d) => posix.normalize(d)),
      ...(script ? [posix.normalize(script)] : []),
    ];
    for (const path of needed) {
      const covered = [...copied].some((c) => path === c || path.startsWith(`${c}/`));
      expect(covered, `the build stage does not COPY ${path}`).toBe(true);
    }
  });

  it('runs npm ci, then npm run build, then prunes the dev dependencies, on the base image Node', () => {
    const cmds = runs(build!).map((r) => r.args);
    const at = (re: RegExp) => cmds.findIndex((c) => re.test(c));
    const ci = at(/\bnpm ci\b/);
    const buildRun = at(/\bnpm run build\b/);
    const prune = at(/\bnpm prune\b.*--omit=dev/);
    expect(ci, 'npm ci').toBeGreaterThanOrEqual(0);
    expect(buildRun, 'npm run build after npm ci').toBeGreaterThanOrEqual(ci);
    expect(prune, 'npm prune --omit=dev').toBeGreaterThanOrEqual(buildRun);
    const buildCmd = cmds[buildRun]!;
    expect(buildCmd.indexOf('npm prune')).toBeGreaterThan(buildCmd.indexOf('npm run build'));
    // `npm ci --ignore-scripts` is safe only while no production dependency needs its install script (the `node`
    // devDependency's downloads the Node 24 that npm scripts use outside the image; the image has its own). Scripts
    // package.json's allowScripts denies (protobufjs: a version-scheme check) never run anyway.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean; dev?: boolean }>;
    };
    const denied = new Set(
      Object.entries(pkg.allowScripts ?? {})
        .filter(([, allowed]) => allowed === false)
        .map(([name]) => name),
    );
    if (/--ignore-scripts/.test(cmds[ci]!)) {
      const prodScripts = Object.entries(lock.packages)
        .filter(([path, p]) => path !== '' && p.hasInstallScript && !p.dev)
        .map(([path]) => path)
        .filter((path) => !denied.has(path.replace(/^.*node_modules\//, '')));
      expect(prodScripts, 'production dependencies with install scripts skipped by --ignore-scripts').toEqual([]);
    }
    // Nothing before `build` may insist on node_modules/.bin/node (as `pretest` does for the tests).
    expect(pkg.scripts.prebuild, 'a prebuild script').toBeUndefined();
  });

  it('puts only dist/, production node_modules, package.json and config/ in the runtime stage', () => {
    const workdir = workdirAt(runtime, Infinity);
    expect(workdir).toBe('/app');
    const buildWorkdir = workdirAt(build!, Infinity);
    // What the build stage has at its end (absolute path -> is a directory): what it copied from the context,
    // node_modules from npm ci, the build's outDir.
    const produced = new Map<string, boolean>([
      ...contextCopies(build!).map((c): [string, boolean] => [c.target, statSync(join(ROOT, c.source)).isDirectory()]),
      [posix.join(buildWorkdir, 'node_modules'), true],
      [posix.resolve(buildWorkdir, OUT_DIR), true],
    ]);
    const targets: string[] = [];
    for (const c of copies(runtime)) {
      for (const source of c.sources) {
        if (c.from === undefined) {
          targets.push(copyTarget(runtime, c, source, statSync(join(ROOT, source)).isDirectory()));
          continue;
        }
        expect(c.from).toBe(build!.name);
        const abs = posix.resolve(buildWorkdir, source);
        const isDir = produced.get(abs);
        expect(isDir, `COPY --from=build ${source}: the build stage does not make it`).toBeDefined();
        targets.push(copyTarget(runtime, c, abs, isDir!));
      }
    }
    expect(targets.sort()).toEqual(['/app/config', '/app/dist', '/app/node_modules', '/app/package.json']);
    expect(
      runs(runtime).some((r) => /\bnpm (ci|install|run)\b/.test(r.args)),
      'npm in the runtime stage',
    ).toBe(false);
  });

  it('enters through the CLI the build emits: node <outDir>/<path under rootDir>.js of a source .ts file', () => {
    const entry = execForm(runtime, 'ENTRYPOINT');
    expect(entry?.[0]).toBe('node');
    expect(entry).toHaveLength(2);
    const file = posix.resolve(workdirAt(runtime, Infinity), entry![1]!);
    const distDir = posix.join('/app', OUT_DIR);
    expect(file.startsWith(`${distDir}/`), `${file} is not under ${distDir}`).toBe(true);
    const source = posix.join(ROOT_DIR, posix.relative(distDir, file)).replace(/\.js$/, '.ts');
    expect(existsSync(join(ROOT, source)), `${source} (compiled to ${file})`).toBe(true);
    expect(tsBuild.include.some((d) => source.startsWith(`${posix.normalize(d)}/`))).toBe(true);
    // The same CLI as the npm bin, which runs the sources.
    expect(readFileSync(join(ROOT, 'bin/irsa-sentinel.js'), 'utf8')).toContain(`'../${source}'`);
  });

  it('serves the config at /etc/irsa-sentinel/config.yaml by default', () => {
    expect(execForm(runtime, 'CMD')).toEqual(['serve', '--config', '/etc/irsa-sentinel/config.yaml']);
  });

  it('runs as a numeric non-root user that owns the data volume, NODE_ENV=production, port 8080', () => {
    const user = last(runtime, 'USER')?.args;
    const m = /^(\d+)(?::(\d+))?$/.exec(user ?? '');
    expect(m, `USER ${user} (numeric uid[:gid], so runAsNonRoot can verify it)`).not.toBeNull();
    const uid = Number(m![1]);
    expect(uid).toBeGreaterThan(0);
    expect(uid).toBe(10001);
    const volume = last(runtime, 'VOLUME')?.args ?? '';
    const volumes = volume.startsWith('[') ? (JSON.parse(volume) as string[]) : volume.split(/\s+/);
    expect(volumes).toEqual(['/var/lib/irsa-sentinel']);
    const chown = runs(runtime).some((r) =>
      new RegExp(`chown ${uid}(?::\\d+)? +/var/lib/irsa-sentinel\\b`).test(r.args),
    );
    expect(chown, `a RUN chown ${uid} /var/lib/irsa-sentinel`).toBe(true);
    const env = runtime.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args);
    expect(env.some((e) => /(^|\s)NODE_ENV[= ]production\b/.test(e))).toBe(true);
    expect(last(runtime, 'EXPOSE')?.args).toBe('8080');
  });

  it('sets the environment bench:fleet measures the agent with (bench/image-env.ts)', () => {
    const env = keyValues(runtime, 'ENV');
    for (const [key, value] of Object.entries(IMAGE_ENV)) expect(env[key], `ENV ${key}`).toBe(value);
  });
});

describe('Dockerfile: health check and labels', () => {
  it('checks /healthz on the exposed port with node itself (the slim base has no curl or wget)', () => {
    const check = healthcheck(runtime);
    expect(check, 'a HEALTHCHECK in the runtime stage').toBeDefined();
    const { options, cmd } = check!;
    expect(cmd.slice(0, 2)).toEqual(['node', '-e']);
    expect(cmd).toHaveLength(3);
    expect(cmd.join(' ')).not.toMatch(/\b(curl|wget)\b/);
    // The script reads the URL from the environment the image sets: /healthz on the EXPOSEd port, on loopback.
    const variable = /process\.env\.(\w+)/.exec(cmd[2]!)?.[1];
    const url = new URL(keyValues(runtime, 'ENV')[variable ?? ''] ?? 'http://invalid');
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/healthz');
    expect(url.port).toBe(last(runtime, 'EXPOSE')?.args);
    // The fetch gives up before Docker's timeout, so a hung agent is reported unhealthy, not killed mid-check.
    const fetchMs = Number(/AbortSignal\.timeout\((\d+)\)/.exec(cmd[2]!)?.[1]);
    const seconds = (d: string | undefined) => Number(/^(\d+)s$/.exec(d ?? '')?.[1]);
    expect(fetchMs).toBeGreaterThan(0);
    expect(fetchMs).toBeLessThan(seconds(options.timeout) * 1000);
    for (const key of ['interval', 'timeout', 'start-period']) expect(seconds(options[key]), key).toBeGreaterThan(0);
    expect(Number(options.retries)).toBeGreaterThanOrEqual(1);
    // test/build/dist.test.ts runs this command against a served agent.
  });

  it('carries the OCI labels, in step with package.json', () => {
    const oci = keyValues(runtime, 'LABEL');
    expect(oci).toMatchObject({
      'org.opencontainers.image.title': pkg.name,
      'org.opencontainers.image.description': pkg.description,
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.licenses': pkg.license,
    });
    expect(oci['org.opencontainers.image.base.name']).toMatch(new RegExp(`[/:]${runtime.image.replace(/^.*\//, '')}$`));
    for (const key of Object.keys(oci)) expect(key).toMatch(/^org\.opencontainers\.image\.[a-z.]+$/);
  });
});

describe('.dockerignore matching (as the test reads it)', () => {
  it('excludes by path prefix and glob, and re-includes with !', () => {
    const p = ['node_modules', '*.md', 'docs/**/*.png', '!README.md'];
    expect(dockerignored(p, 'node_modules')).toBe(true);
    expect(dockerignored(p, 'node_modules/x/y.js')).toBe(true);
    expect(dockerignored(p, 'src/node_modules')).toBe(false);
    expect(dockerignored(p, 'CHANGES.md')).toBe(true);
    expect(dockerignored(p, 'README.md')).toBe(false);
    expect(dockerignored(p, 'docs/a/b/c.png')).toBe(true);
    expect(dockerignored(p, 'src')).toBe(false);
  });
});
