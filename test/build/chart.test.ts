// The Helm chart, checked without helm (no helm binary or Debian package here): Chart.yaml and values.yaml parse,
// the default config and the example fleet (merged over the defaults as Helm merges values) load with the agent's
// own loader, every .Values path and named template the templates use is defined, template blocks are balanced,
// and the chart agrees with the API routes and the Dockerfile (port, probe paths, user, config and data paths).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { execForm, readDockerfile } from './dockerfile.ts';

const ROOT = join(import.meta.dirname, '../..');
const CHART = join(ROOT, 'charts/irsa-sentinel');
const TEMPLATES = join(CHART, 'templates');
const read = (file: string) => readFileSync(file, 'utf8');
const templates = Object.fromEntries(readdirSync(TEMPLATES).map((f) => [f, read(join(TEMPLATES, f))]));

type Values = Record<string, unknown>;
const values = parse(read(join(CHART, 'values.yaml'))) as Values;
const runtime = readDockerfile(join(ROOT, 'Dockerfile')).at(-1)!;

const tmp = mkdtempSync(join(tmpdir(), 'irsa-chart-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's coalescing of a values file over the chart's defaults: maps merge, anything else replaces, null deletes. */
function helmMerge(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(out[k])) out[k] = helmMerge(out[k], v);
    else out[k] = v;
  }
  return out;
}

/** The config the chart's ConfigMap holds, loaded and validated as the agent loads it (no environment). */
function loadChartConfig(name: string, v: Values) {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, stringify(v.config));
  return loadConfig(file, {});
}

const get = (v: unknown, path: string[]): unknown => path.reduce<unknown>((o, k) => (isMap(o) ? o[k] : undefined), v);
const has = (v: unknown, path: string[]): boolean =>
  path.every((k, i) => {
    const parent = get(v, path.slice(0, i));
    return isMap(parent) && k in parent;
  });

