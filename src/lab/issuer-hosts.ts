// Issuers on their own loopback addresses (fleet `issuerAddresses: distinct`). Every real issuer is its own host
// (https://<bucket>.s3.<region>.amazonaws.com, https://<id>.cloudfront.net), so no client shares a connection between
// two clusters' issuers; with this the lab is the same. Linux routes all of 127.0.0.0/8 to loopback (STACK 10): the
// cluster at index i gets 127.0.x.y on the lab's port. One plain TCP listener per address hands each connection to a
// TLS server whose certificate names that address and the 15 next ones (IP SANs), and that TLS server hands the
// decrypted connection to the lab's HTTPS server, which serves it like any other. The edge then answers only that
// cluster's issuer paths on that address (edge.ts).
//
// Why 16 names per certificate (measured, 2-core machine): a certificate per address costs ~4 ms of signing each at
// start (12 s for 3,000 clusters); one certificate naming a whole /24 (254 SANs, 3.2 KB) starts fast but doubles
// Node's getPeerCertificate(true), which every Node client runs per handshake. 16 names make a 1.3 KB certificate,
// the size of S3's own wildcard certificate, and 188 certificates (~0.5 s) for 3,000 clusters.
import net from 'node:net';
import type { Server as HttpsServer } from 'node:https';
import tls from 'node:tls';
import { LabPortInUseError } from './listen.ts';

/** Addresses per /24 block: 127.0.x.1 to 127.0.x.254 (127.0.0.1 is the lab's own). */
const PER_BLOCK = 254;

/** The loopback address of the cluster at `index` (0-based): 127.0.0.2 … 127.0.0.254, 127.0.1.1 … */
export function issuerAddress(index: number): string {
  const n = index + 1; // skip 127.0.0.1
  const block = Math.floor(n / PER_BLOCK);
  if (block > 255) throw new RangeError(`no distinct loopback address for cluster ${index + 1}`);
  return `127.0.${block}.${(n % PER_BLOCK) + 1}`;
}

/** Addresses named by one certificate (and served by one TLS server). */
export const NAMES_PER_CERTIFICATE = 16;

export interface IssuerHostsOptions {
  addresses: string[];
  port: number;
  /** The lab's HTTPS server: every decrypted connection is handed to it. */
  server: HttpsServer;
  keyPem: string;
  /** A certificate for keyPem naming these addresses (LabTls.certificateFor). */
  certificateFor: (addresses: string[]) => Promise<string>;
}

export interface IssuerHosts {
  close(): Promise<void>;
}

/** Listen on every address (on `port`); a taken address is a LabPortInUseError, and nothing stays open then. */
export async function listenIssuerHosts(opts: IssuerHostsOptions): Promise<IssuerHosts> {
  const groups = Array.from({ length: Math.ceil(opts.addresses.length / NAMES_PER_CERTIFICATE) }, (_, i) =>
    opts.addresses.slice(i * NAMES_PER_CERTIFICATE, (i + 1) * NAMES_PER_CERTIFICATE),
  );
  const tlsServerOf = new Map<string, tls.Server>();
  await Promise.all(
    groups.map(async (addresses) => {
      const cert = await opts.certificateFor(addresses);
      const server = tls.createServer({ key: opts.keyPem, cert, ALPNProtocols: ['http/1.1'] }, (socket) =>
        opts.server.emit('secureConnection', socket),
      );
      for (const a of addresses) tlsServerOf.set(a, server);
    }),
  );
  const sockets = new Set<net.Socket>();
  const listeners: net.Server[] = [];
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await Promise.all(listeners.map((l) => new Promise((resolve) => l.close(resolve))));
  };
  try {
    for (const address of opts.addresses) {
      const tlsServer = tlsServerOf.get(address) as tls.Server;
      const listener = net.createServer((raw) => {
        sockets.add(raw);
        raw.once('close', () => sockets.delete(raw));
        tlsServer.emit('connection', raw);
      });
      listeners.push(listener);
      await listen(listener, address, opts.port);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { close };
}

function listen(listener: net.Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let listening = false;
    listener.on('error', (err: NodeJS.ErrnoException) => {
      if (listening) return; // accept errors of a listening server are the client's problem, not the lab's
      if (err.code === 'EADDRINUSE') reject(new LabPortInUseError(address, port));
      else if (err.code === 'EADDRNOTAVAIL')
        reject(new Error(`${address} is not a local address: distinct issuer addresses need Linux's 127.0.0.0/8`));
      else if (err.code === 'EMFILE')
        reject(new Error(`out of file descriptors listening on ${address} (one per issuer address): raise ulimit -n`));
      else reject(err);
    });
    listener.listen({ host: address, port, exclusive: true }, () => {
      listening = true;
      resolve();
    });
  });
}
