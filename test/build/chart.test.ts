// The Helm chart with the real helm (scripts/helm.ts): `helm lint` with the default values, ci/all-options-values.yaml
// and the examples, and a deliberately bad values file that values.schema.json must refuse; the default rendering
// (demo mode) parsed and checked against the Dockerfile and the API (command, config path, data volume, port,
// probes, user, security context); the rendered config validated by the agent's own `irsa-sentinel validate`.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { byKind, CHART, helm, one, render, renderedConfigFile, renderError, ROOT, validate } from './chart-tools.ts';
import type { K8sObject } from './chart-tools.ts';
import { execForm, readDockerfile } from './dockerfile.ts';
import { containerOf, expectRestricted, spec } from './k8s.ts';
import type { StatefulSetSpec } from './k8s.ts';

const read = (file: string) => readFileSync(file, 'utf8');
const runtime = readDockerfile(join(ROOT, 'Dockerfile')).at(-1)!;
const values = parse(read(join(CHART, 'values.yaml'))) as Record<string, unknown>;
const EXAMPLES = readdirSync(join(CHART, 'examples')).map((f) => `examples/${f}`);

const tmp = mkdtempSync(join(tmpdir(), 'irsa-chart-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('charts/irsa-sentinel: Chart.yaml and helm lint', () => {
  it('Chart.yaml: apiVersion v2, name irsa-sentinel, appVersion the package version', () => {
    const chart = parse(read(join(CHART, 'Chart.yaml'))) as Record<string, unknown>;
    const pkg = JSON.parse(read(join(ROOT, 'package.json'))) as { version: string };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('irsa-sentinel');
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    expect(String(chart.appVersion)).toBe(pkg.version);
  });

  it.each([[], ['ci/all-options-values.yaml'], ...EXAMPLES.map((e) => [e])])(
    'helm lint --strict passes with values %s',
    (...files: string[]) => {
      const res = helm(['lint', '--strict', CHART, ...files.flatMap((f) => ['--values', join(CHART, f)])]);
      expect(res.code, res.stdout + res.stderr).toBe(0);
      expect(res.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    },
  );

  it('helm lint fails on tests/bad-values.yaml and names every mistake in it', () => {
    const res = helm(['lint', CHART, '--values', join(CHART, 'tests/bad-values.yaml')]);
    expect(res.code).not.toBe(0);
    const out = res.stdout + res.stderr;
    expect(out).toContain("values don't meet the specifications of the schema");
    for (const mistake of [
      "at '/replicaCount': got string, want integer",
      "at '/awsIdentity/type': value must be one of 'none', 'irsa', 'openshiftSts', 'staticKeys'",
      "'external-dns' does not match pattern",
      "at '/networkPolicy/kubeApiPorts/0': got string, want integer",
      "'slack-url' does not match pattern",
      "additional properties 'serviceMonitr' not allowed",
    ])
      expect(out, mistake).toContain(mistake);
  });

  it.each([
    [['awsIdentity.type=irsa'], "at '/awsIdentity/roleArn': '' does not match pattern"],
    [['awsIdentity.type=openshiftSts', 'awsIdentity.roleArn=irsa-sentinel'], "'irsa-sentinel' does not match pattern"],
    [['awsIdentity.type=staticKeys'], "at '/awsIdentity/staticKeys/secretName'"],
    [['secretEnv.TOKEN.secretName=api'], "missing property 'key'"],
    [
      ['awsIdentity.type=irsa', 'awsIdentity.roleArn=arn:aws:iam::123456789012:role/x', 'serviceAccount.create=false'],
      'awsIdentity.type irsa annotates the chart',
    ],
  ])('refuses %j', (set, message) => {
    expect(renderError({ set })).toContain(message);
  });
});

describe('charts/irsa-sentinel: the default values (demo mode)', () => {
  const objects = render();
  const sts = one(objects, 'StatefulSet');
  const container = containerOf(sts);
  const stsSpec = spec<StatefulSetSpec>(sts);

  it('renders a StatefulSet, its ConfigMap, two Services and a ServiceAccount, nothing optional', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Service',
      'Service',
      'ServiceAccount',
      'StatefulSet',
    ]);
    expect(stsSpec.replicas).toBe(1);
    expect(stsSpec.serviceName).toBe(`${sts.metadata.name}-headless`);
    expect(one(objects, 'Service', stsSpec.serviceName).spec).toMatchObject({ clusterIP: 'None' });
  });

  it("renders a config that the agent's validate accepts: demo mode, 0.0.0.0, data under the volume", () => {
    const file = renderedConfigFile(objects, join(tmp, 'default.yaml'));
    const res = validate(file, tmp);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^ok: /);
    const config = loadConfig(file, {});
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.lab, 'default: the embedded lab (demo mode)').toBeDefined();
    expect(config.storage.inMemory).toBe(false);
    const mountPath = container.volumeMounts.find((m) => m.name === 'data')!.mountPath;
    for (const dir of [config.storage.dataDir, config.lab!.dataDir]) {
      expect(posix.isAbsolute(dir), dir).toBe(true);
      expect(`${posix.normalize(dir)}/`.startsWith(`${mountPath}/`), `${dir} not under ${mountPath}`).toBe(true);
    }
  });

  it("runs the image's CMD with the ConfigMap mounted where --config points", () => {
    expect(container.args).toEqual(execForm(runtime, 'CMD'));
    const configFile = container.args[container.args.indexOf('--config') + 1]!;
    const mount = container.volumeMounts.find((m) => m.mountPath === posix.dirname(configFile));
    expect(mount?.readOnly).toBe(true);
    const volume = stsSpec.template.spec.volumes.find((v) => v.name === mount?.name);
    expect(volume?.configMap?.name).toBe(one(objects, 'ConfigMap').metadata.name);
    expect(Object.keys(one(objects, 'ConfigMap').data as object)).toEqual([posix.basename(configFile)]);
  });

  it('keeps the lab when a values file leaves it out, and drops it for lab: null (as the README says)', () => {
    const config = (o: K8sObject[]) =>
      parse((one(o, 'ConfigMap').data as Record<string, string>)['config.yaml']!) as Record<string, unknown>;
    expect(config(render({ set: ['config.log.level=debug'] }))).toHaveProperty('lab');
    expect(config(render({ set: ['config.lab=null'] }))).not.toHaveProperty('lab');
  });

  it('rolls the pod when the config changes (checksum/config)', () => {
    const checksum = (o: K8sObject[]) =>
      spec<StatefulSetSpec>(one(o, 'StatefulSet')).template.metadata.annotations['checksum/config'];
    expect(checksum(objects)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(render({ set: ['config.log.level=debug'] }))).not.toBe(checksum(objects));
  });

  it('keeps the store on a 1Gi volume claim at the image VOLUME, one per replica', () => {
    const volume = /^VOLUME \[?"?([^"\]\s]+)/m.exec(read(join(ROOT, 'Dockerfile')))?.[1];
    expect(container.volumeMounts.find((m) => m.name === 'data')?.mountPath).toBe(volume);
    expect(stsSpec.volumeClaimTemplates?.map((t) => t.metadata.name)).toEqual(['data']);
    expect(stsSpec.volumeClaimTemplates?.[0]?.spec.resources.requests.storage).toBe('1Gi');
    expect(stsSpec.template.spec.volumes.some((v) => v.name === 'data')).toBe(false);
    const tmpMount = container.volumeMounts.find((m) => m.mountPath === '/tmp');
    expect(stsSpec.template.spec.volumes.find((v) => v.name === tmpMount?.name)?.emptyDir).toEqual({});
  });

  it('probes /healthz and /readyz, routes of the API, on the port the config and the image use', () => {
    const routes = readdirSync(join(ROOT, 'src/api/routes'))
      .map((f) => read(join(ROOT, 'src/api/routes', f)))
      .join('\n');
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    for (const path of ['/healthz', '/readyz']) expect(routes, path).toMatch(new RegExp(`app\\.get\\(\\s*'${path}'`));
    const port = container.ports.find((p) => p.name === 'http')?.containerPort;
    expect(port).toBe(8080);
    expect(/^EXPOSE (\d+)$/m.exec(read(join(ROOT, 'Dockerfile')))?.[1]).toBe(String(port));
    for (const svc of byKind(objects, 'Service'))
      expect((svc.spec as { ports: unknown[] }).ports, svc.metadata.name).toEqual([
        { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' },
      ]);
  });

  it('runs as the image user, non-root, read-only root filesystem, no privilege escalation, no capabilities', () => {
    expectRestricted(sts, 'default');
    const uid = Number(/^(\d+)/.exec(runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args ?? '')?.[1]);
    expect(stsSpec.template.spec.securityContext.runAsUser).toBe(uid);
    expect(container.securityContext.runAsUser).toBe(uid);
  });

  it('templates use only .Values paths that values.yaml defines', () => {
    const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
    const has = (path: string[]) =>
      path.reduce<unknown>((o, k) => (isMap(o) && k in o ? o[k] : undefined), values) !== undefined;
    const dir = join(CHART, 'templates');
    const used = new Set<string>();
    for (const f of readdirSync(dir))
      for (const m of read(join(dir, f)).matchAll(/\.Values((?:\.[A-Za-z_]\w*)+)/g)) used.add(m[1]!.slice(1));
    expect(used.size).toBeGreaterThan(20);
    expect(
      [...used].filter((p) => !has(p.split('.'))),
      'used in templates, not in values.yaml',
    ).toEqual([]);
  });
});
