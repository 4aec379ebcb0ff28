// KubeAccess for a kubeconfig context that authenticates with a bearer token (token, tokenFile), a client certificate,
// or not at all: the four calls a probe makes (GET /openid/v1/jwks, a TokenRequest, GET a secret, list
// CredentialsRequests) as plain HTTPS requests over one undici pool per context. @kubernetes/client-node does the same
// for every other kind of context (kube-client-node.ts), but loading it costs ~50 MiB of the agent's memory
// (its 868 generated files) and three API client objects per cluster; measured at 1,000 clusters.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import {
  CREDENTIALS_REQUESTS,
  credentialsRequestsOf,
  httpError,
  jwkSetOf,
  parseJson,
  secretDataOf,
  tokenOf,
  transportError,
} from './kube-answers.ts';
import { KubeError } from './kube.ts';
import type { KubeAccess } from './kube.ts';
import type { KubeconfigFields, ResolvedContext } from './kubeconfig.ts';
import { connectionReusable } from './connection-reuse.ts';
import { kubeAgent } from './kube-transport.ts';
import type { TlsConnect } from './kube-transport.ts';

/** An answer larger than this is refused (a CredentialsRequest list of a cluster is tens of KiB). */
const MAX_ANSWER_BYTES = 16 * 2 ** 20;
export interface DirectKubeOptions {
  /** Time for a whole call, from the request to the answer's last byte (a server sending a byte a second is cut off). Default 60,000 ms. */
  totalTimeoutMs?: number;
}

/** Time for the API server to start answering, and between two chunks of its answer. */
const ANSWER_TIMEOUT_MS = 30_000;
const TOTAL_TIMEOUT_MS = 60_000;
/** A tokenFile is read again when its copy is older than this (projected tokens rotate). */
const TOKEN_FILE_REREAD_MS = 60_000;

/** A KubeAccess whose connection pool can be closed. */
export type ClosableKubeAccess = KubeAccess & { close(): Promise<void> };

const invalid = (message: string): KubeError => new KubeError(message, undefined, { code: 'KUBECONFIG_INVALID' });

