// What a reload changes: the keys that apply live and those that wait for a restart, and the configuration put in
// force (the new one, with the running values of the keys that apply only at start).
import { describe, expect, it } from 'vitest';
import { applicableConfig, configChanges } from '../../src/config/changes.ts';
import { loadText, ONE_CLUSTER } from './temp-config.ts';

const running = loadText(`${ONE_CLUSTER}server: { port: 8080 }\n`);

describe('config changes', () => {
  it('finds none between a configuration and itself loaded again', () => {
    expect(configChanges(running, loadText(`${ONE_CLUSTER}server: { port: 8080 }\n`))).toEqual({
      live: [],
      restart: [],
    });
  });

  it('names the live keys and the restart keys that differ', () => {
    const next = loadText(`${ONE_CLUSTER}  - name: b
    issuer: https://b-oidc.s3.us-east-1.amazonaws.com
server: { port: 9090, host: 0.0.0.0 }
schedules: { issuer: { cron: '*/5 * * * *' } }
log: { level: debug }
concurrency: 3
`);
    expect(configChanges(running, next)).toEqual({
      live: ['clusters', 'schedules', 'concurrency'],
      restart: ['server.host', 'server.port', 'log.level'],
    });
  });

  it('puts the new configuration in force with the running values of the restart keys', () => {
    const next =
      loadText(`${ONE_CLUSTER}server: { port: 9090, publicUrl: https://sentinel.example.com, access: { details: public } }
storage: { dataDir: /elsewhere, retentionDays: 3 }
concurrency: 3
`);
    const applied = applicableConfig(running, next);
    expect(applied.server.port).toBe(8080);
    expect(applied.server.publicUrl).toBeUndefined();
    expect(applied.server.access.details).toBe('token');
    expect(applied.storage).toEqual({ ...running.storage, retentionDays: 3 });
    expect(applied.concurrency).toBe(3);
    // Applied, the running configuration then differs from the file only where a restart is needed.
    expect(configChanges(applied, next)).toEqual({
      live: [],
      restart: ['server.port', 'server.publicUrl', 'server.access', 'storage.dataDir'],
    });
  });
});
