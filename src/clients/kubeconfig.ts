// Kubeconfig files for kube-client.ts, each read and parsed once (with js-yaml), and the context a cluster names
// resolved to its cluster and user entries. A kubeconfig holds tokens and keys, so a broken one is reported by the
// YAML parser's code, line and column, or by the path of the entry that is wrong, never by a message that quotes it.
// The entries are checked as @kubernetes/client-node checks them (config_types.js), with the same messages.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import type { YAMLException } from 'js-yaml';
import { parseDocument } from 'yaml';
import { KubeError } from './kube.ts';

const invalid = (message: string): KubeError => new KubeError(message, undefined, { code: 'KUBECONFIG_INVALID' });

/** One `clusters[]`, `users[]` or `contexts[]` entry's body, as written (kubeconfig field names). */
export type KubeconfigFields = Record<string, unknown>;

/** A named entry and the folder of the file it came from (its relative paths are relative to it). */
export interface KubeconfigEntry {
  name: string;
  fields: KubeconfigFields;
  dir: string;
}

/** A kubeconfig file (or the merge of KUBECONFIG's files): its entries by name, and its current context. */
export interface Kubeconfig {
  /** What errors name: the file, or "the default kubeconfig". */
  source: string;
  clusters: Map<string, KubeconfigEntry>;
  users: Map<string, KubeconfigEntry>;
  contexts: Map<string, KubeconfigEntry>;
  currentContext?: string;
}

