// The lab's TLS: a CA made at start (kept in the data dir so clients can trust it) and a leaf (ECDSA P-256) for
// 127.0.0.1, localhost and <account>.localhost (the host the AWS CLI's S3 Control endpoint rules make of localhost); on
// demand, leaves with the same key for issuers on their own loopback addresses.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { LAB_ACCOUNT_ID } from './state.ts';

x509.cryptoProvider.set(webcrypto);

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
/**
 * The leaf's key: ECDSA P-256. The lab signs a handshake with it for every new connection of every client (each issuer
 * is its own host), and a P-256 signature costs a small fraction of an RSA-2048 one (measured: RSA signing was most of
 * the lab's TLS cost in a 1,000-cluster cycle). The CA stays RSA, so a provider's thumbprint (of the CA) is unchanged.
 */
const LEAF_KEY = { name: 'ECDSA', namedCurve: 'P-256' };
const DAY = 86_400_000;

export interface LabTls {
  caPem: string;
  certPem: string;
  keyPem: string;
  /**
   * A certificate for the leaf key (keyPem) naming exactly `addresses` as IP SANs, signed by the lab CA: for issuers
   * served on their own loopback addresses (issuer-hosts.ts). Valid as long as the main leaf.
   */
  certificateFor: (addresses: string[]) => Promise<string>;
}

/** A LabTls whose CA was written to a file. */
export interface WrittenLabTls extends LabTls {
  /** Where the CA was written: point AWS_CA_BUNDLE / NODE_EXTRA_CA_CERTS at it. */
  caFile: string;
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

const serial = (): string =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');

/**
 * Generate a CA and a server certificate valid `days` days, in memory. The leaf names `<accountId>.localhost` too:
 * OpenSSL refuses a `*.localhost` wildcard, so it is named explicitly.
 */
export async function generateLabTls(accountId: string, days = 30): Promise<LabTls> {
  const now = Date.now();
  const caKeys = await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=irsa-sentinel lab CA',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + days * DAY),
    keys: caKeys,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leafKeys = await webcrypto.subtle.generateKey(LEAF_KEY, true, ['sign', 'verify']);
  const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey);
  const leafFor = async (subject: string, names: x509.JsonGeneralNames | x509.Extension): Promise<string> => {
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: ca.subject,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + days * DAY),
      signingKey: caKeys.privateKey,
      publicKey: leafKeys.publicKey,
      signingAlgorithm: RSA,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        // An ECDSA key signs the handshake; keyEncipherment is for RSA key transport.
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        names instanceof x509.Extension ? names : new x509.SubjectAlternativeNameExtension(names),
        authorityKeyId,
      ],
    });
    return leaf.toString('pem');
  };
  const certPem = await leafFor('CN=127.0.0.1', [
    { type: 'ip', value: '127.0.0.1' },
    { type: 'dns', value: 'localhost' },
    { type: 'dns', value: s3ControlHost(accountId) },
  ]);
  return {
    caPem: ca.toString('pem'),
    certPem,
    keyPem: await pkcs8Pem(leafKeys.privateKey),
    certificateFor: (addresses) => leafFor(`CN=${addresses[0] ?? '127.0.0.1'}`, ipAddressNames(addresses)),
  };
}

/** DER length octets (X.690 8.1.3): short form below 128, else long form. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [0x80 | bytes.length, ...bytes];
}

/**
 * subjectAltName (RFC 5280 4.2.1.6) of IPv4 addresses: SEQUENCE of iPAddress [7] IMPLICIT OCTET STRING (4 octets).
 * Encoded here because the library's encoder took 100 ms for 254 names (measured with --cpu-prof).
 */
function ipAddressNames(addresses: string[]): x509.Extension {
  const names = addresses.flatMap((a) => {
    const octets = a.split('.').map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
      throw new Error(`not an IPv4 address: ${a}`);
    }
    return [0x87, 4, ...octets];
  });
  return new x509.Extension('2.5.29.17', false, new Uint8Array([0x30, ...derLength(names.length), ...names]));
}

/** Generate the TLS material (for the lab account) and write the CA to `<dataDir>/ca.pem` at once. */
export async function createLabTls(dataDir: string, days = 30): Promise<WrittenLabTls> {
  const tls = await generateLabTls(LAB_ACCOUNT_ID, days);
  return { ...tls, caFile: writeLabCa(dataDir, tls.caPem) };
}

/** The host the AWS CLI calls for S3 Control with `--endpoint-url https://localhost:PORT` (`<account>.localhost`). */
export const s3ControlHost = (accountId: string): string => `${accountId}.localhost`;

/** Write the CA to `<dataDir>/ca.pem` (for AWS_CA_BUNDLE / NODE_EXTRA_CA_CERTS) and return the file's path. */
export function writeLabCa(dataDir: string, caPem: string): string {
  mkdirSync(dataDir, { recursive: true });
  const caFile = join(dataDir, 'ca.pem');
  writeFileSync(caFile, caPem + '\n');
  return caFile;
}
