// An STS client on the lab whose HTTP handler records every request (its Action and the signing access key id) and may
// act before one is sent: a probe's throwaway clients built from `sts.config.requestHandler` are seen too.
import { Agent } from 'node:https';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Lab } from '../../src/lab/index.ts';
import { sdkConfig } from './lab.ts';

export interface StsCall {
  action: string;
  /** The access key id in the SigV4 Credential scope; undefined for an unsigned request. */
  accessKeyId?: string;
}

export interface StsSpy {
  sts: STSClient;
  calls: StsCall[];
}

type HandleArgs = Parameters<NodeHttpHandler['handle']>;

class SpyingHandler extends NodeHttpHandler {
  readonly #calls: StsCall[];
  readonly #before: (call: StsCall) => void;

  constructor(lab: Lab, calls: StsCall[], before: (call: StsCall) => void) {
    super({ httpsAgent: new Agent({ ca: lab.caPem }) });
    this.#calls = calls;
    this.#before = before;
  }

  override handle(request: HandleArgs[0], options?: HandleArgs[1]) {
    const body = typeof request.body === 'string' ? request.body : '';
    const action = new URLSearchParams(body).get('Action') ?? '';
    const auth = request.headers.authorization ?? request.headers.Authorization;
    const accessKeyId = /Credential=([^/]+)\//.exec(auth ?? '')?.[1];
    const call: StsCall = { action, ...(accessKeyId !== undefined && { accessKeyId }) };
    this.#calls.push(call);
    this.#before(call);
    return super.handle(request, options);
  }
}

/** `before` runs for each request just before it goes out (e.g. to expire the session that signed it). */
export function stsSpy(lab: Lab, user: string, before: (call: StsCall) => void = () => {}): StsSpy {
  const calls: StsCall[] = [];
  const requestHandler = new SpyingHandler(lab, calls, before);
  return { sts: new STSClient({ ...sdkConfig(lab, user), requestHandler }), calls };
}
