// Issue 11's acceptance, live: `serve` watches a lab cluster on 5-second schedules; alice puts a Deny-unless-VPC-
// endpoint bucket policy with the real AWS CLI; a local webhook receiver gets exactly one alert naming the statement
// and alice (signed with HMAC), and a real Prometheus Alertmanager shows it with the expected labels through its own
// API; alice restores the policy and both get the resolution. Then, with the alert firing again, `serve` is stopped,
// alice restores the policy while it is down, and after the restart the resolution is delivered and nothing already
// delivered is sent again.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { WebhookBodyV1 } from '../../src/alerts/sinks/webhook/body.ts';
import type { Lab } from '../../src/lab/index.ts';
import { startAlertmanager } from '../helpers/alertmanager.ts';
import type { Alertmanager } from '../helpers/alertmanager.ts';
import { awsCli, requireAwsCli } from '../helpers/awscli.ts';
import { startTestLab, userKeys } from '../helpers/lab.ts';
import { ccoctlReadStatement, denyOutsideVpceStatement, policyOf } from '../helpers/policies.ts';
import { startReceiver } from '../helpers/receiver.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { startServe, until } from '../helpers/serve.ts';
import type { ServeProcess } from '../helpers/serve.ts';
import { tempStoreDir } from '../alerts/fixtures.ts';

const CLUSTER = 'live';
const BUCKET = `${CLUSTER}-oidc`;
const SECRET = 'live-test-hmac-secret-0001';
const CODE = 'BUCKET_POLICY_DENIES_STS';
const ALICE = /^arn:aws:iam::\d{12}:user\/alice$/;

let lab: Lab;
let hook: Receiver;
let warnings: Receiver;
let am: Alertmanager;
let serve: ServeProcess | undefined;
let configFile: string;
/** serve's log lines, both runs (debug level): read it when this test fails. */
let logFile: string;

beforeAll(async () => {
  requireAwsCli();
  [lab, hook, warnings, am] = await Promise.all([
    startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } }),
    startReceiver(),
    startReceiver(),
    startAlertmanager(),
  ]);
  const dir = tempStoreDir();
  // The config a real user writes for this fleet (the lab's agent-config), with fast schedules and alerting.
  const base = parse(lab.agentConfig()!) as Record<string, unknown>;
  const every5s = { cron: '*/5 * * * * *' };
  const config = {
    ...base,
    schedules: { issuer: every5s, jwks: every5s, bucket: every5s, cloudtrail: every5s, roles: every5s },
    storage: { dataDir: dir },
    // Bound to loopback: the details (status, alerts) are public, as in the demo.
    server: { port: 0, access: { details: 'public' } },
    log: { level: 'debug' },
    alerts: {
      // Scaled to the 5-second schedules, as the default (60 s) is to the default ones.
      rerunCooldownSeconds: 10,
      sinks: [
        { name: 'oncall-hook', type: 'webhook', url: `${hook.url}/irsa`, secret: SECRET },
        { name: 'am', type: 'alertmanager', url: am.url, refreshSeconds: 5 },
        { name: 'warnings', type: 'webhook', url: `${warnings.url}/warn` },
      ],
      routes: [
        { match: { severity: ['critical'] }, sinks: ['oncall-hook', 'am'] },
        { match: { severity: ['warning'] }, sinks: ['warnings'] },
      ],
      defaultSinks: [],
    },
  };
  configFile = join(dir, 'config.yaml');
  logFile = join(dir, 'serve.log');
  writeFileSync(configFile, stringify(config));
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await Promise.all([hook?.close(), warnings?.close(), am?.stop(), lab?.close()]);
});

const target = () => ({ endpoint: lab.endpoint, caFile: lab.caFile });
async function putPolicy(policy: unknown): Promise<void> {
  const res = await awsCli(
    target(),
    ['s3api', 'put-bucket-policy', '--bucket', BUCKET, '--policy', JSON.stringify(policy)],
    userKeys(lab.info(), 'alice'),
  );
  expect(res.code, res.stderr).toBe(0);
}
const deny = () =>
  putPolicy(policyOf(ccoctlReadStatement(BUCKET), denyOutsideVpceStatement(BUCKET, 'vpce-0a1b2c3d4e5f60718')));
const restore = () => putPolicy(policyOf(ccoctlReadStatement(BUCKET)));

const bodies = (r: Receiver) => r.received.map((_, i) => r.json<WebhookBodyV1>(i));
const of = (r: Receiver, kind: string) => bodies(r).filter((b) => b.kind === kind && b.alert.code === CODE);
const ours = (alerts: Awaited<ReturnType<Alertmanager['alerts']>>) =>
  alerts.filter((a) => a.labels.cluster === CLUSTER);

async function healthy(s: ServeProcess): Promise<void> {
  const url = await s.url;
  await until(
    `cluster ${CLUSTER} healthy with all five probes\n${s.tail()}`,
    async () => {
      const res = await request(`${url}/api/v1/status`);
      return (await res.body.json()) as {
        clusters: { name: string; diagnosis: { code: string }; probes: Record<string, unknown> }[];
      };
    },
    (st) =>
      st.clusters.some(
        (c) => c.name === CLUSTER && c.diagnosis.code === 'HEALTHY' && Object.keys(c.probes).length === 5,
      ),
    60_000,
    500,
  );
}

