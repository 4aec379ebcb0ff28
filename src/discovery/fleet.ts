// The discovered part of the fleet: each account with `discover` listed at start and again on its cron schedule.
// A listing that fails keeps that account's previous clusters (and logs why); hand-configured clusters always lead.
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { AwsClientFactory } from '../clients/aws.ts';
import type { AccountConfig, ClusterConfig, DiscoverySettings } from '../config/types.ts';
import { discoverAccount } from './discover.ts';

const LIST_TIMEOUT_MS = 30_000;

export interface FleetDiscovery {
  /** The configured clusters followed by every account's discovered ones. */
  clusters(): ClusterConfig[];
  /** Lists every discovering account again; resolves true when the fleet changed. Never rejects. */
  refresh(): Promise<boolean>;
  /** Re-lists each account on its schedule, calling `onChange` when the fleet changed. */
  start(onChange: () => void): void;
  stop(): void;
}

type Discovering = AccountConfig & { discover: DiscoverySettings };

const fingerprint = (clusters: ClusterConfig[]): string => JSON.stringify(clusters.map((c) => [c.name, c.issuer]));

export function createFleetDiscovery(opts: {
  configured: readonly ClusterConfig[];
  accounts: readonly AccountConfig[];
  aws: AwsClientFactory;
  log: Logger;
}): FleetDiscovery {
  const log = opts.log.child({ component: 'discovery' });
  const accounts = opts.accounts.filter((a): a is Discovering => a.discover !== undefined);
  const found = new Map<string, ClusterConfig[]>();
  const tasks: ScheduledTask[] = [];
  const all = (): ClusterConfig[] => [...opts.configured, ...accounts.flatMap((a) => found.get(a.name) ?? [])];

  async function list(account: Discovering): Promise<void> {
    const aws = opts.aws.forAccount(account.name, account.discover.region);
    if (!aws) return;
    // The other accounts' discoveries count as configured, so two accounts never claim one issuer or name.
    const others = [
      ...opts.configured,
      ...accounts.filter((a) => a !== account).flatMap((a) => found.get(a.name) ?? []),
    ];
    try {
      const result = await discoverAccount(account, aws, others, AbortSignal.timeout(LIST_TIMEOUT_MS));
      found.set(account.name, result.clusters);
      for (const s of result.skipped) log.warn({ account: account.name, ...s }, 'provider not monitored');
      log.debug({ account: account.name, clusters: result.clusters.length }, 'providers listed');
    } catch (err) {
      log.error({ err, account: account.name }, 'listing the IAM OIDC providers failed; keeping the last list');
    }
  }

  async function refresh(): Promise<boolean> {
    const before = fingerprint(all());
    for (const account of accounts) await list(account);
    return fingerprint(all()) !== before;
  }

  return {
    clusters: all,
    refresh,
    start(onChange) {
      for (const account of accounts) {
        const tick = () =>
          void refresh().then((changed) => {
            if (changed) onChange();
          });
        tasks.push(cron.schedule(account.discover.cron, tick, { name: `discover:${account.name}`, timezone: 'UTC' }));
      }
    },
    stop() {
      for (const t of tasks.splice(0)) void Promise.resolve(t.destroy()).catch(() => undefined);
    },
  };
}
