// The lab control API (/_lab/v1/) answers only callers with the lab's control token: random at every start, written
// owner-only to <data-dir>/control-token, exposed to in-process callers as lab.controlToken.
import { readFileSync, statSync } from 'node:fs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab } from '../helpers/lab.ts';

const FLEET = { clusters: [{ name: 'solo' }], keyPool: 1 };

let lab: Lab;
let dispatcher: Agent;

beforeAll(async () => {
  lab = await startTestLab({ fleet: FLEET });
  dispatcher = new Agent({ connect: { ca: lab.caPem } });
});
afterAll(async () => {
  await dispatcher?.close();
  await lab?.close();
});

const control = async (method: string, path: string, authorization?: string) => {
  const res = await request(`${lab.endpoint}${path}`, {
    method: method as 'GET',
    dispatcher,
    ...(authorization !== undefined ? { headers: { authorization } } : {}),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
};

describe('the control token', () => {
  it('is random base64url, written to <data-dir>/control-token with mode 0600', () => {
    expect(lab.controlToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(lab.controlTokenFile).toBe(`${lab.dataDir}/control-token`);
    expect(readFileSync(lab.controlTokenFile, 'utf8')).toBe(lab.controlToken);
    expect(statSync(lab.controlTokenFile).mode & 0o777).toBe(0o600);
  });

  it('is new at every start, the file rewritten owner-only', async () => {
    const again = await startTestLab({ dataDir: lab.dataDir, fleet: FLEET });
    try {
      expect(again.controlToken).not.toBe(lab.controlToken);
      expect(readFileSync(again.controlTokenFile, 'utf8')).toBe(again.controlToken);
      expect(statSync(again.controlTokenFile).mode & 0o777).toBe(0o600);
    } finally {
      await again.close();
    }
  });
});

describe('the control API', () => {
  it('refuses every route without the token: 401, a JSON error naming the problem', async () => {
    for (const [method, path] of [
      ['GET', '/_lab/v1/info'],
      ['GET', '/_lab/v1/kubeconfig'],
      ['GET', '/_lab/v1/agent-config'],
      ['GET', '/_lab/v1/faults'],
      ['POST', '/_lab/v1/faults'],
      ['DELETE', '/_lab/v1/faults'],
      ['GET', '/_lab/v1/nothing-here'],
    ]) {
      const res = await control(method!, path!);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="irsa-sentinel lab"');
      expect(JSON.parse(res.text)).toEqual({
        error: { code: 'MissingToken', message: expect.stringContaining('Authorization: Bearer <token>') },
      });
    }
  });

  it('refuses a wrong token or scheme without echoing it', async () => {
    const wrong = `${lab.controlToken.slice(0, -2)}xx`;
    for (const authorization of [`Bearer ${wrong}`, `Basic ${lab.controlToken}`, 'Bearer']) {
      const res = await control('GET', '/_lab/v1/info', authorization);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'InvalidToken' } });
      expect(res.text).not.toContain(wrong);
      expect(res.text).not.toContain(lab.controlToken);
    }
  });

  it('answers with the token, and reports the S3 Control proxy and the root user', async () => {
    const res = await control('GET', '/_lab/v1/info', `Bearer ${lab.controlToken}`);
    expect(res.status).toBe(200);
    const info = JSON.parse(res.text) as Record<string, unknown>;
    expect(info).toMatchObject({
      s3controlProxy: lab.s3controlProxy,
      s3controlEndpoint: lab.endpoint.replace('127.0.0.1', 'localhost'),
    });
    expect((info.users as { name: string }[]).map((u) => u.name)).toContain('root');
    expect((await control('GET', '/_lab/v1/nothing-here', `bearer ${lab.controlToken}`)).status).toBe(404);
  });
});
