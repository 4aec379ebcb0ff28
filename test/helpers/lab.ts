// Start a lab for end-to-end tests and build AWS SDK clients configured only with its endpoint, CA, region and keys.
import { Agent } from 'node:https';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Credentials } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { agentConfigYaml } from '../../src/lab-adapter.ts';
import { signServiceAccountToken } from '../../src/lab/clusters.ts';
import { startLab } from '../../src/lab/index.ts';
import type { Lab, LabOptions } from '../../src/lab/index.ts';
import type { LabInfo } from '../../src/lab/control.ts';

export async function startTestLab(opts: LabOptions = {}): Promise<Lab> {
  return startLab({ dataDir: mkdtempSync(join(tmpdir(), 'irsa-lab-')), agentConfig: agentConfigYaml, ...opts });
}

export function userKeys(info: LabInfo, name: string): { accessKeyId: string; secretAccessKey: string } {
  const u = info.users.find((x) => x.name === name);
  if (!u) throw new Error(`no lab user ${name}`);
  return { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey };
}

/** Client config for any @aws-sdk/client-* against the lab. */
export function sdkConfig(lab: Lab, user?: string) {
  const info = lab.info();
  return {
    region: info.region,
    endpoint: info.endpoint,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: lab.caPem }) }),
    // STS AssumeRoleWithWebIdentity is unsigned; other calls need a user's keys.
    credentials: user ? userKeys(info, user) : { accessKeyId: 'unused', secretAccessKey: 'unused' },
  };
}

/** POST a fault to the lab's control API, as a test or a user would. */
export async function labFault(lab: Lab, body: Record<string, unknown>): Promise<void> {
  await lab.applyFault(body);
}

export interface SessionOptions {
  cluster: string;
  /** The role to assume; default the cluster's ingress-operator role (ccoctl naming). */
  roleArn?: string;
  /** The inline session policy (AssumeRoleWithWebIdentity `Policy`). */
  policy?: string;
  durationSeconds?: number;
}

/**
 * Assume a role of a lab cluster as its ingress operator would: a token signed by the cluster for
 * openshift-ingress-operator/ingress-operator (audience openshift), then AssumeRoleWithWebIdentity through the SDK.
 */
export async function assumeIngressRole(lab: Lab, opts: SessionOptions) {
  const cluster = lab.state.clusters.get(opts.cluster);
  if (!cluster) throw new Error(`no lab cluster ${opts.cluster}`);
  const { token } = await signServiceAccountToken(cluster, {
    namespace: 'openshift-ingress-operator',
    serviceAccount: 'ingress-operator',
    audiences: ['openshift'],
    expirationSeconds: 600,
  });
  const roleArn =
    opts.roleArn ?? cluster.roleArns.find((r) => r.endsWith('-openshift-ingress-operator-cloud-credentials'));
  return new STSClient(sdkConfig(lab)).send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: roleArn,
      RoleSessionName: 'lab-test',
      WebIdentityToken: token,
      ...(opts.policy !== undefined ? { Policy: opts.policy } : {}),
      ...(opts.durationSeconds !== undefined ? { DurationSeconds: opts.durationSeconds } : {}),
    }),
  );
}

/** Client config for any @aws-sdk/client-* signing with a session's temporary credentials. */
export function sessionConfig(lab: Lab, credentials: Credentials | undefined) {
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
    throw new Error('AssumeRoleWithWebIdentity returned no credentials');
  }
  return {
    ...sdkConfig(lab),
    credentials: {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
    },
  };
}
