import { describe, expect, it } from 'vitest';
import { shutdownHandler } from '../../src/commands/signals.ts';
import type { ShutdownEvent } from '../../src/commands/signals.ts';

function harness(stop: () => Promise<void>) {
  const exits: number[] = [];
  const events: ShutdownEvent[] = [];
  const handler = shutdownHandler({ stop, exit: (c) => exits.push(c), report: (e) => events.push(e) });
  return { handler, exits, events };
}

describe('shutdown signals', () => {
  it('stops gracefully on the first signal and exits 0 when done', async () => {
    let resolveStop!: () => void;
    const h = harness(() => new Promise<void>((r) => (resolveStop = r)));
    h.handler('SIGTERM');
    expect(h.exits).toEqual([]);
    resolveStop();
    await Promise.resolve();
    await Promise.resolve();
    expect(h.exits).toEqual([0]);
    expect(h.events).toEqual(['stopping']);
  });

  it('exits 130 at once on a second signal while stopping', () => {
    const h = harness(() => new Promise<void>(() => undefined));
    h.handler('SIGTERM');
    h.handler('SIGINT');
    expect(h.exits).toEqual([130]);
    expect(h.events).toEqual(['stopping', 'second signal, exiting now']);
  });

  it('exits 1 when the graceful stop fails', async () => {
    const h = harness(() => Promise.reject(new Error('disk full')));
    h.handler('SIGINT');
    await new Promise((r) => setImmediate(r));
    expect(h.exits).toEqual([1]);
    expect(h.events).toEqual(['stopping', 'error while stopping']);
  });
});
