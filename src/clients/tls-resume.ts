// An undici connector that resumes TLS sessions only within a short window after the full, verified handshake that
// made them, and makes a connection to a host whose full handshake is under way wait for it (and resume it) instead
// of starting a second one. Every issuer and every cluster API is its own host, and the probes of one cluster reach
// it at about the same moment (issuer, jwks and bucket GET the issuer's documents; jwks and roles call the cluster
// API): without this each made its own full handshake, the largest share of the TLS cost of a fleet cycle (measured
// with --cpu-prof, on both sides: the server signs every full handshake).
import type { TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';

/** undici's connector: what an Agent's `connect` option takes. */
export type Connector = buildConnector.connector;

/** The connector, and what it holds: the sessions it may resume and the bytes of memory behind them. */
export type ResumingConnector = Connector & { held(): { sessions: number; bytes: number } };

export interface ResumingConnectorOptions {
  /**
   * How long after a full handshake with a host new connections to it resume that session instead of verifying the
   * certificate again, as a kept-alive connection is reused without one. 0: every connection a full handshake.
   */
  windowMs: number;
  /**
   * After a full handshake, how long connections that wait for it wait for its session ticket (TLS 1.3 sends it just
   * after the handshake); past it, or without a ticket, they make their own full handshake.
   */
  ticketWaitMs?: number;
}

/**
 * A copy of a session ticket in a buffer of its own size: the Buffer the 'session' event gives is a view of a 64 KiB
 * read buffer, which a kept ticket would keep alive whole (measured: 30 MiB at 1,000 clusters in a heap snapshot).
 */
function own(ticket: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(ticket.length);
  ticket.copy(copy);
  return copy;
}

interface Window {
  session: Buffer;
  until: number;
}

/**
 * `options` are undici's (buildConnector); its own session cache is off. A ticket a resumed connection receives
 * replaces the session but not its deadline, so a host's certificate is verified again at least once per window.
 * Sessions are per connector: only resumed under the trust (CA list, address lookup) they were verified with.
 */
export function resumingConnector(
  options: buildConnector.BuildOptions,
  opts: ResumingConnectorOptions,
): ResumingConnector {
  const full = buildConnector({ ...options, maxCachedSessions: 0 });
  const { windowMs } = opts;
  const ticketWaitMs = opts.ticketWaitMs ?? 100;
  if (windowMs <= 0) return Object.assign(full, { held: () => ({ sessions: 0, bytes: 0 }) });
  // In handshake order, so the expired ones are at the front.
  const sessions = new Map<string, Window>();
  // Full handshakes under way, per origin: resolved once the session is known (or will not be).
  const handshakes = new Map<string, Promise<void>>();

  /**
   * A session is forgotten when its window ends even if this connector is not used again (a cluster API's connector
   * may be idle until the next cycle). Made here, not where the ticket arrives: a timer made there would keep that
   * connection's undici client and pool alive for the whole window (measured: 9 MiB at 1,000 clusters).
   */
  const forgetAtEnd = (origin: string, entry: Window): void => {
    setTimeout(() => sessions.get(origin) === entry && sessions.delete(origin), windowMs).unref();
  };

  const current = (origin: string): Buffer | undefined => {
    const now = performance.now();
    for (const [key, entry] of sessions) {
      if (entry.until > now) break;
      sessions.delete(key);
    }
    return sessions.get(origin)?.session;
  };

  function connect(origin: string, connectOpts: buildConnector.Options, callback: buildConnector.Callback): void {
    const session = current(origin);
    if (session !== undefined) {
      // A connector made for one connection is the only way to hand undici's connector a session.
      buildConnector({ ...options, maxCachedSessions: 0, session })(connectOpts, (err, socket) => {
        if (err || !socket) return callback(err ?? new Error('connector returned no socket'), null);
        socket.on('session', (ticket: Buffer) => {
          const entry = sessions.get(origin);
          if (entry !== undefined && entry.until > performance.now()) entry.session = own(ticket);
        });
        callback(null, socket);
      });
      return;
    }
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    handshakes.set(origin, settled);
    const done = (): void => {
      if (handshakes.get(origin) === settled) handshakes.delete(origin);
      settle();
    };
    full(connectOpts, (err, socket) => {
      if (err || !socket) {
        done();
        return callback(err ?? new Error('connector returned no socket'), null);
      }
      const tls = socket as TLSSocket;
      // A session resumed by the server all the same (undici was given none: it cannot be) counts as full.
      tls.on('session', (ticket: Buffer) => {
        const entry = sessions.get(origin);
        // The first ticket opens the window; a second one (TLS 1.3 servers send two) replaces it within it.
        if (entry !== undefined && handshakes.get(origin) !== settled) entry.session = own(ticket);
        else {
          sessions.delete(origin);
          const opened: Window = { session: own(ticket), until: performance.now() + windowMs };
          sessions.set(origin, opened);
          forgetAtEnd(origin, opened);
        }
        done();
      });
      tls.once('close', done);
      setTimeout(done, ticketWaitMs).unref();
      callback(null, socket);
    });
  }

  const connector: Connector = (connectOpts, callback) => {
    if (connectOpts.protocol !== 'https:') return full(connectOpts, callback);
    const origin = `${connectOpts.hostname}:${connectOpts.port}\u0000${connectOpts.servername ?? ''}`;
    const pending = handshakes.get(origin);
    if (pending === undefined || current(origin) !== undefined) return connect(origin, connectOpts, callback);
    void pending.then(() => connect(origin, connectOpts, callback));
  };
  const held = () => {
    let bytes = 0;
    for (const { session } of sessions.values()) bytes += session.buffer.byteLength;
    return { sessions: sessions.size, bytes };
  };
  return Object.assign(connector, { held });
}
