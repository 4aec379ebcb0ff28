// Builds the AWS clients probes use, per (account, region), cached: the account's credentials source, its endpoint
// override and CA (the lab, STACK.md 5), the SDK's standard retry with 3 attempts, bounded connect and socket
// timeouts. Nothing here logs; credentials never leave the SDK's providers.
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createSecureContext } from 'node:tls';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { STSClient } from '@aws-sdk/client-sts';
import type { STSClientConfig } from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AccountConfig } from '../config/types.ts';
import type { AwsClientFactory, AwsClients } from './aws.ts';
import type { TrailMemory, TrailScanner } from './trail.ts';
import { createTrailScanner } from './trail-scanner.ts';
import type { TrailScannerOptions } from './trail-scanner.ts';

const CONNECTION_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_ATTEMPTS = 3;
/** Shared temporary credentials are refreshed this long before they expire. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;
const SESSION_NAME = 'irsa-sentinel';

type Credentials = NonNullable<STSClientConfig['credentials']>;
type CredentialsProvider = Extract<Credentials, (...args: never[]) => unknown>;
type Identity = Awaited<ReturnType<CredentialsProvider>>;

/** The configuration every client of one (account, region) shares. */
interface ClientBase {
  region: string;
  credentials: Credentials;
  requestHandler: NodeHttpHandler;
  maxAttempts: number;
  retryMode: 'standard';
  endpoint?: string;
}

export class AwsAccountConfigError extends Error {
  readonly code = 'AWS_ACCOUNT_CONFIG_INVALID';
}

export interface AwsClientFactoryOptions {
  /** Settings of every CloudTrail scanner (freshness, overlap, page cap); see trail-scanner.ts for the defaults. */
  trail?: Omit<TrailScannerOptions, 'client' | 'memory'>;
  /** Where the scanners save their streams (the store), each scanner under `<account id>/<region>`. */
  trailMemory?: { store: TrailMemory; onError?: (err: unknown, stream: string) => void };
}

export function createAwsClientFactory(
  accounts: AccountConfig[],
  opts: AwsClientFactoryOptions = {},
): AwsClientFactory {
  const byName = new Map(accounts.map((a) => [a.name, a]));
  // The CA files, read once at start so a missing file is a start-up error naming the account.
  const caPems = new Map(accounts.flatMap((a) => (a.caFile === undefined ? [] : [[a.name, readCa(a)] as const])));
  // One connection pool and one TLS context per account, shared by its regions: a `ca` option on the agent would
  // build a TLS context again for every connection.
  const agents = new Map<string, Agent>();
  const agentFor = (account: AccountConfig): Agent => {
    let agent = agents.get(account.name);
    if (agent === undefined) {
      const ca = caPems.get(account.name);
      agent = new Agent({ keepAlive: true, secureContext: createSecureContext(ca === undefined ? {} : { ca }) });
      agents.set(account.name, agent);
    }
    return agent;
  };
  const cache = new Map<string, AwsClients>();
  // Per account id and region, whatever entry or cluster asks: LookupEvents' limit is per account and region.
  const scanners = new Map<string, TrailScanner>();
  const destroyables: { destroy(): void }[] = [];

  const track = <T extends { destroy(): void }>(client: T): T => {
    destroyables.push(client);
    return client;
  };

  function build(account: AccountConfig, region: string): AwsClients {
    const { endpoint } = account;
    const requestHandler = new NodeHttpHandler({
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      httpsAgent: agentFor(account),
    });
    const endpointOverride = endpoint === undefined ? {} : { endpoint };
    const credentials = credentialsFor(account, { region, requestHandler, ...endpointOverride });
    const base = (inRegion: string): ClientBase => ({
      region: inRegion,
      credentials,
      requestHandler,
      maxAttempts: MAX_ATTEMPTS,
      retryMode: 'standard',
      ...endpointOverride,
    });
    const perRegion = <T extends { destroy(): void }>(make: (r: string) => T): ((r: string) => T) => {
      const clients = new Map<string, T>();
      return (r) => {
        let client = clients.get(r);
        if (client === undefined) clients.set(r, (client = track(make(r))));
        return client;
      };
    };
    return {
      accountId: account.id,
      region,
      iam: track(new IAMClient(base(region))),
      sts: track(new STSClient(base(region))),
      s3: perRegion((r) => new S3Client({ ...base(r), forcePathStyle: true })),
      // Its endpoint rules put `{AccountId}.` in front of the host, which an endpoint override cannot carry.
      s3control: track(
        new S3ControlClient({
          ...base(region),
          ...(endpoint === undefined ? {} : { endpointProvider: () => ({ url: new URL(endpoint) }) }),
        }),
      ),
      cloudtrail: perRegion((r) => new CloudTrailClient(base(r))),
      trail: (r) => {
        const key = `${account.id}\u0000${r}`;
        let scanner = scanners.get(key);
        if (scanner === undefined) {
          const memory = opts.trailMemory && { ...opts.trailMemory, name: `${account.id}/${r}` };
          const client = track(new CloudTrailClient(base(r)));
          scanners.set(key, (scanner = createTrailScanner({ ...opts.trail, client, ...(memory && { memory }) })));
        }
        return scanner;
      },
    };
  }

  return {
    forAccount(name, region) {
      const account = name === undefined ? undefined : byName.get(name);
      if (account === undefined) return undefined;
      const key = `${account.name}\u0000${region}`;
      let clients = cache.get(key);
      if (clients === undefined) cache.set(key, (clients = build(account, region)));
      return clients;
    },
    expireTrails(name) {
      const id = name === undefined ? undefined : byName.get(name)?.id;
      if (id === undefined) return;
      for (const [key, scanner] of scanners) if (key.startsWith(`${id}\u0000`)) scanner.expire?.();
    },
    close() {
      for (const client of destroyables.splice(0)) client.destroy();
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
      cache.clear();
      scanners.clear();
    },
  };
}

