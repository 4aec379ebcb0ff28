// Many slow answers on one keep-alive connection: the edge must not add a listener to the socket per request
// (that piles up to a MaxListenersExceededWarning); it watches each response instead.
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab } from '../helpers/lab.ts';

let lab: Lab;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: 'slow' }], keyPool: 1 } });
  // A delayed answer is what makes the edge watch for the client going away.
  await lab.applyFault({ cluster: 'slow', fault: 'issuer-slow', ms: 1 });
});
afterAll(async () => {
  await lab?.close();
});

describe('the edge on a keep-alive connection', () => {
  it('serves 40 delayed requests on one socket without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    // One connection, one request at a time: every request travels the same TLS socket.
    const client = new Client(lab.endpoint, { connect: { ca: lab.caPem }, pipelining: 1 });
    const sockets = new Set<unknown>();
    client.on('connect', (_origin, targets) => sockets.add(targets));
    try {
      for (let i = 0; i < 40; i++) {
        const res = await client.request({ method: 'GET', path: '/slow-oidc/keys.json' });
        expect(res.statusCode).toBe(200);
        await res.body.dump();
      }
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
      await client.close();
    }
    expect(sockets.size).toBe(1);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
  });
});
