// Build LabRequest objects for handler-level tests of lab services.
import { LabState } from '../../src/lab/state.ts';
import { createUsers } from '../../src/lab/users.ts';
import { newRequestId } from '../../src/lab/wire.ts';
import type { Caller, LabContext, LabRequest } from '../../src/lab/wire.ts';

export function labContext(): LabContext {
  const state = new LabState();
  createUsers(state);
  return { state, endpoint: 'https://127.0.0.1:1', caPem: '' };
}

export function asUser(ctx: LabContext, name: string): Caller {
  const user = ctx.state.users.get(name);
  if (!user) throw new Error(`no user ${name}`);
  return { kind: 'user', user, accessKeyId: user.accessKeyId };
}

export function labRequest(
  init: Partial<Omit<LabRequest, 'url' | 'body'>> & { path: string; body?: string | Buffer },
): LabRequest {
  const { path, body, ...rest } = init;
  return {
    method: 'GET',
    url: new URL(path, 'https://127.0.0.1:1'),
    headers: { host: '127.0.0.1:1' },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body ?? ''),
    caller: { kind: 'anonymous' },
    region: 'us-east-1',
    sourceIp: '198.51.100.7',
    userAgent: 'test',
    requestId: newRequestId(),
    ...rest,
  };
}
