import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumingConnector } from '../../src/clients/tls-resume.ts';
import { createLabTls } from '../../src/lab/tls.ts';
import type { LabTls } from '../../src/lab/tls.ts';

let tls: LabTls;
let server: Server;
let url: string;
const reused: boolean[] = [];

beforeAll(async () => {
  tls = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-resume-')));
  server = createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => res.end('{}'));
  server.on('secureConnection', (socket) => reused.push(socket.isSessionReused()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** One GET on a connection of its own (the Agent closes it at once). */
async function get(agent: Agent, path: string): Promise<number> {
  const res = await request(`${url}${path}`, { dispatcher: agent, reset: true });
  await res.body.dump();
  return res.statusCode;
}

describe('resumingConnector', () => {
  it('keeps each session ticket in a buffer of its own size, not a view of a 64 KiB read buffer', async () => {
    const connector = resumingConnector({ ca: tls.caPem }, { windowMs: 5_000 });
    const agent = new Agent({ connect: connector });
    try {
      expect(await get(agent, '/a')).toBe(200);
      await expect.poll(() => connector.held().sessions, { timeout: 2_000, interval: 20 }).toBe(1);
      // A TLS 1.3 ticket from Node is a few hundred bytes to ~2 KiB; the read buffer it arrives in is 64 KiB.
      expect(connector.held().bytes).toBeGreaterThan(0);
      expect(connector.held().bytes).toBeLessThan(8 * 1024);
      reused.length = 0;
      expect(await get(agent, '/b')).toBe(200);
      expect(reused).toEqual([true]);
    } finally {
      await agent.close();
    }
  });

  it('forgets a session when its window ends even if the connector is not used again', async () => {
    const connector = resumingConnector({ ca: tls.caPem }, { windowMs: 300 });
    const agent = new Agent({ connect: connector });
    try {
      await get(agent, '/a');
      await expect.poll(() => connector.held().sessions, { timeout: 2_000, interval: 20 }).toBe(1);
      await expect.poll(() => connector.held(), { timeout: 3_000, interval: 50 }).toEqual({ sessions: 0, bytes: 0 });
      reused.length = 0;
      await get(agent, '/b');
      expect(reused).toEqual([false]);
    } finally {
      await agent.close();
    }
  });

  it('keeps no closed connection (its undici client and pool) alive while it holds the session', async () => {
    // In a process of its own with --expose-gc: a closed Agent must be collected while its session is still held.
    const src = (path: string) => JSON.stringify(join(import.meta.dirname, '../../src', path));
    const script = `
      import { Agent, request } from 'undici';
      import { resumingConnector } from ${src('clients/tls-resume.ts')};
      const connector = resumingConnector({ ca: process.env.CA }, { windowMs: 60000 });
      const made = async () => {
        const agent = new Agent({ connect: connector, connections: 2 });
        const res = await request(process.env.URL, { dispatcher: agent, reset: true });
        await res.body.dump();
        await agent.close();
        return new WeakRef(agent);
      };
      const ref = await made();
      for (let i = 0; i < 30 && ref.deref(); i++) { await new Promise((r) => setTimeout(r, 100)); gc(); }
      process.stdout.write(JSON.stringify({ collected: ref.deref() === undefined, held: connector.held().sessions }));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, CA: tls.caPem, URL: `${url}/a` },
      },
    );
    expect(JSON.parse(stdout)).toEqual({ collected: true, held: 1 });
  });

  it('holds nothing with a window of 0 (every connection a full handshake)', async () => {
    const connector = resumingConnector({ ca: tls.caPem }, { windowMs: 0 });
    const agent = new Agent({ connect: connector });
    try {
      reused.length = 0;
      await get(agent, '/a');
      await get(agent, '/b');
      expect(reused).toEqual([false, false]);
      expect(connector.held()).toEqual({ sessions: 0, bytes: 0 });
    } finally {
      await agent.close();
    }
  });
});
