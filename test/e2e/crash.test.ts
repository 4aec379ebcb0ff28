// SIGKILL in the middle of a cycle, then a restart on the same data dir: `serve` watches a lab fleet on 2-second
// schedules with an alert firing and delivered to a webhook; it is killed while probe runs are in flight (and results
// are being written). The store
// must open (SQLite's integrity check passes, every result row is whole, every latest result points at one), the
// alert state must be as it was (the same episode firing, its trigger delivered), and the restarted agent must not
// send the trigger again while it goes on storing results.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Lab } from '../../src/lab/index.ts';
import { DB_FILE_NAME } from '../../src/store/sqlite-store.ts';
import { startTestLab } from '../helpers/lab.ts';
import { startReceiver } from '../helpers/receiver.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { startServe, until } from '../helpers/serve.ts';
import type { ServeProcess } from '../helpers/serve.ts';

const CODE = 'BUCKET_POLICY_DENIES_STS';
const HEALTHY = ['h1', 'h2'];

let lab: Lab;
let hook: Receiver;
let serve: ServeProcess | undefined;
let dataDir: string;
let configFile: string;

beforeAll(async () => {
  [lab, hook] = await Promise.all([
    startTestLab({
      fleet: {
        clusters: [
          { name: 'broken', faults: [{ fault: 'bucket-policy-deny-non-vpce' }] },
          ...HEALTHY.map((name) => ({ name })),
        ],
        keyPool: 1,
      },
    }),
    startReceiver(),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'irsa-crash-'));
  dataDir = join(dir, 'data');
  const every2s = { cron: '*/2 * * * * *' };
  const config = {
    ...(parse(lab.agentConfig()!) as Record<string, unknown>),
    // CloudTrail's scans take seconds (two calls a second): every 10 s, so none is STALE after the restart.
    schedules: {
      issuer: every2s,
      jwks: every2s,
      bucket: every2s,
      cloudtrail: { cron: '*/10 * * * * *' },
      roles: every2s,
    },
    storage: { dataDir },
    // The test reads the detailed status without a token.
    server: { port: 0, access: { details: 'public' } },
    alerts: { rerunCooldownSeconds: 5, sinks: [{ name: 'hook', type: 'webhook', url: `${hook.url}/hook` }] },
  };
  configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify(config));
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await Promise.all([hook?.close(), lab?.close()]);
});

const triggers = () => hook.received.filter((r) => r.body.includes('"trigger"') && r.body.includes(CODE));

async function get<T>(url: string): Promise<T> {
  const res = await request(url);
  return (await res.body.json()) as T;
}

interface AlertsBody {
  firing: {
    id: number;
    cluster: string;
    code: string;
    firedAt: string;
    lastSeenAt: string;
    deliveries: { kind: string; status: string }[];
  }[];
}

/** Whether the alert was evaluated at or after `ms`. */
function seenSince(a: AlertsBody, ms: number): boolean {
  const seen = a.firing.find((f) => f.code === CODE)?.lastSeenAt;
  return seen !== undefined && new Date(seen).getTime() >= ms;
}

const inFlight = async (url: string): Promise<number> => {
  const res = await request(`${url}/metrics`);
  return Number(/^irsa_sentinel_runs_in_flight (\d+)/m.exec(await res.body.text())?.[1] ?? 0);
};

describe('SIGKILL during a cycle, then a restart', () => {
  it('leaves a whole store and the alert state as it was; nothing is sent again', { timeout: 120_000 }, async () => {
    serve = startServe(configFile);
    const url = await serve.url;
    const delivered = await until(
      `the trigger delivered\n${serve.tail()}`,
      () => get<AlertsBody>(`${url}/api/v1/alerts`),
      (a) =>
        a.firing.some(
          (f) => f.code === CODE && f.deliveries.some((d) => d.kind === 'trigger' && d.status === 'delivered'),
        ),
      60_000,
    );
    const alert = delivered.firing.find((f) => f.code === CODE)!;
    expect(triggers()).toHaveLength(1);

    // Killed while runs are in flight (every 2 s, five probes of three clusters: there nearly always are).
    await until(
      'runs in flight',
      () => inFlight(url),
      (n) => n > 0,
      20_000,
      20,
    );
    serve.child.kill('SIGKILL');
    expect(await serve.stop()).toBeNull();

    // The store as the crash left it, before any agent opens it again.
    const db = new DatabaseSync(join(dataDir, DB_FILE_NAME));
    try {
      expect(db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
      expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
      const rows = db.prepare('SELECT COUNT(*) AS n FROM result_history').get() as { n: number };
      expect(rows.n).toBeGreaterThan(0);
      const broken = db
        .prepare(
          `SELECT COUNT(*) AS n FROM result_history WHERE cluster = '' OR status NOT IN ('ok', 'warn', 'fail', 'unknown')
             OR started_ms <= 0 OR duration_ms < 0 OR NOT json_valid(findings) OR json_type(findings) <> 'array'
             OR (observations IS NOT NULL AND json_type(observations) <> 'object')`,
        )
        .get() as { n: number };
      expect(broken.n).toBe(0);
      const dangling = db
        .prepare(
          'SELECT COUNT(*) AS n FROM latest_result l LEFT JOIN result_history h ON h.id = l.history_id WHERE h.id IS NULL',
        )
        .get() as { n: number };
      expect(dangling.n).toBe(0);
      const latest = db.prepare('SELECT COUNT(*) AS n FROM latest_result').get() as { n: number };
      expect(latest.n).toBeGreaterThan(0);
      expect(latest.n).toBeLessThanOrEqual(15);
      expect(db.prepare(`SELECT id, state FROM alert WHERE cluster = 'broken' AND code = ?`).all(CODE)).toEqual([
        { id: alert.id, state: 'firing' },
      ]);
      expect(
        db.prepare(`SELECT status FROM alert_notification WHERE alert_id = ? AND kind = 'trigger'`).all(alert.id),
      ).toEqual([{ status: 'delivered' }]);
    } finally {
      db.close();
    }

    // Restarted: results flow again, the same alert fires, and its trigger is not sent again.
    const before = hook.received.length;
    serve = startServe(configFile);
    const url2 = await serve.url;
    const mark = Date.now();
    // Evaluated again after the restart (the agent re-runs the clusters whose alerts fire, at once), then a margin
    // for a trigger that would follow.
    const after = await until(
      `the alert evaluated after the restart\n${serve.tail()}`,
      () => get<AlertsBody>(`${url2}/api/v1/alerts`),
      (a) => seenSince(a, mark),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 2_000));
    expect(after.firing.find((f) => f.code === CODE)).toMatchObject({ id: alert.id, firedAt: alert.firedAt });
    // Nothing delivered before the crash came again (each notification has its own id), the trigger least of all.
    const idOf = (body: string) => (JSON.parse(body) as { id: string }).id;
    const sent = new Set(hook.received.slice(0, before).map((r) => idOf(r.body)));
    expect(hook.received.slice(before).filter((r) => sent.has(idOf(r.body)))).toEqual([]);
    expect(triggers()).toHaveLength(1);
    expect(await serve.stop()).toBe(0);
  });
});
