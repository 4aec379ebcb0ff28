// OpenShift CredentialsRequests and ccoctl's naming of what it makes for them (docs/aws-facts.md 5). Facts of ccoctl, used
// by the agent (roles from a CredentialsRequests folder) and by the lab (its clusters' roles) alike.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const SAMPLES_DIR = join(import.meta.dirname, '..', 'lab', 'samples');

export interface CredentialsRequestInfo {
  /** CredentialsRequest metadata.name */
  name: string;
  secretNamespace: string;
  secretName: string;
  serviceAccounts: string[];
}

interface CredentialsRequestDoc {
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: {
    secretRef?: { name?: string; namespace?: string };
    serviceAccountNames?: string[];
    providerSpec?: { kind?: string };
  };
}

/** AWS CredentialsRequests from YAML text; ccoctl skips those annotated release.openshift.io/delete (docs/aws-facts.md 5). */
export function parseCredentialsRequests(text: string, source: string): CredentialsRequestInfo[] {
  const objects = parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
    return doc.toJS() as unknown;
  });
  return readCredentialsRequests(objects, source);
}

/**
 * AWS CredentialsRequests from parsed objects (an API list's items, or YAML documents): those of another kind or
 * provider are left out, as are those annotated release.openshift.io/delete (docs/aws-facts.md 5).
 */
export function readCredentialsRequests(objects: unknown[], source: string): CredentialsRequestInfo[] {
  const out: CredentialsRequestInfo[] = [];
  for (const object of objects) {
    const cr = object as CredentialsRequestDoc | null;
    if (cr?.kind !== 'CredentialsRequest' || cr.spec?.providerSpec?.kind !== 'AWSProviderSpec') continue;
    if (cr.metadata?.annotations?.['release.openshift.io/delete'] === 'true') continue;
    const { name } = cr.metadata ?? {};
    const { secretRef, serviceAccountNames } = cr.spec;
    if (!name || !secretRef?.name || !secretRef.namespace || !serviceAccountNames?.length) {
      throw new Error(`${source}: CredentialsRequest needs metadata.name, spec.secretRef and spec.serviceAccountNames`);
    }
    out.push({
      name,
      secretName: secretRef.name,
      secretNamespace: secretRef.namespace,
      serviceAccounts: serviceAccountNames,
    });
  }
  return out;
}

let bundled: CredentialsRequestInfo[] | undefined;

/** The seven AWS CredentialsRequests of a recent OpenShift release, bundled with the lab. */
export function bundledCredentialsRequests(): CredentialsRequestInfo[] {
  bundled ??= readdirSync(SAMPLES_DIR)
    .filter((f) => f.startsWith('credreq-') && f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseCredentialsRequests(readFileSync(join(SAMPLES_DIR, f), 'utf8'), f));
  return bundled;
}

/** ccoctl create-iam-roles: `<name>-<secretRef.namespace>-<secretRef.name>`, cut to 64 characters (docs/aws-facts.md 5). */
export function ccoctlRoleName(clusterName: string, cr: CredentialsRequestInfo): string {
  return `${clusterName}-${cr.secretNamespace}-${cr.secretName}`.slice(0, 64);
}

/** ccoctl's trust policy text, spacing as its template renders it (samples/ccoctl-role-trust-policy-example.json). */
export function ccoctlTrustPolicy(providerArn: string, providerUrl: string, subjects: string[]): string {
  const subs = subjects.map((s) => `"${s}"`).join('  , ');
  return `{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Federated": "${providerArn}" }, "Action": "sts:AssumeRoleWithWebIdentity", "Condition":  { "StringEquals": { "${providerUrl}:sub": [ ${subs} ] } } } ] }`;
}

/** The credentials secret ccoctl writes for a CredentialsRequest (docs/aws-facts.md 5). */
export function ccoctlCredentialsIni(roleArn: string): string {
  return [
    '[default]',
    'sts_regional_endpoints = regional',
    `role_arn = ${roleArn}`,
    'web_identity_token_file = /var/run/secrets/openshift/serviceaccount/token',
  ].join('\n');
}

export const serviceAccountSubject = (namespace: string, name: string): string =>
  `system:serviceaccount:${namespace}:${name}`;
