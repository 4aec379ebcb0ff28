// What the cluster API's answers mean to a probe, whichever client fetched them (kube-direct.ts, kube-client-node.ts):
// a JWK set, a TokenRequest's token, a secret's data decoded, CredentialsRequests as ccoctl reads them, and a failed
// call as a KubeError naming the context, what was asked and the API's Status message (never a header or a token).
import type { JWK } from 'jose';
import { readCredentialsRequests } from '../ccoctl/credentials-requests.ts';
import type { CredentialsRequestInfo } from '../ccoctl/credentials-requests.ts';
import { KubeError } from './kube.ts';

export const CREDENTIALS_REQUESTS = {
  group: 'cloudcredential.openshift.io',
  version: 'v1',
  plural: 'credentialsrequests',
} as const;

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** GET /openid/v1/jwks's answer (text or parsed) as a JWK set. */
export function jwkSetOf(where: string, raw: unknown): { keys: JWK[] } {
  const doc: unknown = typeof raw === 'string' ? parseJson(raw) : raw;
  const keys = (doc as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys)) throw new KubeError(`${where}: GET /openid/v1/jwks did not return a JWK set`);
  return { keys: keys as JWK[] };
}

/** A TokenRequest's token; KubeError when the answer has none. */
export function tokenOf(where: string, sa: { namespace: string; name: string }, answer: unknown): string {
  const token = (answer as { status?: { token?: unknown } } | undefined)?.status?.token;
  if (typeof token !== 'string' || token === '')
    throw new KubeError(`${where}: TokenRequest for ${sa.namespace}/${sa.name} returned no token`);
  return token;
}

/** A Secret's data, base64-decoded. */
export function secretDataOf(answer: unknown): Record<string, string> {
  const data = (answer as { data?: Record<string, unknown> } | undefined)?.data ?? {};
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(typeof v === 'string' ? v : '', 'base64').toString('utf8')]),
  );
}

/** A CredentialsRequest list read by the same rules as a CredentialsRequests folder (items may leave out kind). */
export function credentialsRequestsOf(where: string, answer: unknown): CredentialsRequestInfo[] {
  const items = ((answer as { items?: unknown[] } | undefined)?.items ?? []).map((item) => ({
    kind: 'CredentialsRequest',
    ...(item as object),
  }));
  try {
    return readCredentialsRequests(items, `${where}: credentialsrequests`);
  } catch (err) {
    throw new KubeError((err as Error).message, undefined, { cause: err });
  }
}

/** An HTTP error answer: its status and the message of the metav1.Status body (text or parsed), if any. */
export function httpError(what: string, status: number, body: unknown): KubeError {
  const doc: unknown = typeof body === 'string' ? parseJson(body) : body;
  const message = (doc as { message?: unknown } | undefined)?.message;
  return new KubeError(`${what} failed: HTTP ${status}${typeof message === 'string' ? `: ${message}` : ''}`, status);
}

/** A failure without an HTTP answer (refused, reset, TLS, timeout): the error's message and its cause's. */
export function transportError(what: string, err: unknown): KubeError {
  if (err instanceof KubeError) return err;
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const reason = err instanceof Error ? err.message : String(err);
  return new KubeError(`${what} failed: ${reason}${cause}`, undefined, { cause: err });
}
