// The lab's S3 Control way in for the AWS CLI: an HTTP proxy that answers CONNECT for the lab's own listener only.
// The CLI's S3 Control endpoint rules put `<account>.` in front of the --endpoint-url host (botocore 2.9.19:
// `{url#scheme}://{AccountId}.{url#authority}`), a name nothing resolves here. With HTTPS_PROXY pointing at this proxy
// the CLI never resolves it: it asks the proxy for a tunnel, and the proxy opens one to the lab's port. TLS runs end
// to end between the CLI and the lab, whose certificate names `<account>.localhost` (tls.ts).
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface ConnectProxy {
  /** http://127.0.0.1:PORT, the value for HTTPS_PROXY. */
  readonly url: string;
  close(): Promise<void>;
}

export interface ConnectProxyOptions {
  /** The lab's listener: the only place tunnels go. */
  labPort: number;
  /** Host names (as the client names them in CONNECT) that stand for the lab's listener. */
  hosts: string[];
}

/** `host:port` of a CONNECT request target, lower-cased host; undefined when it is not one. */
function authority(target: string | undefined): { host: string; port: number } | undefined {
  const m = /^([^:/\s]+):(\d{1,5})$/.exec(target ?? '');
  return m ? { host: (m[1] as string).toLowerCase(), port: Number(m[2]) } : undefined;
}

const refuse = (client: Socket, status: string, text: string): void => {
  client.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${text}\n`);
};

export async function startConnectProxy(opts: ConnectProxyOptions): Promise<ConnectProxy> {
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const allowed = `${opts.hosts.join(', ')} on port ${opts.labPort}`;
  const server = createServer((_req, res) => {
    res.writeHead(405, { allow: 'CONNECT', 'content-type': 'text/plain' });
    res.end(`this proxy only opens CONNECT tunnels to the lab (${allowed})\n`);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    track(client);
    client.on('error', () => client.destroy());
    const target = authority(req.url);
    if (!target || target.port !== opts.labPort || !opts.hosts.includes(target.host)) {
      refuse(client, '403 Forbidden', `the lab proxy tunnels only to ${allowed}, not to ${req.url ?? '(none)'}`);
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: opts.labPort });
    track(upstream);
    const stop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    let tunnelled = false;
    upstream.once('error', () => {
      if (tunnelled) stop();
      else refuse(client, '502 Bad Gateway', `the lab's listener on port ${opts.labPort} refused the tunnel`);
    });
    upstream.once('connect', () => {
      tunnelled = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
      client.once('close', stop);
      upstream.once('close', stop);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
