// Files a cluster's identity-chain settings name, read at load: the public keys it signs with and a folder of
// CredentialsRequests. Problems come back as messages for the loader to place at the key path that named the file.
import { createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCredentialsRequests } from '../ccoctl/credentials-requests.ts';
import type { CredentialsRequestInfo } from '../ccoctl/credentials-requests.ts';

const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const CONFIG_FILE = /\.ya?ml$/;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A PEM public key file, as SPKI PEM (what jose's importSPKI takes). A private key is refused, not derived from. */
export function readPublicKeyPem(file: string): { pem: string } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: `cannot read public key file: ${errorText(err)}` };
  }
  if (PRIVATE_KEY.test(text))
    return {
      problem: `${file} holds a private key: give the public key (ccoctl's serviceaccount-signer.public), never the signing key`,
    };
  try {
    return { pem: createPublicKey(text).export({ type: 'spki', format: 'pem' }).toString() };
  } catch (err) {
    return { problem: `${file} is not a PEM public key: ${errorText(err)}` };
  }
}

/** The AWS CredentialsRequests of every *.yaml/*.yml file of `dir`, in file name order; each problem names its file. */
export function readCredentialsRequestsDir(dir: string): { requests: CredentialsRequestInfo[]; problems: string[] } {
  const requests: CredentialsRequestInfo[] = [];
  const problems: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => CONFIG_FILE.test(n))
      .sort();
  } catch (err) {
    return { requests, problems: [`cannot read CredentialsRequests directory: ${errorText(err)}`] };
  }
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`cannot read ${file}: ${errorText(err)}`);
      continue;
    }
    try {
      requests.push(...parseCredentialsRequests(text, file)); // its errors start with the file
    } catch (err) {
      problems.push(errorText(err));
    }
  }
  if (requests.length === 0 && problems.length === 0)
    problems.push(
      `${dir} holds no AWS CredentialsRequests (*.yaml/*.yml files of kind CredentialsRequest with an AWSProviderSpec)`,
    );
  return { requests, problems };
}
