// Run the real AWS CLI v2 (Debian's /usr/bin/aws) against the lab, from a clean environment.
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import * as x509 from '@peculiar/x509';

/** PATH resolves `aws` to a pip v1 on the build machine; the v2 CLI is Debian's (STACK.md 9). */
export const AWS_CLI = '/usr/bin/aws';

/** Fail loudly rather than skip: CI (.ci/run) installs Debian's awscli. */
export function requireAwsCli(): void {
  try {
    accessSync(AWS_CLI, constants.X_OK);
  } catch {
    throw new Error(
      `${AWS_CLI} is missing: these interop tests need AWS CLI v2; CI installs Debian's awscli (apt-get install awscli)`,
    );
  }
}

export interface CliTarget {
  endpoint: string;
  caFile: string;
}

export interface CliCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let home: string | undefined;

/** A private HOME with only a config file: region us-east-1, path-style S3. */
function cliHome(): string {
  if (!home) {
    home = mkdtempSync(join(tmpdir(), 'irsa-awscli-'));
    writeFileSync(join(home, 'config'), '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n');
  }
  return home;
}

/** A file in the CLI's private HOME, for `file://` arguments. */
export function cliFile(name: string, content: string): string {
  const path = join(cliHome(), name);
  writeFileSync(path, content);
  return path;
}

/**
 * `aws <args> --endpoint-url <lab> --output json` with nothing inherited from this machine's environment
 * (it sets AWS_CA_BUNDLE and NODE_EXTRA_CA_CERTS globally). No credentials → no AWS keys in the env at all.
 */
export function awsCli(
  target: CliTarget,
  args: string[],
  credentials?: CliCredentials,
  extraEnv: Record<string, string> = {},
): Promise<CliResult> {
  if (!target.caFile) throw new Error('AWS_CA_BUNDLE must never be empty: the CLI then skips TLS verification');
  const dir = cliHome();
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/bin:/bin',
    HOME: dir,
    LANG: 'C.UTF-8',
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_CA_BUNDLE: target.caFile,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    ...(credentials
      ? { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey }
      : {}),
    ...extraEnv,
  };
  return new Promise((resolve) => {
    execFile(
      AWS_CLI,
      [...args, '--endpoint-url', target.endpoint, '--output', 'json'],
      { env, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** stdout parsed as JSON; a failed call throws with the CLI's stderr (which never holds secrets). */
export function cliJson<T = Record<string, unknown>>(result: CliResult): T {
  if (result.code !== 0) throw new Error(`aws exited ${result.code}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as T;
}

export interface S3ControlProxy {
  /** Give these to awsCli for `s3control` calls. */
  target: CliTarget;
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * The CLI's S3 Control endpoint rules always put `<account>.` in front of the --endpoint-url host
 * (botocore 2.9.19 endpoint-rule-set: `{url#scheme}://{AccountId}.{url#authority}{url#path}`), a name that
 * neither resolves here nor matches the lab's certificate. This HTTPS proxy answers CONNECT for
 * `<account>.localhost:<lab port>` only, presents a throwaway certificate for that name, and relays the
 * decrypted bytes unchanged to the lab over TLS verified with the lab CA: the lab sees the CLI's own request
 * (Host header and SigV4 signature included) and the CLI sees the lab's own response.
 */
export async function startS3ControlProxy(
  lab: { endpoint: string; caPem: string },
  accountId: string,
): Promise<S3ControlProxy> {
  const labPort = Number(new URL(lab.endpoint).port);
  const host = `${accountId}.localhost`;
  const { certPem, keyPem } = await selfSignedCert(host);
  const server = createServer((_req, res) => res.writeHead(405).end());
  const sockets = new Set<Socket>();
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (req.url !== `${host}:${labPort}`) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) client.unshift(head);
    const inner = new TLSSocket(client, { isServer: true, key: keyPem, cert: certPem });
    const upstream = tlsConnect({ host: '127.0.0.1', port: labPort, ca: lab.caPem });
    const stop = (): void => {
      inner.destroy();
      upstream.destroy();
    };
    inner.on('error', stop);
    upstream.on('error', stop);
    inner.pipe(upstream).pipe(inner);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxyPort = (server.address() as AddressInfo).port;
  return {
    target: { endpoint: `https://localhost:${labPort}`, caFile: cliFile('s3control-ca.pem', `${certPem}\n`) },
    env: { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function selfSignedCert(dnsName: string): Promise<{ certPem: string; keyPem: string }> {
  x509.cryptoProvider.set(webcrypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${dnsName}`,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: dnsName }]),
    ],
  });
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(der, 'PRIVATE KEY') };
}
