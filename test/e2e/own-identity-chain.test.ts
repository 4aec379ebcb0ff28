// The agent's own AWS identity must not depend on the chain it watches (docs/install-*.md). When it does anyway, and
// that chain breaks, the agent says its own credentials were refused (AWS_CREDENTIALS_REJECTED, naming STS's
// InvalidIdentityToken) rather than "AWS unavailable". As a user runs it: `irsa-sentinel check` with the account's
// credentials from the SDK's default chain, given a web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE) of a lab
// cluster `mgmt` whose role may make the agent's reads; it watches another cluster, `watched`, which stays healthy.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { signServiceAccountToken } from '../../src/lab/clusters.ts';
import type { Lab } from '../../src/lab/index.ts';
import { labFault, sdkConfig, startTestLab } from '../helpers/lab.ts';
import { CLI } from '../helpers/serve.ts';

const ROOT = join(import.meta.dirname, '../..');
const PROBES = ['jwks', 'bucket', 'cloudtrail'];

interface CheckJson {
  status: string;
  results: { cluster: string; probe: string; status: string; findings: { code: string; message: string }[] }[];
}

let lab: Lab;
let dir: string;
let env: NodeJS.ProcessEnv;
let configFile: string;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: 'watched' }, { name: 'mgmt' }], keyPool: 1 } });
  dir = mkdtempSync(join(tmpdir(), 'irsa-own-identity-'));
  const mgmt = lab.state.clusters.get('mgmt')!;
  const roleArn = mgmt.roleArns.find((r) => r.endsWith('-openshift-ingress-operator-cloud-credentials'))!;
  // The agent's role: its reads (config/iam-policy.json), trusting mgmt's issuer as ccoctl's roles do.
  await new IAMClient(sdkConfig(lab, 'alice')).send(
    new PutRolePolicyCommand({
      RoleName: roleArn.split('/').pop(),
      PolicyName: 'irsa-sentinel-read-only',
      PolicyDocument: readFileSync(join(ROOT, 'config/iam-policy.json'), 'utf8'),
    }),
  );
  const { token } = await signServiceAccountToken(mgmt, {
    namespace: 'openshift-ingress-operator',
    serviceAccount: 'ingress-operator',
    audiences: ['openshift'],
    expirationSeconds: 3600,
  });
  writeFileSync(join(dir, 'token'), token);
  const config = parse(lab.agentConfig()!) as { accounts: { credentials: unknown }[]; clusters: { name: string }[] };
  config.accounts[0]!.credentials = { source: 'default' };
  config.clusters = config.clusters.filter((c) => c.name === 'watched');
  configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify(config));
  const info = lab.info();
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: info.region,
    AWS_ROLE_ARN: roleArn,
    AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'),
    // The SDK's web-identity provider asks the lab's STS, trusting the lab CA.
    AWS_ENDPOINT_URL_STS: info.endpoint,
    NODE_EXTRA_CA_CERTS: info.caFile,
  };
}, 60_000);

afterAll(async () => {
  await lab?.close();
});

function check(): Promise<CheckJson> {
  const args = [CLI, 'check', '--config', configFile, '--cluster', 'watched', '--json'];
  for (const p of PROBES) args.push('--probe', p);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout) as CheckJson);
      } catch {
        reject(new Error(`check printed no JSON (${err?.message}): ${stderr}`));
      }
    });
  });
}

describe("the agent's own identity through a chain that breaks", () => {
  it('works while the chain works, and says its own credentials were refused when it breaks', async () => {
    const healthy = await check();
    expect(
      healthy.results.map((r) => `${r.probe} ${r.status}`),
      JSON.stringify(healthy.results),
    ).toEqual(PROBES.map((p) => `${p} ok`));

    await labFault(lab, { cluster: 'mgmt', fault: 'bucket-policy-deny-non-vpce' });
    const blind = await check();
    expect(blind.status).toBe('unknown');
    for (const probe of PROBES) {
      const result = blind.results.find((r) => r.probe === probe);
      expect(
        result?.findings.map((f) => f.code),
        probe,
      ).toEqual(['AWS_CREDENTIALS_REJECTED']);
      expect(result?.findings[0]?.message).toMatch(/InvalidIdentityToken.*Couldn't retrieve verification key/);
    }
  }, 90_000);
});
