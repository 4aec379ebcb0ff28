// Configuration and usage errors: exit 2 with the file and key path, and nothing starts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '../../src/cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'irsa-config-errors-'));

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function configFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const cluster = (name: string, issuer = `https://${name}-oidc.s3.us-east-2.amazonaws.com`) =>
  `  - name: ${name}\n    issuer: ${issuer}\n`;

describe('configuration errors exit 2 naming file and key path', () => {
  const cases: [string, string, RegExp][] = [
    ['unknown-key.yaml', `clusters:\n${cluster('a')}    colour: red\n`, /unknown-key\.yaml: clusters\[0\].*colour/],
    [
      'http-issuer.yaml',
      `clusters:\n${cluster('a', 'http://a-oidc.s3.us-east-2.amazonaws.com')}`,
      /http-issuer\.yaml: clusters\[0\]\.issuer: .*https/,
    ],
    [
      'duplicate.yaml',
      `clusters:\n${cluster('a')}${cluster('a')}`,
      /duplicate\.yaml: clusters\[1\]\.name: .*duplicate/i,
    ],
    [
      'bad-cron.yaml',
      `clusters:\n${cluster('a')}schedules:\n  issuer:\n    cron: 'every minute'\n`,
      /bad-cron\.yaml: schedules\.issuer\.cron/,
    ],
    [
      'step-cron.yaml',
      `clusters:\n${cluster('a')}schedules:\n  issuer:\n    cron: '*/61 * * * *'\n`,
      /step-cron\.yaml: schedules\.issuer\.cron: is not a usable cron expression: the step \/61 in the minutes field/,
    ],
    [
      'missing-env.yaml',
      `clusters:\n${cluster('a')}server:\n  port: \${IRSA_TEST_UNSET_PORT}\n`,
      /missing-env\.yaml: server\.port: .*IRSA_TEST_UNSET_PORT/,
    ],
  ];
  it.each(cases)('%s', (name, text, message) => {
    const file = configFile(name, text);
    for (const command of ['validate', 'check', 'serve']) {
      const r = cli([command, '--config', file]);
      expect(r.code, `${command} ${name}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('validate says ok for a good file', () => {
    const r = cli(['validate', '--config', configFile('good.yaml', `clusters:\n${cluster('a')}`)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: .*good\.yaml: 1 cluster\(s\), 0 account\(s\)/);
  });

  it('check exits 2 on an unknown probe or cluster; explain exits 2 on an unknown code', () => {
    const file = configFile('good2.yaml', `clusters:\n${cluster('a')}`);
    expect(cli(['check', '--config', file, '--probe', 'dns']).stderr).toMatch(/--probe dns: must be one of/);
    expect(cli(['check', '--config', file, '--probe', 'dns']).code).toBe(2);
    const unknown = cli(['check', '--config', file, '--cluster', 'zzz']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('zzz');
    expect(cli(['explain', 'NOT_A_CODE']).code).toBe(2);
    expect(cli(['explain', 'jwks_invalid']).stdout).toMatch(/^JWKS_INVALID \(fail, issuer probe\)/);
    expect(cli(['serve']).code).toBe(2);
  });
});