function verified(i: number): boolean {
  const req = hook.received[i]!;
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-irsa-sentinel-signature']));
  if (!m) return false;
  const mac = createHmac('sha256', SECRET).update(`${m[1]}.${req.body}`).digest();
  return timingSafeEqual(mac, Buffer.from(m[2]!, 'hex'));
}

describe('alerts, live against the lab with serve, the aws CLI and a real Alertmanager', () => {
  it(
    'one alert naming the statement and alice, shown by Alertmanager; the resolution to both; a restart sends nothing twice and delivers a resolution that happened while down',
    { timeout: 300_000 },
    async () => {
      serve = startServe(configFile, {}, logFile);
      await healthy(serve);

      // alice tightens the bucket policy.
      const t0 = Date.now();
      await deny();
      await until(
        `the trigger at the webhook\n${serve.tail()}`,
        () => of(hook, 'trigger').length,
        (n) => n >= 1,
        60_000,
      );
      const latencyMs = Date.now() - t0;
      process.stderr.write(
        `alerts-live: alice's put -> webhook trigger in ${latencyMs} ms (serve's log: ${logFile})\n`,
      );

      // Exactly one: nothing more for two more periods of every probe.
      await new Promise((r) => setTimeout(r, 12_000));
      expect(of(hook, 'trigger')).toHaveLength(1);
      expect(bodies(hook).every((b) => b.alert.severity === 'critical')).toBe(true);
      const [trigger] = of(hook, 'trigger');
      expect(trigger!.alert).toMatchObject({
        cluster: CLUSTER,
        code: CODE,
        severity: 'critical',
        state: 'firing',
        summary: expect.stringMatching(/statement DenyOutsideVpce \(changed by arn:aws:iam::\d{12}:user\/alice at /),
        change: { actor: expect.stringMatching(ALICE), statement: 'DenyOutsideVpce', event: 'PutBucketPolicy' },
        link: `${await serve.url}/clusters/${CLUSTER}`,
      });
      expect(verified(hook.received.findIndex((r) => r.body.includes('"trigger"')))).toBe(true);

      // Alertmanager holds it, with the labels and annotations the agent gave it.
      const [held] = await until(
        'the alert in Alertmanager',
        () => am.alerts().then(ours),
        (a) => a.length === 1,
        30_000,
      );
      expect(held).toMatchObject({
        labels: { alertname: CODE, cluster: CLUSTER, code: CODE, severity: 'critical' },
        annotations: {
          // The same cause, though a refresh may carry a newer wording of it (more probe results arrived since).
          summary: expect.stringMatching(/statement DenyOutsideVpce \(changed by arn:aws:iam::\d{12}:user\/alice at /),
          remediation: expect.any(String),
          changed_by: expect.stringMatching(ALICE),
        },
        status: { state: 'active' },
        generatorURL: trigger!.alert.link,
      });

      // alice restores the policy: both hear the resolution.
      await restore();
      await until(
        `the resolution at the webhook\n${serve.tail()}`,
        () => of(hook, 'resolve').length,
        (n) => n === 1,
        90_000,
      );
      await until(
        'the alert gone from Alertmanager',
        () => am.alerts().then(ours),
        (a) => a.length === 0,
        30_000,
      );

      // Again, and this time the agent is down while alice restores it.
      await deny();
      await until(
        `the second trigger\n${serve.tail()}`,
        () => of(hook, 'trigger').length,
        (n) => n === 2,
        60_000,
      );
      await until(
        'the second alert in Alertmanager',
        () => am.alerts().then(ours),
        (a) => a.length === 1,
        30_000,
      );
      expect(await serve.stop()).toBe(0);
      await restore();
      const before = hook.received.length;
      serve = startServe(configFile, {}, logFile);
      await until(
        `the resolution after the restart\n${serve.tail()}`,
        () => of(hook, 'resolve').length,
        (n) => n === 2,
        90_000,
      );
      await until(
        'the second alert gone from Alertmanager',
        () => am.alerts().then(ours),
        (a) => a.length === 0,
        30_000,
      );

      // Nothing delivered before the restart was sent again: after it, only the resolution came.
      expect(
        bodies(hook)
          .slice(before)
          .map((b) => b.kind),
      ).toEqual(['resolve']);
      expect(bodies(hook).map((b) => b.kind)).toEqual(['trigger', 'resolve', 'trigger', 'resolve']);
      expect(new Set(bodies(hook).map((b) => b.id)).size).toBe(4);
      const [, , second, resolved] = bodies(hook);
      expect(resolved!.alert).toMatchObject({
        id: second!.alert.id,
        state: 'resolved',
        resolvedAt: expect.any(String),
      });

      // The API shows the two episodes as recently resolved, with their deliveries.
      const res = await request(`${await serve.url}/api/v1/alerts`);
      const api = (await res.body.json()) as {
        firing: unknown[];
        recent: { code: string; deliveries: { sink: string; kind: string; status: string }[] }[];
      };
      expect(api.firing).toEqual([]);
      expect(api.recent.filter((a) => a.code === CODE)).toHaveLength(2);
      expect(api.recent[0]!.deliveries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ sink: 'oncall-hook', kind: 'trigger', status: 'delivered' }),
          expect.objectContaining({ sink: 'oncall-hook', kind: 'resolve', status: 'delivered' }),
          expect.objectContaining({ sink: 'am', kind: 'resolve', status: 'delivered' }),
        ]),
      );
      expect(JSON.stringify(api)).not.toContain(hook.url);
    },
  );
});
