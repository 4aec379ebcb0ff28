// Start the lab: TLS, account, users, simulated clusters, and the HTTPS edge serving every service on one port.
// Nothing is written to the data dir until the port is ours: a second lab on a taken port leaves the first's files.
import { writeFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { join, resolve } from 'node:path';
import { createCloudFrontHandler } from './cloudfront.ts';
import { createCloudTrailHandler } from './cloudtrail.ts';
import { startConnectProxy } from './connect-proxy.ts';
import type { ConnectProxy } from './connect-proxy.ts';
import { CONTROL_TOKEN_FILE, newControlToken, writeControlToken } from './control-token.ts';
import { provisionCluster } from './clusters.ts';
import { createControlHandler } from './control.ts';
import type { LabControl, LabInfo } from './control.ts';
import { createEdge } from './edge.ts';
import type { ServiceHandlers } from './edge.ts';
import { FAULTS, FaultError } from './faults.ts';
import type { FaultContext, Invoke } from './faults.ts';
import { DEFAULT_FLEET, fleetNames, parseFleet } from './fleet.ts';
import type { Fleet, FleetInput } from './fleet.ts';
import { createIamHandler } from './iam.ts';
import { issuerAddress, listenIssuerHosts } from './issuer-hosts.ts';
import type { IssuerHosts } from './issuer-hosts.ts';
import { KeyPool } from './keys.ts';
import { listenLab } from './listen.ts';
import { createKubeHandler } from './kube.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { LabReceiver } from './receiver.ts';
import { restoreBucketSettings } from './restore.ts';
import { createS3Handler } from './s3.ts';
import { createS3ControlHandler } from './s3control.ts';
import { LabState } from './state.ts';
import { LabCounters } from './stats.ts';
import type { ActiveFault, ClusterTopology, SigningKey } from './state.ts';
import { createStsHandler } from './sts.ts';
import { generateLabTls, s3ControlHost, writeLabCa } from './tls.ts';
import { createUsers } from './users.ts';
import { newRequestId } from './wire.ts';
import type { LabContext, LabHandler } from './wire.ts';

export { LabPortInUseError } from './listen.ts';

export interface LabOptions {
  /** Port to listen on; 0 picks a free one. */
  port?: number;
  host?: '127.0.0.1';
  /** Where the CA (ca.pem), the control token (control-token) and the kubeconfig are written. Default ./data/lab */
  dataDir?: string;
  fleet?: FleetInput | Fleet;
  /** LookupEvents calls allowed per second per account and region (AWS: 2). */
  cloudTrailLookupsPerSecond?: number;
  /** The clock (ms) of CloudTrail's throttle, for tests that must not hinge on real timing. Default Date.now. */
  cloudTrailClock?: () => number;
  /** STS's budget for fetching discovery + JWKS (AWS: about 5 s). */
  stsFetchBudgetMs?: number;
  /**
   * Renders a config file of the monitoring agent for this lab (GET /_lab/v1/agent-config); the lab itself knows no
   * agent. Without it that route answers 404.
   */
  agentConfig?: (info: LabInfo, kubeconfigFile: string) => string;
}

export interface Lab extends LabControl {
  readonly endpoint: string;
  readonly caFile: string;
  readonly caPem: string;
  readonly dataDir: string;
  /** `<dataDir>/kubeconfig`: the kubeconfig() contexts, one per cluster, written at start. */
  readonly kubeconfigFile: string;
  /** The bearer token the control API (/_lab/v1/) requires; random at every start. */
  readonly controlToken: string;
  /** `<dataDir>/control-token`: the token, owner-only (0600). */
  readonly controlTokenFile: string;
  /** http://127.0.0.1:PORT: HTTPS_PROXY for the AWS CLI's S3 Control calls (connect-proxy.ts). */
  readonly s3controlProxy: string;
  readonly state: LabState;
  close(): Promise<void>;
}

/** The issuer path each distinct issuer address answers (the edge's issuerPathOn): its cluster's issuer's path. */
function issuerPathOn(state: LabState, clusterOn: Map<string, string>): (address: string) => string | undefined {
  return (address) => {
    const name = clusterOn.get(address);
    if (name === undefined) return undefined;
    const issuer = state.clusters.get(name)?.issuer;
    return issuer === undefined ? `/${name}-oidc` : new URL(issuer).pathname;
  };
}

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const dataDir = resolve(opts.dataDir ?? join('data', 'lab'));
  const fleet = parseFleet(opts.fleet ?? DEFAULT_FLEET, 'fleet');
  const state = new LabState();
  const [tls, pool] = await Promise.all([
    generateLabTls(state.accountId),
    KeyPool.create(fleet.keyPool, fleet.keyBits),
  ]);
  createUsers(state);
  const caFile = join(dataDir, 'ca.pem');
  const controlToken = newControlToken();
  const controlTokenFile = join(dataDir, CONTROL_TOKEN_FILE);
  let proxy: ConnectProxy | undefined;
  const ctx: LabContext = { state, endpoint: '', caPem: tls.caPem };
  const faults: ActiveFault[] = [];
  const originalKeys = new Map<string, SigningKey>();
  const kubeconfigFile = join(dataDir, 'kubeconfig');
  const counters = new LabCounters();
  const names = fleetNames(fleet);
  // fleet.issuerAddresses distinct: cluster i's issuer on its own loopback address (issuer-hosts.ts).
  const addressOf = new Map<string, string>(
    fleet.issuerAddresses === 'distinct' ? names.map((name, i) => [name, issuerAddress(i)]) : [],
  );
  const clusterOn = new Map<string, string>([...addressOf].map(([name, address]) => [address, name]));
  let issuerHosts: IssuerHosts | undefined;

  const handlers: ServiceHandlers = {
    s3: createS3Handler(ctx),
    s3control: createS3ControlHandler(ctx),
    iam: createIamHandler(ctx),
    sts: createStsHandler(ctx, opts.stsFetchBudgetMs !== undefined ? { fetchBudgetMs: opts.stsFetchBudgetMs } : {}),
    cloudtrail: createCloudTrailHandler(ctx, {
      ...(opts.cloudTrailLookupsPerSecond !== undefined && { lookupsPerSecond: opts.cloudTrailLookupsPerSecond }),
      ...(opts.cloudTrailClock !== undefined && { now: opts.cloudTrailClock }),
    }),
    cloudfront: createCloudFrontHandler(ctx),
    kube: createKubeHandler(ctx),
    control: (req) => control(req),
  };

  const invoke: Invoke = async (service, userName, call) => {
    const user = state.users.get(userName);
    if (!user) throw new FaultError('InvalidParameter', `no lab user ${userName}`);
    const url = new URL(call.path, ctx.endpoint);
    return handlers[service]({
      method: call.method,
      url,
      headers: {
        host: url.host,
        'user-agent': 'irsa-sentinel-lab/faults',
        ...(call.body !== undefined ? { 'content-length': String(Buffer.byteLength(call.body)) } : {}),
        ...(service === 'iam' ? { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } : {}),
        ...call.headers,
      },
      body: Buffer.from(call.body ?? ''),
      caller: { kind: 'user', user, accessKeyId: user.accessKeyId },
      region: state.region,
      sourceIp: '127.0.0.1',
      userAgent: 'irsa-sentinel-lab/faults',
      requestId: newRequestId(),
    });
  };
  const faultCtx: FaultContext = { state, pool, invoke };

  const lab: Lab = {
    get endpoint() {
      return ctx.endpoint;
    },
    caFile,
    caPem: tls.caPem,
    dataDir,
    kubeconfigFile,
    controlToken,
    controlTokenFile,
    get s3controlProxy() {
      return proxy?.url ?? '';
    },
    state,
    info(): LabInfo {
      return {
        endpoint: ctx.endpoint,
        caFile,
        accountId: state.accountId,
        region: state.region,
        users: [...state.users.values()].map((u) => ({
          name: u.name,
          arn: u.arn,
          accessKeyId: u.accessKeyId,
          secretAccessKey: u.secretAccessKey,
        })),
        s3controlProxy: lab.s3controlProxy,
        s3controlEndpoint: ctx.endpoint.replace('127.0.0.1', 'localhost'),
        ...(addressOf.size > 0 ? { issuerAddresses: 'distinct' as const } : {}),
        clusters: [...state.clusters.values()].map((c) => {
          const distribution = c.distributionId ? state.distributions.get(c.distributionId) : undefined;
          return {
            name: c.name,
            issuer: c.issuer,
            ...(addressOf.has(c.name) ? { issuerAddress: addressOf.get(c.name) } : {}),
            bucket: c.bucket,
            oidcProviderArn: c.oidcProviderArn,
            roles: [...c.roleArns],
            kubeApi: `${ctx.endpoint}/_clusters/${c.name}`,
            kubeToken: c.kubeToken,
            topology: c.topology,
            ...(distribution
              ? { distributionId: distribution.id, distributionArn: distribution.arn, oaiArn: distribution.oaiArn }
              : {}),
          };
        }),
      };
    },
    kubeconfig(): string {
      return renderKubeconfig(
        [...state.clusters.values()].map((c) => ({
          name: c.name,
          server: `${ctx.endpoint}/_clusters/${c.name}`,
          token: c.kubeToken,
        })),
        tls.caPem,
      );
    },
    agentConfig: () => opts.agentConfig?.(lab.info(), kubeconfigFile),
    receiver: new LabReceiver(),
    faults: () => faults.map((f) => ({ ...f })),
    faultCatalogue: () =>
      Object.entries(FAULTS).map(([fault, def]) => ({
        fault,
        description: def.description,
        cluster: def.needsCluster,
      })),
    async applyFault(input) {
      const { fault, cluster: clusterName, actor, ...params } = input;
      if (typeof fault !== 'string' || !(fault in FAULTS)) {
        throw new FaultError('UnknownFault', `fault must be one of: ${Object.keys(FAULTS).join(', ')}`);
      }
      const def = FAULTS[fault]!;
      const cluster = typeof clusterName === 'string' ? state.clusters.get(clusterName) : undefined;
      if (def.needsCluster && !cluster) {
        throw new FaultError(
          'UnknownCluster',
          `fault ${fault} needs "cluster", one of: ${[...state.clusters.keys()].slice(0, 20).join(', ')}`,
        );
      }
      await def.apply(faultCtx, cluster, params, typeof actor === 'string' ? actor : 'alice');
      const active: ActiveFault = {
        ...(cluster ? { cluster: cluster.name } : {}),
        fault,
        params,
        appliedAt: new Date(),
      };
      faults.push(active);
      return active;
    },
    async heal() {
      // Back to the healthy published state, whatever changed it (control API or ordinary APIs): first as a user
      // would, so CloudTrail records the restoration, then the lab's own provisioning for everything else (which
      // runs even when a restoring call failed; that failure is then reported).
      try {
        await restoreBucketSettings(faultCtx);
      } finally {
        state.accountPublicAccessBlock = undefined;
        for (const c of state.clusters.values()) {
          await provisionCluster(state, c.issuerOrigin, c.name, originalKeys.get(c.name) ?? c.signingKey);
        }
        faults.length = 0;
      }
    },
    stats: () => counters.snapshot(state),
    async close() {
      await Promise.all([app.close(), proxy?.close(), issuerHosts?.close()]);
    },
  };
  const control: LabHandler = createControlHandler(lab, controlToken);

  const app = createEdge({
    state,
    handlers,
    https: { key: tls.keyPem, cert: tls.certPem },
    defaultRegion: state.region,
    counters,
    ...(clusterOn.size > 0 ? { issuerPathOn: issuerPathOn(state, clusterOn) } : {}),
  });
  const host = opts.host ?? '127.0.0.1';
  let labPort: number;
  try {
    labPort = await listenLab(app, host, opts.port ?? 0);
    ctx.endpoint = `https://127.0.0.1:${labPort}`;
    if (addressOf.size > 0) {
      issuerHosts = await listenIssuerHosts({
        addresses: [...addressOf.values()],
        port: labPort,
        server: app.server as HttpsServer,
        keyPem: tls.keyPem,
        certificateFor: tls.certificateFor,
      });
    }
  } catch (err) {
    await app.close();
    throw err;
  }
  const issuerOriginOf = (name: string): string => {
    const address = addressOf.get(name);
    return address === undefined ? ctx.endpoint : `https://${address}:${labPort}`;
  };

  try {
    // The port is ours: now the files, then the S3 Control proxy and the fleet.
    writeLabCa(dataDir, tls.caPem);
    writeControlToken(dataDir, controlToken);
    proxy = await startConnectProxy({ labPort, hosts: ['127.0.0.1', 'localhost', s3ControlHost(state.accountId)] });
    const topologies = new Map<string, ClusterTopology>(fleet.clusters.map((c) => [c.name, c.topology ?? 'public-s3']));
    for (const name of names) {
      const topology = topologies.get(name) ?? 'public-s3';
      const c = await provisionCluster(state, issuerOriginOf(name), name, pool.take(), topology);
      originalKeys.set(name, c.signingKey);
    }
    for (const spec of fleet.clusters) {
      for (const f of spec.faults) await lab.applyFault({ ...f, cluster: spec.name });
    }
    // The kubeconfig as a file too, so the served agent config can name it (kube contexts = cluster names).
    writeFileSync(kubeconfigFile, lab.kubeconfig(), { mode: 0o600 });
  } catch (err) {
    await lab.close();
    throw err;
  }
  return lab;
}
