// `npm run build [-- --outDir DIR]`: compile src/ and probes/ with tsconfig.build.json, then copy next to the
// emitted JavaScript every other file of those folders (the code reads some at run time, e.g. src/lab/samples),
// so that DIR (default: the tsconfig's outDir, dist/) runs on its own next to node_modules and package.json:
// `node dist/src/cli.js`. DIR is emptied first, so nothing of a removed source file survives in it.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const TSCONFIG = 'tsconfig.build.json';

interface BuildConfig {
  compilerOptions?: { rootDir?: string; outDir?: string };
  include?: string[];
}

const config = JSON.parse(readFileSync(join(ROOT, TSCONFIG), 'utf8')) as BuildConfig;
const rootDir = resolve(ROOT, config.compilerOptions?.rootDir ?? '.');
const { values } = parseArgs({ options: { outDir: { type: 'string' } } });
const outDir = resolve(values.outDir ?? join(ROOT, config.compilerOptions?.outDir ?? 'dist'));

// Never empty the project itself or a folder holding it.
const up = relative(outDir, ROOT);
if (up === '' || !(up.startsWith('..') || isAbsolute(up))) {
  process.stderr.write(`build: refusing outDir ${outDir}: it contains the project\n`);
  process.exit(2);
}
rmSync(outDir, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', TSCONFIG, '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' });
} catch {
  process.stderr.write('build: tsc failed\n');
  process.exit(1);
}

/** Every file under dir that tsc does not compile (not *.ts), recursively. */
function assets(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return assets(path);
    return e.isFile() && !e.name.endsWith('.ts') ? [path] : [];
  });
}

const include = config.include ?? [];
const globbed = include.find((dir) => /[*?{]/.test(dir));
if (globbed !== undefined) throw new Error(`${TSCONFIG}: include "${globbed}": this script copies whole folders only`);
const copied = include.flatMap((dir) => assets(join(ROOT, dir)));
for (const file of copied) cpSync(file, join(outDir, relative(rootDir, file)));
process.stdout.write(`build: ${outDir} (${copied.length} asset file(s) copied)\n`);
