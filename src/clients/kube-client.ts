// KubeAccess over @kubernetes/client-node 2.x (STACK.md 6) with one kubeconfig context: the cluster's JWKS,
// TokenRequest, secrets and CredentialsRequests. Failures become KubeError with the HTTP status; their messages carry
// the API's Status message, never a token.
import { ApiException, CoreV1Api, CustomObjectsApi, OpenidApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { JWK } from 'jose';
import { readCredentialsRequests } from '../ccoctl/credentials-requests.ts';
import type { CredentialsRequestInfo } from '../ccoctl/credentials-requests.ts';
import { KubeError } from './kube.ts';
import type { KubeAccess, ServiceAccountRef } from './kube.ts';
import { contextOf, loadDefaultKubeconfig, loadKubeconfigFile } from './kubeconfig.ts';
import type { PooledKubeConfig } from './kubeconfig.ts';

const CREDENTIALS_REQUESTS = { group: 'cloudcredential.openshift.io', version: 'v1', plural: 'credentialsrequests' };

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
  const files = new Map<string, KubeConfig | KubeError>();
  const accesses = new Map<string, KubeAccess>();
  const contexts: PooledKubeConfig[] = [];
  const fileOf = (kubeconfig: string | undefined): KubeConfig => {
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
        const kc = contextOf(fileOf(kube.kubeconfig), kube.context, kube.kubeconfig ?? 'the default kubeconfig');
        contexts.push(kc);
        return accessFor(kc, kube);
      });
      access = made instanceof KubeError ? unavailable(made) : made;
      accesses.set(key, access);
    }
    return access;
  };
  return Object.assign(factory, {
    async close(): Promise<void> {
      accesses.clear();
      await Promise.all(contexts.splice(0).map((kc) => kc.closeDispatcher()));
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
export function createKubeAccess(kube: KubeTarget): KubeAccess {
  return accessFor(
    contextOf(
      kube.kubeconfig === undefined ? loadDefaultKubeconfig() : loadKubeconfigFile(kube.kubeconfig),
      kube.context,
      kube.kubeconfig ?? 'the default kubeconfig',
    ),
    kube,
  );
}

function accessFor(kc: KubeConfig, kube: KubeTarget): KubeAccess {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const openid = kc.makeApiClient(OpenidApi);
  const where = `context ${kube.context}`;

  /** The call's result, or a KubeError naming the context and what was asked. */
  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toKubeError(`${where}: ${what}`, err);
    }
  }

  return {
    async jwks() {
      // The generated client types it as a string; the API server answers application/jwk-set+json, parsed as JSON.
      const raw: unknown = await call('GET /openid/v1/jwks', () => openid.getServiceAccountIssuerOpenIDKeyset());
      const doc: unknown = typeof raw === 'string' ? parseJson(raw) : raw;
      const keys = (doc as { keys?: unknown } | undefined)?.keys;
      if (!Array.isArray(keys)) throw new KubeError(`${where}: GET /openid/v1/jwks did not return a JWK set`);
      return { keys: keys as JWK[] };
    },

    async createToken(sa: ServiceAccountRef, audiences: string[], expirationSeconds: number) {
      const res = await call(`TokenRequest for ${sa.namespace}/${sa.name}`, () =>
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
      const token = res.status?.token;
      if (!token) throw new KubeError(`${where}: TokenRequest for ${sa.namespace}/${sa.name} returned no token`);
      return token;
    },

    async readSecret(namespace: string, name: string) {
      try {
        const secret = await core.readNamespacedSecret({ name, namespace });
        const data = secret.data ?? {};
        return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      } catch (err) {
        const error = toKubeError(`${where}: GET secret ${namespace}/${name}`, err);
        if (error.status === 404) return undefined;
        throw error;
      }
    },

    async listCredentialsRequests(): Promise<CredentialsRequestInfo[]> {
      const list = (await call('list credentialsrequests.cloudcredential.openshift.io', () =>
        custom.listClusterCustomObject(CREDENTIALS_REQUESTS),
      )) as { items?: unknown[] };
      // Read by the same rules as a CredentialsRequests folder; a list's items may leave out their kind.
      const items = (list.items ?? []).map((item) => ({ kind: 'CredentialsRequest', ...(item as object) }));
      try {
        return readCredentialsRequests(items, `${where}: credentialsrequests`);
      } catch (err) {
        throw new KubeError((err as Error).message, undefined, { cause: err });
      }
    },
  };
}

function toKubeError(what: string, err: unknown): KubeError {
  if (err instanceof KubeError) return err;
  if (err instanceof ApiException) {
    const status = err.code;
    // The body is the API's metav1.Status (as text or parsed); its message says what failed. Headers are left out.
    const body: unknown = typeof err.body === 'string' ? parseJson(err.body) : err.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    return new KubeError(`${what} failed: HTTP ${status}${typeof message === 'string' ? `: ${message}` : ''}`, status);
  }
  // A transport failure (fetch failed) says why only in its cause: refused, reset, TLS, timeout.
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const reason = err instanceof Error ? err.message : String(err);
  return new KubeError(`${what} failed: ${reason}${cause}`, undefined, { cause: err });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
