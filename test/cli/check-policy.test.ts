// `irsa-sentinel check-policy` as a user runs it against the lab: exit 0 for a safe policy, 1 for one that would
// break the issuer (naming the statement), 2 for an unreadable or invalid policy file or an unknown cluster.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigYaml } from '../../src/lab-adapter.ts';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab } from '../helpers/lab.ts';
import { ccoctlReadStatement, denyOutsideVpceStatement } from '../helpers/policies.ts';

const CLI = join(import.meta.dirname, '../../src/cli.ts');
const BUCKET = 'cp-oidc';
let lab: Lab;
let config: string;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: 'cp' }], keyPool: 1 } });
  config = join(lab.dataDir, 'agent.yaml');
  writeFileSync(config, agentConfigYaml(lab.info(), lab.kubeconfigFile));
});
afterAll(() => lab.close());

function checkPolicy(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'check-policy', '--config', config, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const policyFile = (name: string, statements: unknown[] | string): string => {
  const file = join(lab.dataDir, name);
  writeFileSync(
    file,
    typeof statements === 'string' ? statements : JSON.stringify({ Version: '2012-10-17', Statement: statements }),
  );
  return file;
};

const allow = ccoctlReadStatement(BUCKET);

describe('irsa-sentinel check-policy', () => {
  it('exits 0 for a policy that keeps the issuer readable', async () => {
    const res = await checkPolicy(['--cluster', 'cp', policyFile('safe.json', [allow])]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^OK: STS would still read the issuer documents of cp \(cp-oidc\)/);
  });

  it('exits 1 for a Deny unless aws:SourceVpce, naming the statement; --json gives the simulation', async () => {
    const deny = denyOutsideVpceStatement(BUCKET);
    const file = policyFile('deny.json', [allow, deny]);
    const res = await checkPolicy(['--cluster', 'cp', file]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^BREAKS: /);
    expect(res.stdout).toContain('DenyOutsideVpce');
    expect(res.stdout).toContain('BUCKET_ANONYMOUS_READ_DENIED');
    const json = await checkPolicy(['--cluster', 'cp', '--json', file]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ cluster: 'cp', wouldBreak: true });
  });

  it('exits 2 naming the problem: invalid JSON, a missing file, an unknown cluster', async () => {
    const bad = policyFile('bad.json', '{"Statement": [');
    const invalid = await checkPolicy(['--cluster', 'cp', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain(`${bad}: BUCKET_POLICY_INVALID`);
    const missing = await checkPolicy(['--cluster', 'cp', join(lab.dataDir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ENOENT');
    const unknown = await checkPolicy(['--cluster', 'zz', policyFile('safe2.json', [allow])]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--cluster zz: no such cluster (clusters: cp)');
  });
});