describe('charts/irsa-sentinel', () => {
  it('Chart.yaml: apiVersion v2, name irsa-sentinel, appVersion the package version', () => {
    const chart = parse(read(join(CHART, 'Chart.yaml'))) as Record<string, unknown>;
    const pkg = JSON.parse(read(join(ROOT, 'package.json'))) as { version: string };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('irsa-sentinel');
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    expect(String(chart.appVersion)).toBe(pkg.version);
  });

  it('values.yaml: the default config is a valid irsa-sentinel config, in demo mode, listening on 0.0.0.0', () => {
    const config = loadChartConfig('default', values);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.lab, 'default: the embedded lab (demo mode)').toBeDefined();
    expect(config.storage.inMemory).toBe(false);
    // Every path the agent writes is on the data volume: the root filesystem is read-only.
    const mountPath = get(values, ['persistence', 'mountPath']) as string;
    for (const dir of [config.storage.dataDir, config.lab!.dataDir]) {
      expect(posix.isAbsolute(dir), dir).toBe(true);
      expect(`${posix.normalize(dir)}/`.startsWith(`${mountPath}/`), `${dir} not under ${mountPath}`).toBe(true);
    }
  });

  it('examples/fleet.yaml over the defaults: a valid config for a real fleet, without the lab', () => {
    const example = parse(read(join(CHART, 'examples/fleet.yaml'))) as Values;
    const merged = helmMerge(values, example);
    const config = loadChartConfig('fleet', merged);
    expect(config.lab).toBeUndefined();
    expect(config.clusters.map((c) => c.name)).toEqual(['eks-prod-west', 'ocp-prod-east']);
    expect(config.server.host).toBe('0.0.0.0');
    expect(get(merged, ['serviceAccount', 'annotations', 'eks.amazonaws.com/role-arn'])).toMatch(
      /^arn:aws:iam::\d{12}:role\//,
    );
    // Without `lab: null` Helm would keep the default lab next to the fleet.
    const { lab: _lab, ...withoutLab } = example.config as Values;
    expect(get(helmMerge(values, { ...example, config: withoutLab }), ['config', 'lab'])).toBeDefined();
  });

  it('templates use only .Values paths that values.yaml defines', () => {
    const used = new Set<string>();
    for (const text of Object.values(templates))
      for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_]\w*)+)/g)) used.add(m[1]!.slice(1));
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used].filter((p) => !has(values, p.split('.')));
    expect(missing, 'used in templates, not in values.yaml').toEqual([]);
  });

  it('templates include only named templates that _helpers.tpl defines, and their blocks are balanced', () => {
    const defined = new Set([...read(join(TEMPLATES, '_helpers.tpl')).matchAll(/define "([^"]+)"/g)].map((m) => m[1]));
    for (const [file, text] of Object.entries(templates)) {
      for (const m of text.matchAll(/(?:include|template) "([^"]+)"/g))
        expect(defined.has(m[1]), `${file}: ${m[1]} is not defined`).toBe(true);
      const actions = [...text.matchAll(/\{\{-?\s*(\/\*[\s\S]*?\*\/|[^}]*?)\s*-?\}\}/g)].map((m) => m[1]!);
      const opens = actions.filter((a) => /^(if|with|range|define|block)\b/.test(a)).length;
      const ends = actions.filter((a) => /^end\b/.test(a)).length;
      expect(ends, `${file}: {{ end }} for each if/with/range/define`).toBe(opens);
    }
  });

  it('renders the config from .Values.config into config.yaml, mounted where the container reads it', () => {
    expect(templates['configmap.yaml']).toMatch(
      /config\.yaml: \|\n\s+\{\{-? toYaml \.Values\.config \| nindent 4 \}\}/,
    );
    const sts = templates['statefulset.yaml']!;
    const args = JSON.parse(/^\s*args: (\[.*\])$/m.exec(sts)?.[1] ?? 'null') as string[] | null;
    // The same command as the image's CMD; the chart states it so it does not depend on the image's default.
    expect(args).toEqual(execForm(runtime, 'CMD'));
    const configFile = args![args!.indexOf('--config') + 1]!;
    expect(sts).toMatch(
      new RegExp(`- name: config\\n\\s+mountPath: ${posix.dirname(configFile)}\\n\\s+readOnly: true`),
    );
    expect(posix.basename(configFile)).toBe('config.yaml');
  });

  it('keeps the store on a volume claim at the image VOLUME, one per replica (StatefulSet)', () => {
    const sts = templates['statefulset.yaml']!;
    expect(sts).toMatch(/^kind: StatefulSet$/m);
    expect(sts).toMatch(/volumeClaimTemplates:\n\s+- metadata:\n\s+name: data\n/);
    expect(sts).toMatch(/- name: data\n\s+mountPath: \{\{ \.Values\.persistence\.mountPath \}\}/);
    const volume = /^VOLUME \[?"?([^"\]\s]+)/m.exec(read(join(ROOT, 'Dockerfile')))?.[1];
    expect(get(values, ['persistence', 'mountPath'])).toBe(volume);
    expect(get(values, ['persistence', 'size'])).toBe('1Gi');
    expect(get(values, ['persistence', 'enabled'])).toBe(true);
  });

  it('probes /healthz and /readyz, routes of the API, on the container port the config listens on', () => {
    const routes = readdirSync(join(ROOT, 'src/api/routes'))
      .map((f) => read(join(ROOT, 'src/api/routes', f)))
      .join('\n');
    for (const [probe, path] of [
      ['livenessProbe', '/healthz'],
      ['readinessProbe', '/readyz'],
    ] as const) {
      expect(get(values, [probe, 'httpGet', 'path'])).toBe(path);
      expect(get(values, [probe, 'httpGet', 'port'])).toBe('http');
      expect(routes, `route ${path} in src/api/routes`).toContain(`app.get('${path}'`);
    }
    const sts = templates['statefulset.yaml']!;
    expect(sts).toMatch(/- name: http\n\s+containerPort: \{\{ include "irsa-sentinel.port" \. \}\}/);
    expect(templates['_helpers.tpl']).toMatch(/\$server\.port \| default 8080/);
    const port = get(values, ['config', 'server', 'port']);
    expect(port).toBe(8080);
    expect(/^EXPOSE (\d+)$/m.exec(read(join(ROOT, 'Dockerfile')))?.[1]).toBe(String(port));
    expect(get(values, ['service', 'type'])).toBe('ClusterIP');
    expect(get(values, ['service', 'port'])).toBe(8080);
    expect(templates['service.yaml']).toMatch(/targetPort: http/);
  });

  it('runs as the image user, non-root, read-only root filesystem, no privilege escalation, no capabilities', () => {
    const uid = Number(/^(\d+)/.exec(runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args ?? '')?.[1]);
    for (const key of ['podSecurityContext', 'securityContext']) {
      expect(get(values, [key, 'runAsNonRoot']), key).toBe(true);
      expect(get(values, [key, 'runAsUser']), key).toBe(uid);
      expect(get(values, [key, 'seccompProfile', 'type']), key).toBe('RuntimeDefault');
    }
    expect(get(values, ['securityContext', 'readOnlyRootFilesystem'])).toBe(true);
    expect(get(values, ['securityContext', 'allowPrivilegeEscalation'])).toBe(false);
    expect(get(values, ['securityContext', 'capabilities', 'drop'])).toEqual(['ALL']);
    const sts = templates['statefulset.yaml']!;
    expect(sts).toMatch(/securityContext:\n\s+\{\{- toYaml \.Values\.podSecurityContext \| nindent 8 \}\}/);
    expect(sts).toMatch(/securityContext:\n\s+\{\{- toYaml \.Values\.securityContext \| nindent 12 \}\}/);
    expect(get(values, ['replicaCount'])).toBe(1);
  });
});
