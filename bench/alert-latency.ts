// npm run bench:alert-latency — from alice's `aws s3api put-bucket-policy` (AWS's documented VPC-endpoint Deny on the
// demo's healthy cluster) to the trigger's arrival at the demo's webhook receiver, over BENCH_RUNS runs (default 5),
// with `serve --config config/demo.yaml` exactly as `npm start` runs it (fresh data dirs, a free port). After each
// run the account's root user puts the public-read policy back (alice is locked out by that Deny, as on AWS), the
// resolution is awaited, and the cluster left to settle. Prints each run and min / median / max.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { WebhookBodyV1 } from '../src/alerts/sinks/webhook/body.ts';
import type { LabInfo } from '../src/lab/control.ts';
import type { ReceivedNotification } from '../src/lab/receiver.ts';
import { awsCli, requireAwsCli } from '../test/helpers/awscli.ts';
import { awsDocumentedVpceStatement, ccoctlReadStatement, policyOf } from '../test/helpers/policies.ts';
import { startServe, until } from '../test/helpers/serve.ts';

const ROOT = join(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CLUSTER = 'healthy';
const BUCKET = `${CLUSTER}-oidc`;
const CODE = 'BUCKET_POLICY_DENIES_STS';
/** After a resolution: longer than the demo's rerunCooldownSeconds (20), so each run starts from a settled cluster. */
const SETTLE_MS = 25_000;
/** Plus a random wait up to the longest demo period, so alice's call lands anywhere in the probes' schedules. */
const SPREAD_MS = 30_000;

requireAwsCli();
const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-alerts-'));
const labDir = join(dir, 'lab');
// serve's log lines go to BENCH_LOG when set (to see where the time goes).
const serve = startServe(
  join(ROOT, 'config/demo.yaml'),
  { IRSA_SENTINEL_PORT: '0', IRSA_SENTINEL_DATA_DIR: join(dir, 'data'), IRSA_SENTINEL_LAB_DIR: labDir },
  process.env.BENCH_LOG,
);

try {
  const url = await serve.url;
  const endpoint = String(serve.lines.find((l) => l.msg?.startsWith('lab started at'))?.endpoint);
  const token = readFileSync(join(labDir, 'control-token'), 'utf8').trim();
  const tls = new Agent({ connect: { ca: readFileSync(join(labDir, 'ca.pem'), 'utf8') } });
  const control = async <T>(path: string): Promise<T> => {
    const res = await request(`${endpoint}/_lab/v1/${path}`, {
      dispatcher: tls,
      headers: { authorization: `Bearer ${token}` },
    });
    return (await res.body.json()) as T;
  };
  const info = await control<LabInfo>('info');
  const keys = (name: string) => {
    const u = info.users.find((x) => x.name === name)!;
    return { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey };
  };
  const target = { endpoint, caFile: join(labDir, 'ca.pem') };
  const put = async (user: string, policy: unknown): Promise<void> => {
    const res = await awsCli(
      target,
      ['s3api', 'put-bucket-policy', '--bucket', BUCKET, '--policy', JSON.stringify(policy)],
      keys(user),
    );
    if (res.code !== 0) throw new Error(`aws as ${user} exited ${res.code}: ${res.stderr}`);
  };
  const received = async (kind: string) =>
    (await control<{ received: ReceivedNotification[] }>('receiver')).received.filter((r) => {
      const b = r.body as WebhookBodyV1;
      return b.kind === kind && b.alert?.cluster === CLUSTER && b.alert.code === CODE;
    });
  const diagnosis = async () => {
    const res = await request(`${url}/api/v1/status`);
    const body = (await res.body.json()) as {
      clusters: { name: string; diagnosis: { code: string }; probes: object }[];
    };
    return body.clusters.find((c) => c.name === CLUSTER);
  };

  await until(
    'the healthy cluster checked by every probe',
    diagnosis,
    (c) => c?.diagnosis.code === 'HEALTHY' && Object.keys(c.probes).length === 5,
    120_000,
    500,
  );
  await new Promise((r) => setTimeout(r, SETTLE_MS + Math.random() * SPREAD_MS));

  const latencies: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const before = (await received('trigger')).length;
    const t0 = Date.now();
    await put(
      'alice',
      policyOf(ccoctlReadStatement(BUCKET), awsDocumentedVpceStatement(BUCKET, 'vpce-0a1b2c3d4e5f60718')),
    );
    const triggers = await until(
      `run ${run}: the trigger at the receiver\n${serve.tail()}`,
      () => received('trigger'),
      (l) => l.length > before,
      120_000,
      200,
    );
    const ms = Date.parse(triggers[before]!.receivedAt) - t0;
    latencies.push(ms);
    const summary = (triggers[before]!.body as WebhookBodyV1).alert.summary;
    console.log(`run ${run}: ${(ms / 1000).toFixed(1)} s  ${summary.slice(0, 110)}…`);
    const resolved = (await received('resolve')).length;
    await put('root', policyOf(ccoctlReadStatement(BUCKET)));
    await until(
      `run ${run}: the resolution\n${serve.tail()}`,
      () => received('resolve'),
      (l) => l.length > resolved,
      180_000,
      500,
    );
    await until(`run ${run}: healthy again`, diagnosis, (c) => c?.diagnosis.code === 'HEALTHY', 120_000, 500);
    if (run < RUNS) await new Promise((r) => setTimeout(r, SETTLE_MS + Math.random() * SPREAD_MS));
  }

  const sorted = [...latencies].sort((a, b) => a - b);
  const median =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `alert latency over ${RUNS} runs (demo schedules): min ${s(sorted[0]!)}, median ${s(median)}, max ${s(sorted.at(-1)!)}`,
  );
  await tls.close();
} finally {
  await serve.stop();
}