/** A file the kubeconfig names, relative to the kubeconfig's folder. */
function readNamed(ctx: ResolvedContext, dir: string, field: string, file: unknown): Buffer {
  const path = String(file);
  try {
    return readFileSync(isAbsolute(path) ? path : join(dir, path));
  } catch (err) {
    throw invalid(
      `kubeconfig context "${ctx.name}": cannot read its ${field} ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** `<field>-data` (base64) or `<field>` (a file), whichever the entry has. */
function material(ctx: ResolvedContext, fields: KubeconfigFields, dir: string, field: string): Buffer | undefined {
  const data = fields[`${field}-data`];
  if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64');
  const file = fields[field];
  if (typeof file === 'string' && file !== '') return readNamed(ctx, dir, field, file);
  return undefined;
}

/** The TLS options of a context: its CA, client certificate, server name, and whether to verify at all. */
function tlsOf(ctx: ResolvedContext): TlsConnect {
  const cluster = ctx.cluster.fields;
  const user = ctx.user?.fields ?? {};
  const userDir = ctx.user?.dir ?? ctx.cluster.dir;
  const ca = material(ctx, cluster, ctx.cluster.dir, 'certificate-authority');
  const cert = material(ctx, user, userDir, 'client-certificate');
  const key = material(ctx, user, userDir, 'client-key');
  if ((cert === undefined) !== (key === undefined))
    throw invalid(`kubeconfig context "${ctx.name}": its user has a client certificate or key without the other`);
  const servername = cluster['tls-server-name'];
  return {
    ...(ca && { ca }),
    ...(cert && key && { cert, key }),
    ...(typeof servername === 'string' && servername !== '' && { servername }),
    ...(cluster['insecure-skip-tls-verify'] === true && { rejectUnauthorized: false }),
  };
}

/** The bearer token of a context, if any: `token`, else `tokenFile` (read again once a minute). */
function tokenSource(ctx: ResolvedContext): () => string | undefined {
  const user = ctx.user?.fields ?? {};
  if (typeof user.token === 'string' && user.token !== '') {
    const token = user.token;
    return () => token;
  }
  const file = user.tokenFile ?? user['token-file'];
  if (typeof file !== 'string' || file === '') return () => undefined;
  const dir = ctx.user!.dir;
  let cached: { token: string; at: number } | undefined;
  return () => {
    if (cached === undefined || performance.now() - cached.at > TOKEN_FILE_REREAD_MS)
      cached = { token: readNamed(ctx, dir, 'tokenFile', file).toString('utf8').trim(), at: performance.now() };
    return cached.token;
  };
}

/** KubeAccess for a context needsClientNode() accepts; throws KubeError KUBECONFIG_INVALID for unreadable material. */
export function createDirectKubeAccess(ctx: ResolvedContext, options: DirectKubeOptions = {}): ClosableKubeAccess {
  const totalTimeoutMs = options.totalTimeoutMs ?? TOTAL_TIMEOUT_MS;
  const server = String(ctx.cluster.fields.server).replace(/\/+$/, '');
  const token = tokenSource(ctx);
  // Read now, so a missing CA or key file is reported when the cluster is set up, like a YAML error.
  const dispatcher: Dispatcher = kubeAgent(tlsOf(ctx));
  const where = `context ${ctx.name}`;

  /** The parsed JSON answer of one call; KubeError with the status (and Status message) or the transport failure. */
  async function call(what: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const label = `${where}: ${what}`;
    const deadline = AbortSignal.timeout(totalTimeoutMs);
    let res: Dispatcher.ResponseData;
    try {
      const bearer = token();
      res = await request(`${server}${path}`, {
        method,
        dispatcher,
        signal: deadline,
        headersTimeout: ANSWER_TIMEOUT_MS,
        bodyTimeout: ANSWER_TIMEOUT_MS,
        headers: {
          accept: 'application/json',
          'user-agent': 'irsa-sentinel',
          ...(bearer !== undefined && { authorization: `Bearer ${bearer}` }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw deadline.aborted ? overtime(label, totalTimeoutMs) : transportError(label, err);
    }
    const text = await readAnswer(label, res).catch((err: unknown) => {
      throw deadline.aborted ? overtime(label, totalTimeoutMs) : err;
    });
    // The probe's next call to this API server finds this connection free.
    await connectionReusable();
    if (res.statusCode < 200 || res.statusCode > 299) throw httpError(label, res.statusCode, text);
    const parsed = parseJson(text);
    if (parsed === undefined)
      throw new KubeError(`${label} failed: HTTP ${res.statusCode} with a body that is not JSON`);
    return parsed;
  }

  const segment = encodeURIComponent;
  return {
    async jwks() {
      return jwkSetOf(where, await call('GET /openid/v1/jwks', 'GET', '/openid/v1/jwks'));
    },

    async createToken(sa, audiences, expirationSeconds) {
      const answer = await call(
        `TokenRequest for ${sa.namespace}/${sa.name}`,
        'POST',
        `/api/v1/namespaces/${segment(sa.namespace)}/serviceaccounts/${segment(sa.name)}/token`,
        { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences, expirationSeconds } },
      );
      return tokenOf(where, sa, answer);
    },

    async readSecret(namespace, name) {
      try {
        return secretDataOf(
          await call(
            `GET secret ${namespace}/${name}`,
            'GET',
            `/api/v1/namespaces/${segment(namespace)}/secrets/${segment(name)}`,
          ),
        );
      } catch (err) {
        if (err instanceof KubeError && err.status === 404) return undefined;
        throw err;
      }
    },

    async listCredentialsRequests() {
      const { group, version, plural } = CREDENTIALS_REQUESTS;
      const answer = await call(`list ${plural}.${group}`, 'GET', `/apis/${group}/${version}/${plural}`);
      return credentialsRequestsOf(where, answer);
    },

    async close() {
      await dispatcher.close().catch(() => undefined);
    },
  };
}

const overtime = (label: string, ms: number): KubeError =>
  new KubeError(`${label} failed: no complete answer within ${ms} ms`);

/** The answer's text, refused past MAX_ANSWER_BYTES without reading on. */
async function readAnswer(label: string, res: Dispatcher.ResponseData): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        res.body.destroy();
        throw new KubeError(
          `${label} failed: HTTP ${res.statusCode} with an answer larger than ${MAX_ANSWER_BYTES} bytes`,
          res.statusCode,
        );
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw transportError(label, err);
  }
  return Buffer.concat(chunks).toString('utf8');
}
