// The CloudTrail position survives a restart: an agent scans, stops; a new agent on the same data dir starts each
// LookupEvents stream where the last scan ended (less the delivery overlap), not at the start of its window, and the
// cloudtrail probe's findings (who changed the bucket policy, the failing assume-role calls) are the same, although
// the events behind them lie before where the new scans start and CloudTrail is not asked for them again.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createAgent } from '../../src/agent.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { AgentConfig } from '../../src/config/types.ts';
import type { ProbeResult } from '../../src/core/model.ts';
import type { Lab } from '../../src/lab/index.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { assumeIngressRole, labFault, startTestLab } from '../helpers/lab.ts';

const CLUSTER = 'tr';
const OVERLAP_MS = 15 * 60_000;
/** The events are moved this far into the past: before where a resumed scan starts (cursor - overlap). */
const BACKDATE_MS = 30 * 60_000;
const silent = pino({ level: 'silent' });

let lab: Lab;
let config: AgentConfig;
let dataDir: string;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
  // A successful assume-role call and a refused one (the ingress operator's token for the registry's role), then
  // alice's Deny-unless-VPC-endpoint bucket policy.
  await assumeIngressRole(lab, { cluster: CLUSTER });
  const registry = lab.state.clusters.get(CLUSTER)!.roleArns.find((r) => r.includes('image-registry'))!;
  await expect(assumeIngressRole(lab, { cluster: CLUSTER, roleArn: registry })).rejects.toThrow(/Not authorized/);
  await labFault(lab, { fault: 'bucket-policy-deny-non-vpce', cluster: CLUSTER });
  // Every event half an hour old: within the windows (60 min, 24 h), before any resumed scan's start.
  for (const ev of lab.state.trail) {
    ev.eventTime = new Date(ev.eventTime.getTime() - BACKDATE_MS);
    ev.record.eventTime = ev.eventTime.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  dataDir = mkdtempSync(join(tmpdir(), 'irsa-trail-restart-'));
  const file = join(dataDir, 'config.yaml');
  const base = parse(lab.agentConfig()!) as Record<string, unknown>;
  writeFileSync(file, stringify({ ...base, storage: { dataDir } }));
  config = loadConfig(file);
}, 60_000);

afterAll(() => lab?.close());

async function scanOnce(): Promise<ProbeResult> {
  const agent = await createAgent(config, silent);
  try {
    const [result] = await agent.scheduler.runOnce({ clusters: [CLUSTER], probes: ['cloudtrail'] });
    return result!;
  } finally {
    await agent.stop();
  }
}

describe('the CloudTrail position across a restart', () => {
  it('resumes every stream where it stopped, with the same findings', { timeout: 60_000 }, async () => {
    const first = await scanOnce();
    const codes = first.findings.map((f) => f.code).sort();
    expect(codes).toEqual(expect.arrayContaining(['ASSUME_FAILURES_RECENT', 'BUCKET_POLICY_CHANGED_BY']));
    expect(JSON.stringify(first.findings)).toMatch(/user\/alice/);

    // Where each stream stands, as saved: <account>/<region>/<query>.
    const store = openSqliteStore({ dataDir });
    const region = lab.info().region;
    const prefix = `${lab.info().accountId}/${region}`;
    const queries = [
      'AssumeRoleWithWebIdentity',
      'PutBucketPolicy',
      'DeleteBucketPolicy',
      'PutBucketPublicAccessBlock',
      'DeleteBucketPublicAccessBlock',
      'PutAccountPublicAccessBlock',
      'DeleteAccountPublicAccessBlock',
    ];
    const cursors = new Map(queries.map((q) => [q, store.trail().load(`${prefix}/${q}`)?.position.cursor]));
    store.close();
    for (const [q, cursor] of cursors) expect(cursor, q).toBeInstanceOf(Date);

    const mark = lab.state.lookupLog.length;
    const second = await scanOnce();
    const calls = lab.state.lookupLog.slice(mark).filter((c) => !c.nextPage);
    expect(calls.map((c) => c.attribute).sort()).toEqual(queries.map((q) => `EventName=${q}`).sort());
    for (const call of calls) {
      const cursor = cursors.get(call.attribute!.replace('EventName=', ''))!;
      expect(call.startTime?.getTime(), call.attribute).toBe(cursor.getTime() - OVERLAP_MS);
    }
    // The events lie before those starts: the findings come from what the first agent kept.
    expect(second.findings).toEqual(first.findings);
    expect(second.observations).toEqual(first.observations);
  });
});
