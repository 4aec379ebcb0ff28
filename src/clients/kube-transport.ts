// The connection pool of one cluster API: an undici Agent whose TLS material is one secure context shared by every
// context with the same CA and client certificate. Used by the direct client (kube-direct.ts) and, for direct
// connections, by the client-node one (kube-client-node.ts).
import { createHash } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { ConnectionOptions, SecureContext } from 'node:tls';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { resumingConnector } from './tls-resume.ts';

/** How long after a full handshake with an API server new connections to it resume that session (tls-resume.ts). */
const SESSION_REUSE_MS = 10_000;

/**
 * How long an idle connection to an API server stays open. A cluster's jwks and roles probes call it at about the
 * same moment; a minute later the next run finds it closed whatever this is. Each open TLS connection holds ~60 KiB
 * of native buffers: at 1,000 clusters a 4 s keep-alive kept ~170 of them open at once (heap snapshot); 250 ms (with
 * the issuer fetcher's) held 24-51 MiB less RSS than 1 s at the same CPU (bench:fleet, 2026-12-07).
 */
export const KUBE_KEEP_ALIVE_MS = 250;

export type TlsConnect = ConnectionOptions & { keepAlive?: boolean; keepAliveInitialDelay?: number };

/** A digest of TLS options (they hold the client key, which is not kept): their Buffers hashed as bytes. */
export function digestOf(options: object): string {
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

/** An undici Agent for one API server, with its TLS material (CA, client certificate) as one shared secure context. */
export function kubeAgent(connect: TlsConnect): Dispatcher {
  const { ca, cert, key, pfx, passphrase, ...rest } = connect;
  const secureContext = sharedSecureContext({ ca, cert, key, pfx, passphrase });
  // At most two connections to an API server: a probe's parallel calls (a TokenRequest and a secret per role) each
  // opened its own TLS connection, five per cluster and cycle, and the handshakes were the largest CPU cost of a
  // 1,000-cluster cycle (measured).
  return new Agent({
    // The jwks and roles probes of a cluster call its API at the same moment: the second connection waits for the
    // first's handshake and resumes its session (tls-resume.ts).
    connect: resumingConnector({ ...rest, secureContext }, { windowMs: SESSION_REUSE_MS }),
    connections: 2,
    keepAliveTimeout: KUBE_KEEP_ALIVE_MS,
    keepAliveMaxTimeout: KUBE_KEEP_ALIVE_MS,
  });
}
