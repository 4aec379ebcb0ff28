// The lab's control API under /_lab/v1/: what the lab is (info, kubeconfig, stats) and fault injection. Not an AWS API.
// Every route needs the lab's control token (control-token.ts): `info` hands out every user's secret key.
import { checkBearer } from './control-token.ts';
import { FaultError } from './faults.ts';
import type { IssuerAddresses } from './fleet.ts';
import type { LabStats } from './stats.ts';
import type { LabReceiver } from './receiver.ts';
import type { ActiveFault, ClusterTopology } from './state.ts';
import type { LabHandler, LabResponse } from './wire.ts';

export interface LabInfo {
  endpoint: string;
  caFile: string;
  accountId: string;
  region: string;
  users: { name: string; arn: string; accessKeyId: string; secretAccessKey: string }[];
  /**
   * The AWS CLI's way to S3 Control: set HTTPS_PROXY to this (http://127.0.0.1:PORT; connect-proxy.ts). Always set
   * by a running lab, as is s3controlEndpoint (optional only for hand-made infos).
   */
  s3controlProxy?: string;
  /** The --endpoint-url for `aws s3control` through that proxy: https://localhost:PORT. */
  s3controlEndpoint?: string;
  /** `distinct` when each cluster's issuer is served on its own loopback address (absent: all on the lab's). */
  issuerAddresses?: IssuerAddresses;
  clusters: {
    name: string;
    issuer: string;
    /** With issuerAddresses distinct: the cluster's own loopback address (127.0.x.y) its issuer is served on. */
    issuerAddress?: string;
    bucket: string;
    oidcProviderArn: string;
    roles: string[];
    kubeApi: string;
    kubeToken: string;
    /** Always set by a running lab (optional only for hand-made infos). */
    topology?: ClusterTopology;
    /** cloudfront clusters: the distribution serving the issuer (`bucket` is its private origin). */
    distributionId?: string;
    /** cloudfront clusters: arn:aws:cloudfront::<account>:distribution/<id> */
    distributionArn?: string;
    /** cloudfront clusters: the Origin Access Identity as the bucket policy names it. */
    oaiArn?: string;
  }[];
}

/** What the control API drives; implemented by the running lab (index.ts). */
export interface LabControl {
  info(): LabInfo;
  kubeconfig(): string;
  /** A complete irsa-sentinel config (YAML) that monitors this lab's fleet, when whoever started the lab gave one. */
  agentConfig(): string | undefined;
  faults(): ActiveFault[];
  applyFault(input: Record<string, unknown>): Promise<ActiveFault>;
  heal(): Promise<void>;
  faultCatalogue(): { fault: string; description: string; cluster: boolean }[];
  /** What the lab has served since it started. */
  stats(): LabStats;
  /** The demo webhook receiver (receiver.ts). */
  readonly receiver: LabReceiver;
}

const json = (status: number, body: unknown, requestId: string): LabResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'x-lab-request-id': requestId },
  body: JSON.stringify(body),
});

const problem = (status: number, code: string, message: string, requestId: string): LabResponse =>
  json(status, { error: { code, message } }, requestId);

export function createControlHandler(lab: LabControl, controlToken: string): LabHandler {
  return async (req) => {
    const auth = checkBearer(req.headers.authorization, controlToken);
    if (!auth.ok) {
      const res = problem(401, auth.code, auth.message, req.requestId);
      return { ...res, headers: { ...res.headers, 'www-authenticate': 'Bearer realm="irsa-sentinel lab"' } };
    }
    const path = req.url.pathname.replace(/\/+$/, '');
    const route = `${req.method} ${path}`;
    switch (route) {
      case 'GET /_lab/v1/info':
        return json(200, lab.info(), req.requestId);
      case 'GET /_lab/v1/kubeconfig':
        return { status: 200, headers: { 'content-type': 'application/yaml' }, body: lab.kubeconfig() };
      case 'GET /_lab/v1/agent-config': {
        const body = lab.agentConfig();
        if (body === undefined)
          return problem(404, 'NotFound', 'this lab was started without an agent config renderer', req.requestId);
        return { status: 200, headers: { 'content-type': 'application/yaml' }, body };
      }
      case 'GET /_lab/v1/stats':
        return json(200, lab.stats(), req.requestId);
      case 'GET /_lab/v1/faults':
        return json(200, { active: lab.faults(), available: lab.faultCatalogue() }, req.requestId);
      case 'POST /_lab/v1/receiver':
        lab.receiver.record(req.headers, req.body);
        return json(202, { received: true }, req.requestId);
      case 'GET /_lab/v1/receiver':
        return json(200, { received: lab.receiver.list() }, req.requestId);
      case 'DELETE /_lab/v1/receiver':
        lab.receiver.clear();
        return json(200, { received: [] }, req.requestId);
      case 'DELETE /_lab/v1/faults':
        await lab.heal();
        return json(200, { active: lab.faults() }, req.requestId);
      case 'POST /_lab/v1/faults': {
        let input: unknown;
        try {
          input = JSON.parse(req.body.toString('utf8'));
        } catch {
          return problem(
            400,
            'InvalidJson',
            'body must be a JSON object {"fault": NAME, "cluster": NAME, ...params}',
            req.requestId,
          );
        }
        if (typeof input !== 'object' || input === null || Array.isArray(input)) {
          return problem(
            400,
            'InvalidJson',
            'body must be a JSON object {"fault": NAME, "cluster": NAME, ...params}',
            req.requestId,
          );
        }
        try {
          return json(201, await lab.applyFault(input as Record<string, unknown>), req.requestId);
        } catch (err) {
          if (err instanceof FaultError)
            return problem(err.code === 'FaultFailed' ? 409 : 400, err.code, err.message, req.requestId);
          throw err;
        }
      }
      default:
        return problem(404, 'NotFound', `no lab control route ${route}`, req.requestId);
    }
  };
}