/** A context with its cluster and user entries. */
export interface ResolvedContext {
  name: string;
  source: string;
  cluster: KubeconfigEntry;
  /** Absent: the context names no user (anonymous). */
  user?: KubeconfigEntry;
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** One kubeconfig file. Throws KubeError KUBECONFIG_INVALID naming the file and what is wrong, never a value. */
export function loadKubeconfigFile(file: string): Kubeconfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(`cannot read kubeconfig ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // Read with js-yaml, which builds the values directly: yaml's document model of a 1.8 MB kubeconfig of 1,000
  // contexts held 75 MiB of heap while it was read (8 MiB with js-yaml), the agent's largest heap of a whole
  // 1,000-cluster cycle. A file it refuses is parsed again with yaml only to say where it is wrong, as config errors do.
  let read: unknown;
  try {
    read = loadYaml(text, { filename: file });
  } catch (err) {
    // yaml's code, line and column; when yaml finds nothing wrong, js-yaml's line and column under a code of ours
    // (its reason can quote the file: an unknown tag's text).
    const [first] = parseDocument(text).errors;
    const mark = (err as YAMLException).mark as { line?: number; column?: number } | undefined;
    const what = first?.code ?? 'YAML_REFUSED';
    const at =
      first?.linePos?.[0] ??
      (mark?.line === undefined ? undefined : { line: mark.line + 1, col: (mark.column ?? 0) + 1 });
    throw invalid(`kubeconfig ${file} is not valid YAML: ${what}${at ? ` at line ${at.line}, column ${at.col}` : ''}`);
  }
  // Through JSON and back: long scalars can be built as trees of concatenated strings or slices of the whole file
  // (yaml kept ~50 KiB of heap per 1.5 KiB certificate: 50 MiB for 1,000 contexts); JSON.parse makes every string flat
  // and turns YAML's dates and the like into what JSON has.
  const value: unknown = JSON.parse(JSON.stringify(read ?? null));
  if (!isMapping(value)) throw invalid(`kubeconfig ${file} is not a YAML mapping`);
  const dir = dirname(file);
  try {
    return {
      source: file,
      clusters: entries(value.clusters, 'clusters', 'cluster', dir, (fields, at) => {
        if (!fields.server) throw new Error(`${at}.cluster.server is missing`);
      }),
      users: entries(value.users, 'users', 'user', dir),
      contexts: entries(value.contexts, 'contexts', 'context', dir),
      ...(typeof value['current-context'] === 'string' ? { currentContext: value['current-context'] } : {}),
    };
  } catch (err) {
    throw invalid(`kubeconfig ${file} is not a valid kubeconfig: ${(err as Error).message}`);
  }
}

/**
 * The entries of one list, by name; a missing or non-list field is no entries (client-node's reading). An entry
 * without a name, or (clusters, contexts) without its body, is an error naming where it is.
 */
function entries(
  list: unknown,
  what: 'clusters' | 'users' | 'contexts',
  body: 'cluster' | 'user' | 'context',
  dir: string,
  check?: (fields: KubeconfigFields, at: string) => void,
): Map<string, KubeconfigEntry> {
  const byName = new Map<string, KubeconfigEntry>();
  if (!Array.isArray(list)) return byName;
  for (const [i, item] of list.entries()) {
    const at = `${what}[${i}]`;
    const entry: Record<string, unknown> = isMapping(item) ? item : {};
    if (!entry.name || typeof entry.name !== 'string') throw new Error(`${at}.name is missing`);
    const fields = entry[body];
    if (!isMapping(fields)) {
      if (body !== 'user') throw new Error(`${at}.${body} is missing`);
    } else check?.(fields, at);
    // The first entry of a name wins, as kubectl reads a file.
    if (!byName.has(entry.name))
      byName.set(entry.name, { name: entry.name, fields: isMapping(fields) ? fields : {}, dir });
  }
  return byName;
}

/** Where a pod finds its service account (client-node's and client-go's in-cluster configuration). */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The default kubeconfig as kubectl finds it: the files of KUBECONFIG merged (for each name the first file's entry
 * wins, and the first current-context set), else ~/.kube/config, else the pod's service account as the context
 * `inClusterContext` (client-node's name for it), else none.
 */
export function loadDefaultKubeconfig(serviceAccountDir = SERVICE_ACCOUNT_DIR): Kubeconfig {
  const files = (process.env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  const home = join(homedir(), '.kube', 'config');
  if (files.length === 0 && existsSync(home)) files.push(home);
  if (files.length === 0) return inClusterKubeconfig(serviceAccountDir);
  const [first, ...rest] = files.map(loadKubeconfigFile);
  const merged: Kubeconfig = { ...first!, source: files.length === 1 ? first!.source : 'the default kubeconfig' };
  for (const other of rest) {
    for (const kind of ['clusters', 'users', 'contexts'] as const)
      for (const [name, entry] of other[kind]) if (!merged[kind].has(name)) merged[kind].set(name, entry);
    merged.currentContext ??= other.currentContext;
  }
  return merged;
}

/** The pod's own cluster through its service account (token re-read as it rotates), or no context at all. */
function inClusterKubeconfig(dir: string): Kubeconfig {
  const none: Kubeconfig = {
    source: 'the default kubeconfig (no KUBECONFIG, ~/.kube/config or in-cluster service account)',
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  const host = process.env.KUBERNETES_SERVICE_HOST;
  if (host === undefined || host === '' || !existsSync(join(dir, 'token'))) return none;
  const name = 'inClusterContext';
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${process.env.KUBERNETES_SERVICE_PORT ?? '443'}`;
  const entry = (fields: KubeconfigFields): KubeconfigEntry => ({ name, fields, dir });
  return {
    source: 'the in-cluster service account',
    clusters: new Map([[name, entry({ server, 'certificate-authority': 'ca.crt' })]]),
    users: new Map([[name, entry({ tokenFile: 'token' })]]),
    contexts: new Map([[name, entry({ cluster: name, user: name })]]),
    currentContext: name,
  };
}

/** `context` of the kubeconfig with its cluster and user; KubeError when it or its cluster or user is not there. */
export function resolveContext(config: Kubeconfig, context: string): ResolvedContext {
  const ctx = config.contexts.get(context);
  if (ctx === undefined)
    throw new KubeError(`kubeconfig context "${context}" not found in ${config.source}`, undefined, {
      code: 'KUBE_CONTEXT_NOT_FOUND',
    });
  const clusterName = ctx.fields.cluster;
  const cluster = typeof clusterName === 'string' ? config.clusters.get(clusterName) : undefined;
  if (cluster === undefined)
    throw invalid(
      `kubeconfig context "${context}" names cluster "${typeof clusterName === 'string' ? clusterName : typeof clusterName}", not in ${config.source}`,
    );
  const userName = ctx.fields.user;
  if (userName === undefined || userName === '') return { name: context, source: config.source, cluster };
  const user = typeof userName === 'string' ? config.users.get(userName) : undefined;
  if (user === undefined)
    throw invalid(
      `kubeconfig context "${context}" names user "${typeof userName === 'string' ? userName : typeof userName}", not in ${config.source}`,
    );
  return { name: context, source: config.source, cluster, user };
}

/**
 * Why a context needs @kubernetes/client-node (loaded only then): a way of authenticating or connecting the direct
 * client (kube-direct.ts) does not implement. Undefined: the direct client serves it.
 */
export function needsClientNode(ctx: ResolvedContext): string | undefined {
  const cluster = ctx.cluster.fields;
  if (cluster['proxy-url'] !== undefined) return 'proxy-url';
  const server = String(cluster.server);
  if (!/^https?:\/\//i.test(server)) return 'server';
  const user = ctx.user?.fields ?? {};
  for (const field of ['exec', 'auth-provider', 'username', 'password', 'as', 'as-groups', 'as-uid', 'as-user-extra'])
    if (user[field] !== undefined && user[field] !== null) return field;
  return undefined;
}
