// The real tools the chart tests run: helm (extracted from the npm package by scripts/helm.ts), promtool and
// yamllint (Debian packages prometheus and yamllint, which .ci/run installs). A missing tool is an error that says
// how to install it, never a skipped test.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from '../../scripts/helm.ts';

export const ROOT = join(import.meta.dirname, '../..');
export const CHART = join(ROOT, 'charts/irsa-sentinel');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const PACKAGES: Record<string, string> = { promtool: 'prometheus', yamllint: 'yamllint' };

/** Runs a command to its end; throws when it cannot start (not installed), naming the package that provides it. */
export function runTool(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Run {
  const res = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: env ?? process.env, maxBuffer: 64 << 20 });
  if (res.error) {
    const pkg = PACKAGES[cmd];
    const hint = pkg ? `: install the Debian package ${pkg} (apt-get install ${pkg}; .ci/run does)` : '';
    throw new Error(`cannot run ${cmd}${hint}: ${res.error.message}`);
  }
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

export const helm = (args: string[]): Run => runTool(helmBinary(), args);

/** A rendered Kubernetes object; the parts the tests read are typed where they are read. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export interface RenderOptions {
  /** Values files, relative to the chart. */
  values?: string[];
  set?: string[];
  release?: string;
  namespace?: string;
}

function templateArgs(opts: RenderOptions): string[] {
  return [
    'template',
    opts.release ?? 'sentinel',
    CHART,
    '--namespace',
    opts.namespace ?? 'irsa-sentinel',
    ...(opts.values ?? []).flatMap((f) => ['--values', join(CHART, f)]),
    ...(opts.set ?? []).flatMap((s) => ['--set', s]),
  ];
}

/** `helm template` of the chart, every document parsed; throws with helm's message when it fails. */
export function render(opts: RenderOptions = {}): K8sObject[] {
  const res = helm(templateArgs(opts));
  if (res.code !== 0) throw new Error(`helm template failed (${res.code}):\n${res.stderr}`);
  return parseAllDocuments(res.stdout).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as K8sObject | null;
    return obj ? [obj] : [];
  });
}

/** `helm template` that must fail: its error output. */
export function renderError(opts: RenderOptions): string {
  const res = helm(templateArgs(opts));
  if (res.code === 0) throw new Error(`helm template succeeded with ${JSON.stringify(opts)}`);
  return res.stderr;
}

export const byKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);

export function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = byKind(objects, kind).filter((o) => name === undefined || o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

/** Writes the config.yaml of the rendered ConfigMap to `file`. */
export function renderedConfigFile(objects: K8sObject[], file: string): string {
  const data = one(objects, 'ConfigMap', one(objects, 'StatefulSet').metadata.name).data as Record<string, string>;
  const config = data['config.yaml'];
  if (config === undefined) throw new Error('the ConfigMap has no config.yaml');
  writeFileSync(file, config);
  return file;
}

/** `irsa-sentinel validate --config FILE` from the sources, as a user runs it, with only `env` (and PATH) set. */
export const validate = (file: string, home: string, env: Record<string, string> = {}): Run =>
  runTool(process.execPath, [join(ROOT, 'src/cli.ts'), 'validate', '--config', file], {
    PATH: process.env.PATH,
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...env,
  });
