// The LookupEvents gate (src/clients/lookup-gate.ts) on a virtual clock, then on the wire against a CloudTrail that
// counts calls when it processes them and is slow to process the first: no second holds more than two arrivals,
// whatever each call's latency, where spacing starts alone (600 ms) let a late first call and the third share one.
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLookupGate } from '../../src/clients/lookup-gate.ts';
import { createTrailScanner } from '../../src/clients/trail-scanner.ts';
import { createLabTls } from '../../src/lab/tls.ts';
import type { LabTls } from '../../src/lab/tls.ts';

/** A virtual clock: sleeping moves it, nothing waits. */
function virtualClock() {
  let t = 0;
  return {
    now: () => t,
    sleep: (ms: number) => {
      t += ms;
      return Promise.resolve();
    },
    advance: (ms: number) => (t += ms),
  };
}

describe('createLookupGate on a virtual clock', () => {
  it('spaces calls by minIntervalMs when answers come at once', async () => {
    const clock = virtualClock();
    const gate = createLookupGate({ minIntervalMs: 600, limit: 2, windowMs: 1050, ...clock });
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const answered = await gate();
      starts.push(clock.now());
      answered();
    }
    // The third call waits for the first answer (at 0) plus the window, not only 600 ms after the second.
    expect(starts).toEqual([0, 600, 1200, 1800]);
  });

  it('starts the third call a window after the answer to the first, however late that answer came', async () => {
    const clock = virtualClock();
    const gate = createLookupGate({ minIntervalMs: 600, limit: 2, windowMs: 1050, ...clock });
    const starts: number[] = [];
    const call = async (latency: number) => {
      const answered = await gate();
      starts.push(clock.now());
      clock.advance(latency);
      answered();
    };
    await call(400); // a slow first call: a TLS handshake on a loaded machine, a far region
    await call(10);
    await call(10);
    await call(10);
    // 600 ms spacing alone would start the third at 1200, within a second of the first call's arrival (up to 400).
    expect(starts).toEqual([0, 600, 1450, 2050]);
    for (let i = 2; i < starts.length; i++)
      expect(starts[i]! - (starts[i - 2]! + (i === 2 ? 400 : 10))).toBeGreaterThanOrEqual(1050);
  });

  it('holds a call while the one two before it is still in flight', async () => {
    const clock = virtualClock();
    const gate = createLookupGate({ minIntervalMs: 1, limit: 2, windowMs: 1000, ...clock });
    const first = await gate();
    await gate();
    let third = false;
    const pending = gate().then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    clock.advance(5000);
    first();
    await pending;
    expect(clock.now()).toBe(6001); // first answered at 5001, plus the window
  });
});

describe('the trail scanner against a CloudTrail that is slow to process the first call', () => {
  let tls: LabTls;
  let server: Server;
  /** When the server processed each LookupEvents call (what AWS counts), real ms. */
  const processed: number[] = [];
  let endpoint = '';

  beforeAll(async () => {
    tls = await createLabTls(mkdtempSync(join(tmpdir(), 'irsa-gate-')));
    let pending = 0;
    server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      req.resume();
      req.on('end', () => {
        const delay = processed.length === 0 && pending === 0 ? 400 : 0;
        pending++;
        setTimeout(() => {
          processed.push(Date.now());
          const page = processed.length;
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ Events: [], ...(page < 4 && { NextToken: `t${page}` }) }));
        }, delay);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('keeps every second to two calls as the service counts them', { timeout: 20_000 }, async () => {
    const client = new CloudTrailClient({
      region: 'us-east-1',
      endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: tls.caPem }) }),
    });
    try {
      const scanner = createTrailScanner({ client });
      const w = await scanner.window(
        {
          id: 'q',
          lookup: { AttributeKey: 'EventName', AttributeValue: 'PutBucketPolicy' },
          windowMs: 60_000,
          map: (e) => e.EventName,
        },
        new AbortController().signal,
      );
      expect(w.calls).toBe(4);
      expect(processed).toHaveLength(4);
      // Any three consecutive calls span more than a second where the service counted them.
      for (let i = 2; i < processed.length; i++) expect(processed[i]! - processed[i - 2]!).toBeGreaterThanOrEqual(1000);
    } finally {
      client.destroy();
    }
  });
});
