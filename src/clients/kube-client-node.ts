// KubeAccess over @kubernetes/client-node 2.x (STACK.md 6) for the kubeconfig contexts the direct client does not
// serve (kubeconfig.ts needsClientNode: exec credential plugins, auth providers, basic auth, impersonation, a proxy).
// Loaded only when such a context is first used: the library's 868 files cost ~50 MiB however little of it is called.
import { isAbsolute, join } from 'node:path';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, OpenidApi } from '@kubernetes/client-node';
import type { Cluster } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';
import {
  CREDENTIALS_REQUESTS,
  credentialsRequestsOf,
  httpError,
  jwkSetOf,
  secretDataOf,
  tokenOf,
  transportError,
} from './kube-answers.ts';
import { KubeError } from './kube.ts';
import type { ClosableKubeAccess } from './kube-direct.ts';
import type { KubeconfigEntry, ResolvedContext } from './kubeconfig.ts';
import { digestOf, kubeAgent } from './kube-transport.ts';

/** client-node's own complaints about a kubeconfig's structure: they name a field or an entry, never a value. */
const STRUCTURE_ERROR = /^(?:(?:clusters|users|contexts)\[\d+\]\.[\w.-]+ is missing)$/;

/** Fields holding a path, made absolute against the folder of the file they came from. */
const PATH_FIELDS = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile', 'token-file'];

function absolutePaths(entry: KubeconfigEntry): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...entry.fields };
  for (const field of PATH_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) fields[field] = join(entry.dir, value);
  }
  return fields;
}

/** A KubeConfig holding only the context (its cluster and user) with it current. */
function kubeConfigOf(ctx: ResolvedContext): KubeConfig {
  const kc = new KubeConfig();
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: ctx.cluster.name, cluster: absolutePaths(ctx.cluster) }],
    users: ctx.user ? [{ name: ctx.user.name, user: absolutePaths(ctx.user) }] : [],
    contexts: [{ name: ctx.name, context: { cluster: ctx.cluster.name, ...(ctx.user && { user: ctx.user.name }) } }],
    'current-context': ctx.name,
  };
  try {
    kc.loadFromString(JSON.stringify(doc));
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const reason = STRUCTURE_ERROR.test(message) ? message : `${(err as Error).name ?? 'error'} reading its entries`;
    throw new KubeError(`kubeconfig ${ctx.source} is not a valid kubeconfig: ${reason}`, undefined, {
      code: 'KUBECONFIG_INVALID',
    });
  }
  return kc;
}

type CreateDispatcher = (cluster: Cluster | null, agentOptions: object) => Dispatcher | undefined;

/**
 * client-node 2.x builds a new undici Agent for every request (KubeConfig.createDispatcher, called from
 * applySecurityAuthentication), so no connection is ever reused and each request's pool lingers until collected.
 * Here one dispatcher serves the context while its TLS options stay the same (a rotated client certificate from an
 * exec plugin makes a new one and closes the old one, letting requests in flight finish). createDispatcher is private
 * in the typings, so it is replaced on the instance; the client-node upgrade that renames it fails here, not silently.
 */
function reuseDispatcher(kc: KubeConfig): () => Promise<void> {
  const target = kc as unknown as { createDispatcher?: CreateDispatcher };
  const create = target.createDispatcher;
  if (typeof create !== 'function')
    throw new Error('@kubernetes/client-node: KubeConfig.createDispatcher is gone; kube-client-node.ts needs updating');
  let current: { key: string; dispatcher: Dispatcher | undefined } | undefined;
  target.createDispatcher = (cluster, agentOptions) => {
    const options = kc.createDispatcherOptions(cluster, agentOptions);
    const key = digestOf(options);
    if (current?.key === key) return current.dispatcher;
    void current?.dispatcher?.close().catch(() => undefined);
    // A direct connection gets the shared pool of kube-transport.ts; proxies keep client-node's own dispatcher.
    const dispatcher = options.type === 'agent' ? kubeAgent(options.connect) : create.call(kc, cluster, agentOptions);
    current = { key, dispatcher };
    return dispatcher;
  };
  return async () => {
    const dispatcher = current?.dispatcher;
    current = undefined;
    await dispatcher?.close().catch(() => undefined);
  };
}

/** KubeAccess for one context through client-node; throws KubeError KUBECONFIG_INVALID when it cannot be set up. */
export function createClientNodeKubeAccess(ctx: ResolvedContext): ClosableKubeAccess {
  const kc = kubeConfigOf(ctx);
  const close = reuseDispatcher(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const openid = kc.makeApiClient(OpenidApi);
  const where = `context ${ctx.name}`;

  /** The call's result, or a KubeError naming the context and what was asked. */
  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const label = `${where}: ${what}`;
      throw err instanceof ApiException ? httpError(label, err.code, err.body) : transportError(label, err);
    }
  }

  return {
    async jwks() {
      // The generated client types it as a string; the API server answers application/jwk-set+json.
      return jwkSetOf(where, await call('GET /openid/v1/jwks', () => openid.getServiceAccountIssuerOpenIDKeyset()));
    },

    async createToken(sa, audiences, expirationSeconds) {
      const answer = await call(`TokenRequest for ${sa.namespace}/${sa.name}`, () =>
        core.createNamespacedServiceAccountToken({
          name: sa.name,
          namespace: sa.namespace,
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: { audiences, expirationSeconds },
          },
        }),
      );
      return tokenOf(where, sa, answer);
    },

    async readSecret(namespace, name) {
      try {
        return secretDataOf(
          await call(`GET secret ${namespace}/${name}`, () => core.readNamespacedSecret({ name, namespace })),
        );
      } catch (err) {
        if (err instanceof KubeError && err.status === 404) return undefined;
        throw err;
      }
    },

    async listCredentialsRequests() {
      const { group, plural } = CREDENTIALS_REQUESTS;
      const answer: unknown = await call(`list ${plural}.${group}`, () =>
        custom.listClusterCustomObject(CREDENTIALS_REQUESTS),
      );
      return credentialsRequestsOf(where, answer);
    },

    close,
  };
}
