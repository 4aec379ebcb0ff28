// Start a lab for end-to-end tests and build AWS SDK clients configured only with its endpoint, CA, region and keys.
import { Agent } from 'node:https';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { agentConfigYaml } from '../../src/lab-adapter.ts';
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