function readCa(account: AccountConfig): string {
  try {
    return readFileSync(account.caFile as string, 'utf8');
  } catch (err) {
    throw new AwsAccountConfigError(
      `account ${account.name}: cannot read caFile ${account.caFile}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The account's credentials source; providers are shared by every client of one (account, region). */
function credentialsFor(
  account: AccountConfig,
  sts: { region: string; requestHandler: NodeHttpHandler; endpoint?: string },
): Credentials {
  const c = account.credentials;
  switch (c.source) {
    case 'static':
      if (!c.accessKeyId || !c.secretAccessKey) {
        throw new AwsAccountConfigError(`account ${account.name}: static credentials need both keys`);
      }
      return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
    case 'profile':
      return shared(fromIni({ profile: c.profile }));
    case 'assumeRole':
      if (!c.roleArn) throw new AwsAccountConfigError(`account ${account.name}: assumeRole needs roleArn`);
      return shared(
        fromTemporaryCredentials({
          params: { RoleArn: c.roleArn, RoleSessionName: SESSION_NAME, ExternalId: c.externalId },
          masterCredentials: fromNodeProviderChain(),
          clientConfig: { ...sts, maxAttempts: MAX_ATTEMPTS },
        }),
      );
    case 'default':
      return shared(fromNodeProviderChain());
  }
}

/** One identity for every client using the provider, fetched again shortly before it expires or after a failure. */
function shared(provider: CredentialsProvider): CredentialsProvider {
  let pending: Promise<Identity> | undefined;
  let refreshAt = Infinity;
  return () => {
    if (pending === undefined || Date.now() >= refreshAt) {
      refreshAt = Infinity;
      const p: Promise<Identity> = provider().then(
        (id) => {
          refreshAt = (id.expiration?.getTime() ?? Infinity) - REFRESH_BEFORE_EXPIRY_MS;
          return id;
        },
        (err: unknown) => {
          if (pending === p) pending = undefined;
          throw err;
        },
      );
      pending = p;
    }
    return pending;
  };
}
