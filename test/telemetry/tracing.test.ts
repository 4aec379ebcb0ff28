// Traces, end to end: `irsa-sentinel check` runs one cycle against the lab with only the standard OTEL_* variables set,
// and a small OTLP/HTTP JSON receiver (there is no Collector package here) gets a trace per probe run: a span
// `probe <name>` with its cluster, probe, status and finding codes, children for the HTTP fetches, the AWS SDK calls and
// the cluster-API calls, its trace id stored with the result, and no token, key or session token anywhere. A collector
// that is down never breaks the run.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/core/model.ts';
import { agentConfigYaml } from '../../src/lab-adapter.ts';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab } from '../helpers/lab.ts';

const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

let lab: Lab;
let receiver: Server;
let endpoint: string;
const bodies: string[] = [];
let configFile: string;

beforeAll(async () => {
  lab = await startTestLab({
    fleet: {
      clusters: [{ name: 'traced' }, { name: 'broken', faults: [{ fault: 'bucket-policy-deny-non-vpce' }] }],
      keyPool: 1,
    },
  });
  configFile = join(mkdtempSync(join(tmpdir(), 'irsa-otel-')), 'config.yaml');
  writeFileSync(configFile, agentConfigYaml(lab.info(), lab.kubeconfigFile));
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((r) => receiver?.close(r));
  await lab?.close();
});

function check(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'check', '--config', configFile, '--json'], {
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const spansOf = (body: string): OtlpSpan[] =>
  (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) =>
    r.scopeSpans.flatMap((s) => s.spans),
  );
const url = (s: OtlpSpan): string => {
  const v = attr(s, 'url.full');
  return typeof v === 'string' ? v : '';
};
const attr = (s: OtlpSpan, key: string): unknown => {
  const v = s.attributes?.find((a) => a.key === key)?.value;
  return v && (v.stringValue ?? v.intValue ?? v.boolValue ?? v.arrayValue);
};

describe('OpenTelemetry traces of a check run', () => {
  let spans: OtlpSpan[] = [];
  let results: ProbeResult[] = [];

  beforeAll(async () => {
    const run = await check({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'irsa-sentinel-test' });
    expect(run.code, run.stderr).toBe(1); // the broken cluster fails
    results = (JSON.parse(run.stdout) as { results: ProbeResult[] }).results;
    spans = bodies.flatMap(spansOf);
  }, 120_000);

  it('has one span `probe <name>` per run, with cluster, probe, status, finding codes and test.* attributes', () => {
    const probeSpans = spans.filter((s) => s.name.startsWith('probe '));
    expect(probeSpans.map((s) => `${String(attr(s, 'cluster'))} ${s.name}`).sort()).toEqual(
      results.map((r) => `${r.cluster} probe ${r.probe}`).sort(),
    );
    const bucket = probeSpans.find((s) => attr(s, 'cluster') === 'broken' && s.name === 'probe bucket')!;
    expect(attr(bucket, 'status')).toBe('fail');
    expect(JSON.stringify(attr(bucket, 'findings'))).toContain('BUCKET_ANONYMOUS_READ_DENIED');
    expect(attr(bucket, 'test.case.result.status')).toBe('fail');
    expect(attr(bucket, 'user_agent.synthetic.type')).toBe('test');
  });

  it('stores each result with the trace id of its span', () => {
    for (const r of results) {
      const span = spans.find((s) => s.name === `probe ${r.probe}` && attr(s, 'cluster') === r.cluster);
      expect(r.traceId, `${r.cluster} ${r.probe}`).toMatch(/^[0-9a-f]{32}$/);
      expect(span?.traceId).toBe(r.traceId);
    }
  });

  it('nests the HTTP fetches, the AWS SDK calls and the cluster-API calls under their probe span', () => {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const probeOf = (s: OtlpSpan): OtlpSpan | undefined => {
      let at: OtlpSpan | undefined = s;
      while (at && !at.name.startsWith('probe ')) at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined;
      return at;
    };
    const fetches = spans.filter((s) => /openid-configuration/.test(url(s)));
    expect(fetches.length).toBeGreaterThan(0);
    expect(fetches.map((s) => probeOf(s)?.name)).toContain('probe issuer');

    const aws = spans.find((s) => attr(s, 'rpc.method') === 'GetBucketPolicy');
    expect(aws, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect({
      system: attr(aws!, 'rpc.system'),
      service: attr(aws!, 'rpc.service'),
      region: attr(aws!, 'cloud.region'),
    }).toEqual({ system: 'aws-api', service: 'S3', region: 'us-east-1' });
    // aws.request.id: the semantic conventions' current name (formerly aws.request_id).
    expect(attr(aws!, 'aws.request.id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(probeOf(aws!)?.name).toBe('probe bucket');

    const kube = spans.filter((s) => /\/_clusters\//.test(url(s)));
    expect(kube.length).toBeGreaterThan(0);
    expect(new Set(kube.map((s) => probeOf(s)?.name))).toEqual(new Set(['probe jwks', 'probe roles']));
  });

  it('exports no token, secret key or session token', () => {
    const all = bodies.join('\n');
    const info = lab.info();
    for (const u of info.users) expect(all).not.toContain(u.secretAccessKey);
    for (const c of info.clusters) expect(all).not.toContain(c.kubeToken);
    expect(all).not.toContain(lab.controlToken);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./); // a JWT (service-account token)
    expect(all).not.toMatch(/SessionToken|X-Amz-Security-Token=/i);
  });
});

describe('a collector that is down', () => {
  it('never breaks the run: same exit and results, finished within a bound', { timeout: 90_000 }, async () => {
    const t0 = Date.now();
    const run = await check({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TIMEOUT: '1000' });
    expect(run.code, run.stderr).toBe(1);
    expect((JSON.parse(run.stdout) as { results: unknown[] }).results.length).toBeGreaterThanOrEqual(10);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});
