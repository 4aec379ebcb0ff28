// Load the agent's configuration: one YAML file, or every *.yaml/*.yml file of a directory merged in name order.
// Steps: parse each file, substitute ${ENV} references, merge, validate with the schema, then read CA files, public
// key files and CredentialsRequests folders, resolving paths against the directory of the file that names them.
// Every problem names the file and key path.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { readAlertFiles } from './alert-files.ts';
import { substituteEnv } from './env.ts';
import { readCredentialsRequestsDir, readPublicKeyPem } from './identity-files.ts';
import { formatKeyPath } from './key-path.ts';
import type { KeyPath } from './key-path.ts';
import { mergeLayers } from './merge.ts';
import type { Layer } from './merge.ts';
import { configFileSchema } from './schema.ts';
import type { AgentConfig } from './types.ts';

export interface ConfigProblem {
  file: string;
  /** Key path in the notation of key-path.ts, e.g. clusters[1].name; absent for a file-level problem. */
  path?: string;
  message: string;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map((p) => (p.path ? `${p.file}: ${p.path}: ${p.message}` : `${p.file}: ${p.message}`)).join('\n'));
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

const CONFIG_FILE = /\.ya?ml$/;
const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function configFiles(pathOrDir: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(pathOrDir).isDirectory();
  } catch (err) {
    throw new ConfigError([{ file: pathOrDir, message: `cannot read: ${errorText(err)}` }]);
  }
  if (!isDir) return [pathOrDir];
  const files = readdirSync(pathOrDir)
    .filter((n) => CONFIG_FILE.test(n))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(pathOrDir, n))
    .filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile() === true);
  if (files.length === 0)
    throw new ConfigError([{ file: pathOrDir, message: 'no *.yaml or *.yml files in directory' }]);
  return files;
}

/** Whether a value holds itself (a YAML alias inside its own anchor: `x: &x [*x]`); shared aliases are fine. */
function containsItself(value: unknown, within = new Set<object>()): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (within.has(value)) return true;
  within.add(value);
  const found = Object.values(value).some((v) => containsItself(v, within));
  within.delete(value);
  return found;
}

function readLayer(file: string, env: Env, problems: ConfigProblem[]): Layer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ file, message: `cannot read: ${errorText(err)}` });
    return undefined;
  }
  const doc = parseDocument(text);
  if (doc.errors.length) {
    for (const e of doc.errors)
      problems.push({ file, message: `invalid YAML: ${e.message.split('\n')[0]!.replace(/:$/, '')}` });
    return undefined;
  }
  const envIssues = substituteEnv(doc, env);
  for (const e of envIssues) problems.push({ file, path: formatKeyPath(e.path), message: e.message });
  if (envIssues.length) return undefined;
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // yaml refuses aliases that expand without bound ("billion laughs"): a problem of the file, not a crash.
    problems.push({ file, message: `cannot be read: ${errorText(err)}` });
    return undefined;
  }
  if (containsItself(data)) {
    problems.push({
      file,
      message: 'an alias (*name) refers to a node that contains it: the configuration is infinite',
    });
    return undefined;
  }
  if (data === null || data === undefined) return { file, data: {} };
  if (typeof data !== 'object' || Array.isArray(data)) {
    problems.push({ file, message: 'must be a YAML mapping (key: value) at the top level' });
    return undefined;
  }
  return { file, data: data as Record<string, unknown> };
}

export function loadConfig(pathOrDir: string, env: Env = process.env): AgentConfig {
  const files = configFiles(pathOrDir);
  const problems: ConfigProblem[] = [];
  const layers = files.flatMap((f) => readLayer(f, env, problems) ?? []);
  if (problems.length) throw new ConfigError(problems);

  const merged = mergeLayers(layers);
  const fallback = files.length === 1 ? files[0]! : `${pathOrDir} (${files.map((f) => basename(f)).join(', ')})`;
  const fileOf = (path: KeyPath): string => merged.fileOf(path) ?? fallback;
  const problem = (path: KeyPath, message: string): ConfigProblem => ({
    file: fileOf(path),
    path: formatKeyPath(path),
    message,
  });

  for (const c of merged.conflicts)
    problems.push({
      file: c.files[1],
      path: formatKeyPath(c.path),
      message: `conflicts with ${c.files[0]}, which sets it to a different value`,
    });
  if (problems.length) throw new ConfigError(problems);

  const parsed = configFileSchema.safeParse(merged.data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys')
        for (const key of issue.keys) problems.push(problem([...issue.path, key], 'unknown key'));
      else problems.push(problem(issue.path, issue.message));
    }
    throw new ConfigError(problems);
  }
  const config = parsed.data;

  // Paths in a file are relative to that file's directory.
  const resolveIn = (path: KeyPath, file: string): string => resolve(dirname(fileOf(path)), file);
  const readPem = (path: KeyPath, file: string): string | undefined => {
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(problem(path, `cannot read CA file: ${errorText(err)}`));
      return undefined;
    }
    if (!pem.includes(PEM_CERTIFICATE)) problems.push(problem(path, `${file} holds no PEM certificate`));
    return pem;
  };

  const clusters = config.clusters.map((c, i) => {
    const at = (...path: PropertyKey[]): KeyPath => ['clusters', i, ...path];
    const out = { ...c };
    if (c.caFile !== undefined) {
      out.caFile = resolveIn(at('caFile'), c.caFile);
      const pem = readPem(at('caFile'), out.caFile);
      if (pem !== undefined) out.caPem = pem;
    }
    if (c.kube?.kubeconfig !== undefined)
      out.kube = { ...c.kube, kubeconfig: resolveIn(at('kube', 'kubeconfig'), c.kube.kubeconfig) };

    const keyFiles = c.signingKeys.publicKeyFiles.map((f, j) => resolveIn(at('signingKeys', 'publicKeyFiles', j), f));
    const publicKeyPems = keyFiles.flatMap((f, j) => {
      const read = readPublicKeyPem(f);
      if ('pem' in read) return [read.pem];
      problems.push(problem(at('signingKeys', 'publicKeyFiles', j), read.problem));
      return [];
    });
    out.signingKeys = { ...c.signingKeys, publicKeyFiles: keyFiles, publicKeyPems };

    // A role's token file is the agent's projected token: resolved, but it may exist only where the agent runs.
    out.roles = {
      ...c.roles,
      list: c.roles.list.map((r, j) =>
        r.tokenFile === undefined
          ? r
          : { ...r, tokenFile: resolveIn(at('roles', 'list', j, 'tokenFile'), r.tokenFile) },
      ),
    };
    if (c.roles.credentialsRequestsDir !== undefined) {
      const path = at('roles', 'credentialsRequestsDir');
      const dir = resolveIn(path, c.roles.credentialsRequestsDir);
      const read = readCredentialsRequestsDir(dir);
      for (const message of read.problems) problems.push(problem(path, message));
      out.roles = { ...out.roles, credentialsRequestsDir: dir, credentialsRequests: read.requests };
    }
    return out;
  });
  const accounts = config.accounts.map((a, i) => {
    if (a.caFile === undefined) return a;
    const path = ['accounts', i, 'caFile'];
    const caFile = resolveIn(path, a.caFile);
    readPem(path, caFile);
    return { ...a, caFile };
  });
  const { alerts, tokens } = readAlertFiles(config, env, {
    resolveIn,
    readPem,
    problem: (path, message) => problems.push(problem(path, message)),
  });
  if (problems.length) throw new ConfigError(problems);

  return {
    sources: files.map((f) => resolve(f)),
    ...config,
    clusters,
    accounts,
    alerts,
    server: { ...config.server, auth: { tokens } },
  };
}
