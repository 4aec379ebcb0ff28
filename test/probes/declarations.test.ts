// What the rest of the agent builds from the probe declarations (probes/<name>/index.ts) agrees with them: the finding
// table (every code declared once, with an evidence type), docs/findings.md, the config schema and its JSON Schema, and
// the IAM policy (every AWS call the code makes is a declared action, every declared action is in the policy).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PROBES, probeModules } from '../../probes/index.ts';
import { SHARED_FINDINGS } from '../../probes/shared/findings.ts';
import { configFileSchema } from '../../src/config/schema.ts';
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from '../../src/config/json-schema.ts';
import { PROBE_NAMES } from '../../src/core/model.ts';
import { DISCOVERY_AWS_ACTIONS } from '../../src/discovery/discover.ts';
import { renderFindingsDoc } from '../../src/findings-doc.ts';
import { FINDING_CODES, FINDINGS } from '../../src/findings.ts';
import { RUNNER_FINDINGS } from '../../src/scheduler/runner-findings.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Calls that need no IAM permission (docs/aws-facts.md 1.8: GetCallerIdentity; 1.1: AssumeRoleWithWebIdentity is unsigned). */
const NO_PERMISSION = ['sts:AssumeRoleWithWebIdentity', 'sts:GetCallerIdentity'];

/** IAM action of an SDK command: the service prefix of its client and the operation, where the two names differ. */
const SERVICE: Record<string, string> = {
  s3: 's3',
  's3-control': 's3',
  iam: 'iam',
  sts: 'sts',
  cloudtrail: 'cloudtrail',
};
const RENAMED: Record<string, string> = {
  's3:GetPublicAccessBlock': 's3:GetBucketPublicAccessBlock',
  's3-control:GetPublicAccessBlock': 's3:GetAccountPublicAccessBlock',
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Every `new XCommand(` of a file, as the IAM action it needs, through its import (aliases included). */
function awsCallsIn(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const origin = new Map<string, string>();
  for (const m of src.matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-([a-z0-9-]+)'/g))
    for (const spec of m[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [name, alias] = spec.split(/\s+as\s+/);
      if (name?.endsWith('Command')) origin.set(alias ?? name, `${m[2]}:${name.replace(/Command$/, '')}`);
    }
  return [...src.matchAll(/new (\w+Command)\(/g)].map((m) => {
    const call = origin.get(m[1]!);
    if (call === undefined) throw new Error(`${relative(ROOT, file)}: ${m[1]} is not imported from an AWS SDK client`);
    const [client, op] = call.split(':') as [string, string];
    return RENAMED[call] ?? `${SERVICE[client] ?? client}:${op}`;
  });
}

describe('probe declarations', () => {
  it('the registry holds one module per probe name, in order, each named after its key', () => {
    expect(Object.keys(PROBES)).toEqual([...PROBE_NAMES]);
    for (const [key, m] of Object.entries(PROBES)) expect(m.name).toBe(key);
  });

  it('every finding code is declared once, UPPER_SNAKE, with a title, a remediation and an evidence type', () => {
    const tables = [RUNNER_FINDINGS, SHARED_FINDINGS, ...probeModules().map((m) => m.findings)];
    const declared = tables.flatMap((t) => Object.keys(t));
    expect(new Set(declared).size, 'a code declared by two tables').toBe(declared.length);
    expect([...FINDING_CODES].sort()).toEqual([...declared].sort());
    for (const code of FINDING_CODES) {
      const def = FINDINGS[code];
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
      expect(def.evidence, `${code} has no evidence type`).toBeInstanceOf(z.ZodType);
      expect(['info', 'warn', 'unknown', 'fail']).toContain(def.severity);
    }
  });

  it('each probe module attributes its own codes to itself in the table', () => {
    for (const m of probeModules())
      for (const code of Object.keys(m.findings)) expect(FINDINGS[code as keyof typeof FINDINGS].probe).toBe(m.name);
  });

  it('docs/findings.md and the JSON Schema are generated from the declarations and up to date', () => {
    expect(read('docs/findings.md'), 'run `npm run gen:docs`').toBe(renderFindingsDoc());
    expect(read(CONFIG_SCHEMA_FILE), 'run `npm run gen:schema`').toBe(configJsonSchemaText());
  });

  it('the config schema takes each probe schedule default and settings from its module', () => {
    const parsed = configFileSchema.parse({
      clusters: [{ name: 'c', issuer: 'https://c-oidc.s3.us-east-1.amazonaws.com' }],
    });
    for (const m of probeModules()) {
      expect(parsed.schedules[m.name]).toEqual({
        cron: m.schedule.cron,
        timeoutMs: m.schedule.timeoutMs,
        enabled: true,
      });
      const settings = (parsed.probes as Record<string, unknown>)[m.name];
      if (m.settings) expect(settings).toEqual(m.settings.parse(undefined));
      else expect(settings).toBeUndefined();
    }
  });

  it('every AWS call in a probe folder is an action that probe declares', () => {
    for (const m of probeModules()) {
      const calls = tsFiles(join(ROOT, 'probes', m.name)).flatMap(awsCallsIn);
      const undeclared = calls.filter((a) => !m.awsActions.includes(a) && !NO_PERMISSION.includes(a));
      expect(undeclared, `probes/${m.name} calls actions its module does not declare`).toEqual([]);
    }
  });

  it('every AWS call the agent makes is declared, and config/iam-policy.json grants exactly the declared actions', () => {
    const declared = new Set([...probeModules().flatMap((m) => m.awsActions), ...DISCOVERY_AWS_ACTIONS]);
    const calls = ['probes', 'src/clients', 'src/discovery'].flatMap((d) => tsFiles(join(ROOT, d)).flatMap(awsCallsIn));
    expect(calls.filter((a) => !declared.has(a) && !NO_PERMISSION.includes(a))).toEqual([]);
    const policy = JSON.parse(read('config/iam-policy.json')) as { Statement: { Action: string[] }[] };
    expect(policy.Statement.flatMap((s) => s.Action).sort()).toEqual([...declared].sort());
  });

  it('the action scan sees aliased imports', () => {
    expect(awsCallsIn(join(ROOT, 'probes/bucket/facts.ts')).sort()).toEqual([
      's3:GetAccountPublicAccessBlock',
      's3:GetBucketAcl',
      's3:GetBucketPolicy',
      's3:GetBucketPolicyStatus',
      's3:GetBucketPublicAccessBlock',
    ]);
  });
});
