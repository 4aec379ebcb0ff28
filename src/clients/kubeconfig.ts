// Kubeconfig files for kube-client.ts, each read and parsed once, and one small KubeConfig per context. A kubeconfig
// holds tokens and keys, so a broken one is reported by the YAML parser's code, line and column (the `yaml` package),
// never by a message that quotes the file.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Cluster } from '@kubernetes/client-node';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { createSecureContext } from 'node:tls';
import type { ConnectionOptions, SecureContext } from 'node:tls';
import { parseDocument } from 'yaml';
import { KubeError } from './kube.ts';
import { resumingConnector } from './tls-resume.ts';

const invalid = (message: string): KubeError => new KubeError(message, undefined, { code: 'KUBECONFIG_INVALID' });

/** client-node's own complaints about a kubeconfig's structure: they name a field or an entry, never a value. */
const STRUCTURE_ERROR =
  /^(?:(?:clusters|users|contexts)\[\d+\]\.[\w.-]+ is missing|Duplicate (?:cluster|user|context): [\w.:@/-]{1,253})$/;

/** One kubeconfig file, parsed with `yaml` and handed to client-node as JSON (so it is parsed only once). */
export function loadKubeconfigFile(file: string): KubeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(`cannot read kubeconfig ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const doc = parseDocument(text);
  const [first] = doc.errors;
  if (first) {
    const at = first.linePos?.[0];
    throw invalid(
      `kubeconfig ${file} is not valid YAML: ${first.code}${at ? ` at line ${at.line}, column ${at.col}` : ''}`,
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(`kubeconfig ${file} is not a YAML mapping`);
  const kc = new KubeConfig();
  try {
    kc.loadFromString(JSON.stringify(value));
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const reason = STRUCTURE_ERROR.test(message) ? message : `${(err as Error).name ?? 'error'} reading its entries`;
    throw invalid(`kubeconfig ${file} is not a valid kubeconfig: ${reason}`);
  }
  kc.makePathsAbsolute(dirname(file));
  return kc;
}

/**
 * The default kubeconfig as kubectl and client-node find it: the files of KUBECONFIG merged (the first one's
 * current-context wins), else ~/.kube/config, else the pod's service account (in-cluster).
 */
export function loadDefaultKubeconfig(): KubeConfig {
  const files = (process.env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  const home = join(homedir(), '.kube', 'config');
  if (files.length === 0 && existsSync(home)) files.push(home);
  if (files.length === 0) {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return kc;
  }
  const [first, ...rest] = files.map(loadKubeconfigFile);
  for (const [i, other] of rest.entries()) {
    try {
      first!.mergeConfig(other);
    } catch (err) {
      const message = err instanceof Error ? err.message : '';
      throw invalid(
        `kubeconfig ${files[i + 1]} cannot be merged: ${STRUCTURE_ERROR.test(message) ? message : 'error'}`,
      );
    }
  }
  return first!;
}

/** A KubeConfig holding only `context` of `base` (sharing its cluster and user entries) with it current. */
export function contextOf(base: KubeConfig, context: string, source: string): PooledKubeConfig {
  const ctx = base.getContextObject(context);
  if (ctx === null)
    throw new KubeError(`kubeconfig context "${context}" not found in ${source}`, undefined, {
      code: 'KUBE_CONTEXT_NOT_FOUND',
    });
  const cluster = base.getCluster(ctx.cluster);
  if (cluster === null)
    throw invalid(`kubeconfig context "${context}" names cluster "${ctx.cluster}", not in ${source}`);
  const user = ctx.user === undefined ? null : base.getUser(ctx.user);
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [cluster], users: user ? [user] : [], contexts: [ctx], currentContext: context });
  return reuseDispatcher(kc);
}

type CreateDispatcher = (cluster: Cluster | null, agentOptions: object) => Dispatcher | undefined;

/** A KubeConfig whose connection pool can be closed. */
export type PooledKubeConfig = KubeConfig & { closeDispatcher(): Promise<void> };

/**
 * client-node 2.x builds a new undici Agent for every request (KubeConfig.createDispatcher, called from
 * applySecurityAuthentication), so no connection is ever reused and each request's pool lingers until collected;
 * measured at 1,000 clusters, that was a large share of the agent's memory. Here one dispatcher serves the context
 * while its TLS options stay the same (a rotated client certificate makes a new one and closes the old one, letting
 * requests in flight finish). createDispatcher is private in the typings, so it is replaced on the instance; the
 * client-node upgrade that renames it fails here at start, not silently.
 */
function reuseDispatcher(kc: KubeConfig): PooledKubeConfig {
  const target = kc as unknown as { createDispatcher?: CreateDispatcher };
  const create = target.createDispatcher;
  if (typeof create !== 'function')
    throw new Error('@kubernetes/client-node: KubeConfig.createDispatcher is gone; kubeconfig.ts needs updating');
  let current: { key: string; dispatcher: Dispatcher | undefined } | undefined;
  target.createDispatcher = (cluster, agentOptions) => {
    const options = kc.createDispatcherOptions(cluster, agentOptions);
    const key = digestOf(options);
    if (current?.key === key) return current.dispatcher;
    void current?.dispatcher?.close().catch(() => undefined);
    // A direct connection gets its TLS context built once here; client-node would pass the CA and client key to every
    // connection, which builds a new context each time. Proxies keep client-node's own dispatcher.
    const dispatcher = options.type === 'agent' ? directAgent(options.connect) : create.call(kc, cluster, agentOptions);
    current = { key, dispatcher };
    return dispatcher;
  };
  return Object.assign(kc, {
    async closeDispatcher(): Promise<void> {
      const dispatcher = current?.dispatcher;
      current = undefined;
      await dispatcher?.close().catch(() => undefined);
    },
  });
}

/** A digest of the dispatcher options (they hold the client key, which is not kept): their Buffers hashed as bytes. */
function digestOf(options: object): string {
  const hash = createHash('sha256');
  const visit = (value: unknown): void => {
    if (Buffer.isBuffer(value)) hash.update('b').update(value);
    else if (Array.isArray(value)) for (const item of value) visit(item);
    else if (value !== null && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) {
        hash.update(`\u0000${k}=`);
        visit(v);
      }
    else hash.update(`s${String(value)}`);
  };
  visit(options);
  return hash.digest('hex');
}

/** How long after a full handshake with an API server new connections to it resume that session (tls-resume.ts). */
const SESSION_REUSE_MS = 10_000;

type TlsConnect = ConnectionOptions & { keepAlive?: boolean; keepAliveInitialDelay?: number };

/**
 * Secure contexts by a digest of their TLS material: the contexts of one kubeconfig usually share a CA (and often a
 * client certificate), and building a context per context was a measurable share of a 1,000-cluster cycle. Held
 * weakly: a context lives as long as an agent uses it.
 */
const secureContexts = new Map<string, WeakRef<SecureContext>>();
const forgetContext = new FinalizationRegistry<string>((id) => {
  if (secureContexts.get(id)?.deref() === undefined) secureContexts.delete(id);
});

function sharedSecureContext(material: Pick<TlsConnect, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase'>): SecureContext {
  const id = digestOf(material);
  let context = secureContexts.get(id)?.deref();
  if (context === undefined) {
    context = createSecureContext(material);
    secureContexts.set(id, new WeakRef(context));
    forgetContext.register(context, id);
  }
  return context;
}

/** An undici Agent for client-node's direct-connection options, with their TLS material as one secure context. */
function directAgent(connect: TlsConnect): Dispatcher {
  const { ca, cert, key, pfx, passphrase, ...rest } = connect;
  const secureContext = sharedSecureContext({ ca, cert, key, pfx, passphrase });
  // At most two connections to an API server, closed after 4 s idle whatever its Keep-Alive hint: a probe's parallel
  // calls (a TokenRequest and a secret per role) each opened its own TLS connection, five per cluster and cycle, and
  // the handshakes were the largest CPU cost of a 1,000-cluster cycle (measured).
  return new Agent({
    // The jwks and roles probes of a cluster call its API at the same moment: the second connection waits for the
    // first's handshake and resumes its session (tls-resume.ts).
    connect: resumingConnector({ ...rest, secureContext }, { windowMs: SESSION_REUSE_MS }),
    connections: 2,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 4_000,
  });
}
