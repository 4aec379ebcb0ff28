// The agent logs one info "status changed" line (cluster, probe, from, to, findings) per status change, none otherwise.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.ts';
import type { Agent } from '../../src/agent.ts';
import { loadConfig } from '../../src/config/load.ts';

interface LogLine {
  level: number;
  msg: string;
  cluster?: string;
  probe?: string;
  from?: string | null;
  to?: string;
  findings?: string[];
}

const INFO = 30;
const lines: LogLine[] = [];
let agent: Agent;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-status-log-'));
  const file = join(dir, 'config.yaml');
  const config = ['lab:', `  dataDir: ${join(dir, 'lab')}`, '  fleet:', '    clusters:', '      - name: alpha'];
  writeFileSync(file, [...config, '      - name: beta', 'storage:', '  inMemory: true', ''].join('\n'));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  agent = await createAgent(loadConfig(file), pino({ level: 'debug' }, sink));
}, 60_000);
afterAll(() => agent?.stop());

/** The status-changed lines logged while `step` runs. */
async function changesDuring(step: () => Promise<unknown>): Promise<LogLine[]> {
  const from = lines.length;
  await step();
  return lines.slice(from).filter((l) => l.msg === 'status changed');
}
const issuerOnce = () => agent.scheduler.runOnce({ probes: ['issuer'] });
const byCluster = (a: LogLine, b: LogLine) => (a.cluster ?? '').localeCompare(b.cluster ?? '');

describe('agent status-change log', () => {
  it('first run: one info line per cluster, from null to ok', async () => {
    const changes = await changesDuring(issuerOnce);
    expect(changes.sort(byCluster)).toEqual([
      expect.objectContaining({ level: INFO, cluster: 'alpha', probe: 'issuer', from: null, to: 'ok', findings: [] }),
      expect.objectContaining({ level: INFO, cluster: 'beta', probe: 'issuer', from: null, to: 'ok', findings: [] }),
    ]);
  });

  it('same status again: no status-changed line, and nothing new at info', async () => {
    const from = lines.length;
    const results = await issuerOnce();
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok']);
    const logged = lines.slice(from);
    expect(logged.filter((l) => l.msg === 'probe run')).toHaveLength(2); // the runs did log, at debug
    expect(logged.filter((l) => l.level >= INFO)).toEqual([]);
  });

  it('issuer-error on one cluster: exactly one line, ok to fail, with its finding', async () => {
    await agent.lab!.applyFault({ cluster: 'beta', fault: 'issuer-error' });
    const changes = await changesDuring(issuerOnce);
    expect(changes).toEqual([
      expect.objectContaining({
        level: INFO,
        cluster: 'beta',
        probe: 'issuer',
        from: 'ok',
        to: 'fail',
        findings: ['ISSUER_HTTP_ERROR'],
      }),
    ]);
  });
});
