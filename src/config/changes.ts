// What a reloaded configuration changes, and what of it the running agent can take without a restart. The fleet,
// the schedules, the probes' settings, the concurrency, alerting, the API tokens, the retention and the shutdown grace
// apply live; where the API listens and what it answers to, the store's location, the log level and the embedded lab
// are fixed for the life of the process: a change there is reported and waits for a restart.
import { isDeepStrictEqual } from 'node:util';
import type { AgentConfig } from './types.ts';

/** A key path of the configuration, as the reload reports it. */
export type ConfigKey =
  | 'clusters'
  | 'accounts'
  | 'schedules'
  | 'probes'
  | 'concurrency'
  | 'alerts'
  | 'server.auth'
  | 'storage.retentionDays'
  | 'shutdownGraceMs'
  | RestartKey;

/** The keys that apply only at start. */
export type RestartKey =
  | 'server.host'
  | 'server.port'
  | 'server.allowedHosts'
  | 'server.rateLimit'
  | 'server.publicUrl'
  | 'server.access'
  | 'storage.dataDir'
  | 'storage.inMemory'
  | 'log.level'
  | 'lab';

type Read = (c: AgentConfig) => unknown;

const LIVE: [ConfigKey, Read][] = [
  ['clusters', (c) => c.clusters],
  ['accounts', (c) => c.accounts],
  ['schedules', (c) => c.schedules],
  ['probes', (c) => c.probes],
  ['concurrency', (c) => c.concurrency],
  ['alerts', (c) => c.alerts],
  ['server.auth', (c) => c.server.auth],
  ['storage.retentionDays', (c) => c.storage.retentionDays],
  ['shutdownGraceMs', (c) => c.shutdownGraceMs],
];

const AT_START: [RestartKey, Read][] = [
  ['server.host', (c) => c.server.host],
  ['server.port', (c) => c.server.port],
  ['server.allowedHosts', (c) => c.server.allowedHosts],
  ['server.rateLimit', (c) => c.server.rateLimit],
  ['server.publicUrl', (c) => c.server.publicUrl],
  ['server.access', (c) => c.server.access],
  ['storage.dataDir', (c) => c.storage.dataDir],
  ['storage.inMemory', (c) => c.storage.inMemory],
  ['log.level', (c) => c.log.level],
  ['lab', (c) => c.lab],
];

export interface ConfigChanges {
  /** Keys that differ and apply now. */
  live: ConfigKey[];
  /** Keys that differ and wait for a restart (the running values stay). */
  restart: RestartKey[];
}

const differing = <K>(keys: [K, Read][], a: AgentConfig, b: AgentConfig): K[] =>
  keys.filter(([, read]) => !isDeepStrictEqual(read(a), read(b))).map(([key]) => key);

export function configChanges(running: AgentConfig, next: AgentConfig): ConfigChanges {
  return { live: differing(LIVE, running, next), restart: differing(AT_START, running, next) };
}

/** `next` with every key that applies only at start as `running` has it: the configuration a reload puts in force. */
export function applicableConfig(running: AgentConfig, next: AgentConfig): AgentConfig {
  const { lab: _lab, ...rest } = next;
  const { allowedHosts: _hosts, publicUrl: _url, ...server } = next.server;
  const kept = running.server;
  return {
    ...rest,
    server: {
      ...server,
      host: kept.host,
      port: kept.port,
      rateLimit: kept.rateLimit,
      access: kept.access,
      ...(kept.allowedHosts !== undefined && { allowedHosts: kept.allowedHosts }),
      ...(kept.publicUrl !== undefined && { publicUrl: kept.publicUrl }),
    },
    storage: { ...next.storage, dataDir: running.storage.dataDir, inMemory: running.storage.inMemory },
    log: running.log,
    ...(running.lab !== undefined && { lab: running.lab }),
  };
}
