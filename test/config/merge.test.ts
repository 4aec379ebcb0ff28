import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { loadError, tempDir, writeFiles } from './temp-config.ts';

const clusterYaml = (name: string, extra = '') =>
  `  - name: ${name}\n    issuer: https://${name}-oidc.s3.us-east-1.amazonaws.com\n${extra}`;

describe('a config directory', () => {
  it('merges *.yaml and *.yml in name order: clusters and accounts concatenated, mappings merged', () => {
    const dir = writeFiles({
      '00-base.yaml': 'server: {host: 0.0.0.0}\nschedules:\n  issuer: {timeoutMs: 5000}\n',
      '20-east.yml': `clusters:\n${clusterYaml('east', '    account: prod\n')}accounts:\n  - {name: prod, id: '123456789012'}\n`,
      '10-west.yaml': `clusters:\n${clusterYaml('west')}server: {port: 9000}\nschedules:\n  issuer: {cron: '*/2 * * * *'}\n`,
      '30-base.yaml': 'server: {host: 0.0.0.0}\n',
      'README.md': 'not config',
      'old.yaml.bak': 'bogus: 1',
    });
    const config = loadConfig(dir, {});
    expect(config.sources).toEqual(
      ['00-base.yaml', '10-west.yaml', '20-east.yml', '30-base.yaml'].map((f) => join(dir, f)),
    );
    expect(config.clusters.map((c) => c.name)).toEqual(['west', 'east']);
    expect(config.accounts.map((a) => a.name)).toEqual(['prod']);
    expect(config.server).toEqual({
      host: '0.0.0.0',
      port: 9000,
      auth: { tokens: [] },
      rateLimit: { max: 1200, windowSeconds: 60 },
      access: {
        page: 'public',
        summary: 'public',
        badges: 'public',
        health: 'public',
        metrics: 'public',
        details: 'token',
      },
    });
    expect(config.schedules.issuer).toEqual({ cron: '*/2 * * * *', timeoutMs: 5000, enabled: true });
  });

  it('rejects a key set to different values in two files, naming both', () => {
    const dir = writeFiles({
      'a.yaml': `clusters:\n${clusterYaml('a')}server: {port: 8080}\n`,
      'b.yaml': 'server: {port: 9090}\n',
    });
    expect(loadError(dir).message).toBe(
      `${join(dir, 'b.yaml')}: server.port: conflicts with ${join(dir, 'a.yaml')}, which sets it to a different value`,
    );
  });

  it('names the file that holds the offending entry', () => {
    const dir = writeFiles({
      'a.yaml': `clusters:\n${clusterYaml('one')}${clusterYaml('two')}`,
      'b.yaml': `clusters:\n${clusterYaml('one', '    labels: {x: y}\n')}`,
      'c.yaml': 'schedules:\n  roles: {cron: never}\n',
    });
    const err = loadError(dir);
    expect(err.message.split('\n')).toEqual([
      `${join(dir, 'c.yaml')}: schedules.roles.cron: is not a valid cron expression (node-cron: 5 fields, or 6 with seconds first): expected 5 or 6 fields but got 1`,
      `${join(dir, 'b.yaml')}: clusters[2].name: duplicate name "one" (first at clusters[0].name)`,
    ]);
  });

  it('resolves a missing env var error to its file', () => {
    const dir = writeFiles({ 'a.yaml': `clusters:\n${clusterYaml('a')}`, 'b.yaml': 'log: {level: "${LEVEL}"}\n' });
    expect(loadError(dir).message).toBe(
      `${join(dir, 'b.yaml')}: log.level: environment variable LEVEL is not set (write \${LEVEL:-default} to give a default)`,
    );
  });

  it('rejects a directory without config files', () => {
    const dir = tempDir();
    expect(loadError(dir).message).toBe(`${dir}: no *.yaml or *.yml files in directory`);
  });

  it('names the files when a required key is in none of them', () => {
    const dir = writeFiles({ 'a.yaml': 'server: {port: 1}\n', 'b.yaml': 'log: {level: debug}\n' });
    expect(loadError(dir).message).toBe(
      `${dir} (a.yaml, b.yaml): clusters: must list at least one cluster (or set lab: to watch the lab fleet, or discover: on an account)`,
    );
  });
});
