// A reload puts a new configuration in force without losing anything: against the lab, an agent with alerting watches
// two clusters, one broken (its alert fires, the webhook gets it); the reload removes the healthy one, adds another,
// changes the CloudTrail schedule (new AWS clients) and alerting's settings (a new alert service). After it: the fleet
// in the API and the schedule is the new one, the removed cluster's history is still stored, the alert still fires
// and is not sent again, CloudTrail resumes where it stood, and a key that applies only at start is reported and kept.
// A reload whose parts cannot be built (its CA file gone since it was loaded) changes nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createAgent } from '../../src/agent.ts';
import type { Agent } from '../../src/agent.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { AgentConfig } from '../../src/config/types.ts';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab } from '../helpers/lab.ts';
import { startReceiver } from '../helpers/receiver.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { until } from '../helpers/serve.ts';

const PROBES = ['issuer', 'bucket', 'cloudtrail'];
const CODE = 'BUCKET_POLICY_DENIES_STS';
const silent = pino({ level: 'silent' });

let lab: Lab;
let hook: Receiver;
let agent: Agent | undefined;
let dir: string;
let labConfig: { accounts: unknown[]; clusters: { name: string }[] };

beforeAll(async () => {
  [lab, hook] = await Promise.all([
    startTestLab({
      fleet: {
        clusters: [
          { name: 'broken', faults: [{ fault: 'bucket-policy-deny-non-vpce' }] },
          { name: 'leaving' },
          { name: 'joining' },
        ],
        keyPool: 1,
      },
    }),
    startReceiver(),
  ]);
  labConfig = parse(lab.agentConfig()!) as typeof labConfig;
  dir = mkdtempSync(join(tmpdir(), 'irsa-reload-'));
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await Promise.all([hook?.close(), lab?.close()]);
});

/** The lab's config with these clusters (issuer, bucket and cloudtrail only), written and loaded as serve would. */
function configWith(name: string, clusters: string[], more: Record<string, unknown> = {}): AgentConfig {
  const file = join(dir, `${name}.yaml`);
  const config = {
    accounts: labConfig.accounts,
    clusters: labConfig.clusters.filter((c) => clusters.includes(c.name)).map((c) => ({ ...c, probes: PROBES })),
    storage: { dataDir: join(dir, 'data') },
    alerts: { sinks: [{ name: 'hook', type: 'webhook', url: `${hook.url}/hook` }] },
    ...more,
    // The test reads the detailed status without a token.
    server: { access: { details: 'public' }, ...(more.server as object | undefined) },
  };
  writeFileSync(file, stringify(config));
  return loadConfig(file);
}

const triggers = () => hook.received.filter((r) => r.body.includes('"trigger"') && r.body.includes(CODE));
const statusNames = async (a: Agent): Promise<string[]> => {
  const api = await a.api();
  const res = await api.inject({ method: 'GET', url: '/api/v1/status' });
  await api.close();
  return (JSON.parse(res.body) as { clusters: { name: string }[] }).clusters.map((c) => c.name);
};

describe('reloading the configuration', () => {
  it(
    'applies a new fleet, schedule and alerting without losing history, alerts or the CloudTrail position',
    {
      timeout: 90_000,
    },
    async () => {
      const first = configWith('first', ['broken', 'leaving']);
      agent = await createAgent(first, silent, { alerting: true, alertTickMs: 250 });
      agent.alerts!.start();
      await agent.scheduler.runOnce();
      await until(
        'the trigger at the webhook',
        () => triggers().length,
        (n) => n === 1,
        30_000,
      );
      const [alert] = agent.store.alertStore().openAlerts('broken');
      expect(alert).toMatchObject({ code: CODE, state: 'firing' });

      const second = configWith('second', ['broken', 'joining'], {
        schedules: { cloudtrail: { cron: '*/2 * * * *' } },
        alerts: { reminderMinutes: 600, sinks: [{ name: 'hook', type: 'webhook', url: `${hook.url}/hook` }] },
        server: { port: first.server.port + 1 },
      });
      const report = await agent.reload(second);
      expect(report.applied).toEqual(expect.arrayContaining(['clusters', 'schedules', 'alerts']));
      expect(report.restart).toEqual(['server.port']);
      expect(agent.config.server.port).toBe(first.server.port);
      expect(agent.config.alerts.reminderMinutes).toBe(600);

      // The new fleet, scheduled and served; the removed cluster's history stays in the store.
      const expected = agent.scheduler.expected();
      expect([...new Set(expected.map((e) => e.cluster))].sort()).toEqual(['broken', 'joining']);
      expect(expected.find((e) => e.probe === 'cloudtrail')?.periodMs).toBe(120_000);
      expect(await statusNames(agent)).toEqual(['broken', 'joining']);
      expect(agent.store.history('leaving').length).toBeGreaterThan(0);

      // CloudTrail resumes where the last scan ended (less the 15 min overlap), with the new clients.
      const stream = `${lab.info().accountId}/${lab.info().region}/PutBucketPolicy`;
      const cursor = agent.store.trail().load(stream)!.position.cursor;
      const mark = lab.state.lookupLog.length;
      const results = await agent.scheduler.runOnce();
      expect(new Set(results.map((r) => r.cluster))).toEqual(new Set(['broken', 'joining']));
      const put = lab.state.lookupLog.slice(mark).find((c) => c.attribute === 'EventName=PutBucketPolicy');
      expect(put?.startTime?.getTime()).toBe(cursor.getTime() - 15 * 60_000);

      // The alert is the same episode, still firing, and nothing was sent again.
      agent.alerts!.tick();
      await new Promise((r) => setTimeout(r, 1_000));
      expect(agent.store.alertStore().openAlerts('broken')).toEqual([
        expect.objectContaining({ id: alert!.id, state: 'firing', firedAt: alert!.firedAt }),
      ]);
      expect(triggers()).toHaveLength(1);
    },
  );

  it('changes nothing when a part of the new configuration cannot be built', { timeout: 30_000 }, async () => {
    const ca = join(dir, 'gone-ca.pem');
    writeFileSync(ca, lab.caPem);
    const account = { ...(labConfig.accounts[0] as Record<string, unknown>), name: 'other', caFile: ca };
    const next = configWith('third', ['broken'], { accounts: [...labConfig.accounts, account] });
    rmSync(ca);
    const before = agent!.config;
    await expect(agent!.reload(next)).rejects.toThrow(/cannot read caFile/);
    expect(agent!.config).toBe(before);
    expect(await statusNames(agent!)).toEqual(['broken', 'joining']);
  });
});
