// A second lab on a port already taken fails with a typed error before it writes anything: the running lab's CA,
// control token and kubeconfig stay as they were.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabPortInUseError, startLab } from '../../src/lab/index.ts';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab } from '../helpers/lab.ts';

/** Content and modification time of the files a lab writes. */
function labFiles(dataDir: string): Record<string, { text: string; mtimeMs: number }> {
  return Object.fromEntries(
    ['ca.pem', 'control-token', 'kubeconfig'].map((f) => {
      const path = join(dataDir, f);
      return [f, { text: readFileSync(path, 'utf8'), mtimeMs: statSync(path).mtimeMs }];
    }),
  );
}

describe('startLab on a port already taken', () => {
  let running: Lab;

  beforeAll(async () => {
    running = await startTestLab({ fleet: { clusters: [{ name: 'one' }], keyPool: 1 } });
  });
  afterAll(async () => {
    await running?.close();
  });

  it('rejects with LAB_PORT_IN_USE naming the port, and leaves the running lab and its files alone', async () => {
    const port = Number(new URL(running.endpoint).port);
    const before = labFiles(running.dataDir);
    const second = startLab({ port, dataDir: running.dataDir, fleet: { clusters: [{ name: 'two' }], keyPool: 1 } });
    await expect(second).rejects.toBeInstanceOf(LabPortInUseError);
    await expect(second).rejects.toMatchObject({
      code: 'LAB_PORT_IN_USE',
      port,
      message: `port ${port} on 127.0.0.1 is already in use (another lab?)`,
    });
    expect(labFiles(running.dataDir)).toEqual(before);
    // The running lab still answers, with the CA and the token it wrote.
    const dispatcher = new Agent({ connect: { ca: before['ca.pem']!.text } });
    try {
      const res = await request(`${running.endpoint}/_lab/v1/info`, {
        dispatcher,
        headers: { authorization: `Bearer ${before['control-token']!.text}` },
      });
      expect(res.statusCode).toBe(200);
      expect(((await res.body.json()) as { clusters: { name: string }[] }).clusters.map((c) => c.name)).toEqual([
        'one',
      ]);
    } finally {
      await dispatcher.close();
    }
  });
});
