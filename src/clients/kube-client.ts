// KubeAccess per kubeconfig context: the cluster's JWKS, TokenRequest, secrets and CredentialsRequests. A context
// that authenticates with a token, a token file or a client certificate is served by plain HTTPS requests
// (kube-direct.ts); one that needs an exec plugin, an auth provider, basic auth, impersonation or a proxy by
// @kubernetes/client-node (kube-client-node.ts), loaded only then. Failures become KubeError with the HTTP status;
// their messages carry the API's Status message, never a token.
import type { KubeAccess } from './kube.ts';
import { KubeError } from './kube.ts';
import { createDirectKubeAccess } from './kube-direct.ts';
import type { ClosableKubeAccess } from './kube-direct.ts';
import { loadDefaultKubeconfig, loadKubeconfigFile, needsClientNode, resolveContext } from './kubeconfig.ts';
import type { Kubeconfig, ResolvedContext } from './kubeconfig.ts';

export interface KubeTarget {
  context: string;
  /** The kubeconfig file; default: KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string;
}

/**
 * Kube access per (kubeconfig, context), each made once: every kubeconfig file is read and parsed once however many
 * contexts use it. What cannot be set up (an unreadable or invalid kubeconfig, an unknown context) is remembered too
 * and comes back as the KubeError of every call, so the probes that need the cluster's API report it (naming the file,
 * and the line and column of a YAML error) and the others are not touched. Read once: a changed kubeconfig needs a
 * restart.
 */
export interface KubeAccessFactory {
  (kube: KubeTarget): KubeAccess;
  /** Closes every context's connections (requests in flight finish first). */
  close(): Promise<void>;
}

export function createKubeAccessFactory(): KubeAccessFactory {
  const files = new Map<string, Kubeconfig | KubeError>();
  const accesses = new Map<string, KubeAccess>();
  const opened: ClosableKubeAccess[] = [];
  const fileOf = (kubeconfig: string | undefined): Kubeconfig => {
    const key = kubeconfig ?? '';
    let loaded = files.get(key);
    if (loaded === undefined) {
      loaded = attempt(() => (kubeconfig === undefined ? loadDefaultKubeconfig() : loadKubeconfigFile(kubeconfig)));
      files.set(key, loaded);
    }
    if (loaded instanceof KubeError) throw loaded;
    return loaded;
  };
  const factory = (kube: KubeTarget): KubeAccess => {
    const key = `${kube.kubeconfig ?? ''}\u0000${kube.context}`;
    let access = accesses.get(key);
    if (access === undefined) {
      const made = attempt(() => {
        const context = accessFor(resolveContext(fileOf(kube.kubeconfig), kube.context));
        opened.push(context);
        return context;
      });
      access = made instanceof KubeError ? unavailable(made) : made;
      accesses.set(key, access);
    }
    return access;
  };
  return Object.assign(factory, {
    async close(): Promise<void> {
      accesses.clear();
      await Promise.all(opened.splice(0).map((a) => a.close()));
    },
  });
}

/** `make()`'s value, or the KubeError it threw (anything else is a bug and propagates). */
function attempt<T>(make: () => T): T | KubeError {
  try {
    return make();
  } catch (err) {
    if (err instanceof KubeError) return err;
    throw err;
  }
}

/** Kube access that could not be set up: every call fails with why. */
function unavailable(error: KubeError): KubeAccess {
  const fail = (): Promise<never> => Promise.reject(error);
  return { jwks: fail, createToken: fail, readSecret: fail, listCredentialsRequests: fail };
}

/** Kube access for one context; throws KubeError (KUBECONFIG_INVALID, KUBE_CONTEXT_NOT_FOUND) when it cannot be set up. */
export function createKubeAccess(kube: KubeTarget): ClosableKubeAccess {
  const config = kube.kubeconfig === undefined ? loadDefaultKubeconfig() : loadKubeconfigFile(kube.kubeconfig);
  return accessFor(resolveContext(config, kube.context));
}

function accessFor(ctx: ResolvedContext): ClosableKubeAccess {
  return needsClientNode(ctx) === undefined ? createDirectKubeAccess(ctx) : clientNodeAccess(ctx);
}

/** Access through client-node, loaded and set up at the first call (its set-up errors are that call's). */
function clientNodeAccess(ctx: ResolvedContext): ClosableKubeAccess {
  let made: Promise<ClosableKubeAccess> | undefined;
  const access = (): Promise<ClosableKubeAccess> =>
    (made ??= import('./kube-client-node.ts').then((m) => m.createClientNodeKubeAccess(ctx)));
  return {
    jwks: async () => (await access()).jwks(),
    createToken: async (sa, audiences, seconds) => (await access()).createToken(sa, audiences, seconds),
    readSecret: async (namespace, name) => (await access()).readSecret(namespace, name),
    listCredentialsRequests: async () => (await access()).listCredentialsRequests(),
    close: async () => {
      if (made !== undefined) await (await made.catch(() => undefined))?.close();
    },
  };
}
