// Secrets planted where an attacker (or an accident) can put them, and a hostile HTTPS server that answers every AWS
// and Kubernetes API call with an error whose message carries them.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { LabTls } from '../../src/lab/tls.ts';

export interface PlantedSecrets {
  /** One text holding every kind: what gets planted. */
  text: string;
  /** Distinctive pieces of each secret, by kind: none may appear in any output. */
  needles: Record<string, string[]>;
}

const b64 = (bytes: number): string => randomBytes(bytes).toString('base64');
const b64url = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Every kind of secret the agent must never let out; `jwt` is a real service-account token of a lab cluster. */
export function plantedSecrets(jwt: string): PlantedSecrets {
  const partialJwt = `eyJhbGciOiJSUzI1NiIsImtpZCI6I${b64url(12)}`;
  const kubeToken = `sha256~${b64url(32)}`;
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const pemLines = (pem as string).split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  const secretKey = b64(30);
  const xmlSecretKey = b64(30);
  const sessionToken = b64(200);
  const text = [
    `token ${jwt}`,
    `cut ${partialJwt}`,
    `oauth ${kubeToken}`,
    pem as string,
    `aws_secret_access_key = ${secretKey}`,
    `<Credentials><SecretAccessKey>${xmlSecretKey}</SecretAccessKey><SessionToken>${sessionToken}</SessionToken>`,
  ].join('\n');
  const [, payload, signature] = jwt.split('.') as [string, string, string];
  return {
    text,
    needles: {
      jwt: [payload.slice(0, 40), signature.slice(0, 40), signature.slice(-20)],
      'partial jwt': [partialJwt.slice(3)],
      'kube token': [kubeToken.slice(7)],
      'private key': pemLines.map((l) => l.slice(0, 32)),
      'aws secret key': [secretKey, xmlSecretKey],
      'aws session token': [sessionToken.slice(0, 60), sessionToken.slice(-60)],
    },
  };
}

/** Which needle of `planted` is in `text`, if any, as "kind: needle". */
export function leakIn(text: string, planted: PlantedSecrets): string | undefined {
  for (const [kind, needles] of Object.entries(planted.needles))
    for (const n of needles) if (text.includes(n)) return `${kind}: ${n}`;
  return undefined;
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * An HTTPS server answering errors that carry `message`: Kubernetes Status (403) under /k8s/, CloudTrail's JSON error
 * for X-Amz-Target calls, the Query error (IAM, STS) for form posts, S3's XML error for anything else.
 */
export async function hostileServer(tls: LabTls, message: () => string): Promise<{ url: string; server: Server }> {
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const text = message();
      if (req.url?.startsWith('/k8s/')) {
        const status = {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: text,
          reason: 'Forbidden',
          code: 403,
        };
        return void res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify(status));
      }
      if (req.headers['x-amz-target'])
        return void res
          .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify({ __type: 'AccessDeniedException', message: text }));
      const xml = `<Code>AccessDenied</Code><Message>${xmlEscape(text)}</Message>`;
      if (new URLSearchParams(body).has('Action'))
        return void res
          .writeHead(403, { 'content-type': 'text/xml' })
          .end(`<ErrorResponse><Error><Type>Sender</Type>${xml}</Error><RequestId>r-1</RequestId></ErrorResponse>`);
      res.writeHead(403, { 'content-type': 'application/xml' }).end(`<Error>${xml}<RequestId>r-1</RequestId></Error>`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
