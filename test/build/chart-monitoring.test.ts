// The chart's monitoring files with the real tools: `promtool check rules` and `promtool test rules` on
// files/prometheus-rules.yaml (and a copy with the `for:` durations removed, which its tests must catch); every
// query of the rules and of files/grafana-dashboard.json parsed by promtool and using only the agent's metrics
// contract; `yamllint --strict` on the chart's plain YAML files.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CHART, runTool } from './chart-tools.ts';

/** The metrics the agent exports on /metrics (the contract the rules and the dashboard are built on). */
const CONTRACT = [
  'probe_success',
  'probe_duration_seconds',
  'probe_ssl_earliest_cert_expiry',
  'irsa_sentinel_probe_status',
  'irsa_sentinel_probe_last_run_timestamp_seconds',
  'irsa_sentinel_probe_stale',
  'irsa_sentinel_probe_results_total',
  'irsa_sentinel_findings',
  'irsa_sentinel_cluster_status',
  'irsa_sentinel_cluster_diagnosis_info',
  'irsa_sentinel_cloudtrail_assume_failures',
  'irsa_sentinel_alerts_firing',
  'irsa_sentinel_alert_deliveries_total',
  'irsa_sentinel_scheduler_lag_seconds',
  'irsa_sentinel_runs_in_flight',
];
/** Besides the contract: Prometheus's own `up`, and prom-client's default process_* and nodejs_* metrics. */
const isKnownMetric = (name: string) =>
  name === 'up' ||
  /^(process|nodejs)_\w+$/.test(name) ||
  CONTRACT.includes(name) ||
  CONTRACT.includes(name.replace(/_(bucket|sum|count)$/, ''));

const RULES = join(CHART, 'files/prometheus-rules.yaml');
const RULE_TESTS = join(CHART, 'tests/prometheus-rules.test.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'irsa-chart-monitoring-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(join(CHART, 'files/grafana-dashboard.json'), 'utf8')) as {
  uid: string;
  title: string;
  templating: { list: { name: string }[] };
  panels: Panel[];
};
/** Dashboard queries with Grafana's variables given values Prometheus accepts. */
const dashboardExprs = dashboard.panels
  .flatMap((p) => p.targets ?? [])
  .map((t) =>
    t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$cluster', '.*').replaceAll('$job', 'irsa-sentinel'),
  );

/** Metric names of a PromQL expression: identifiers not followed by `(`, outside label matchers and strings. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/"[^"]*"/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)]
    .map((m) => m[1]!)
    .filter((n) => !/^(and|or|unless|bool|offset)$/.test(n) && !/^\d/.test(n));
}

describe('files/prometheus-rules.yaml (promtool)', () => {
  it('passes promtool check rules: the five groups the agent needs', () => {
    const res = runTool('promtool', ['check', 'rules', RULES]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(groups.map((g) => g.name)).toEqual([
      'irsa-sentinel.agent',
      'irsa-sentinel.probes',
      'irsa-sentinel.clusters',
      'irsa-sentinel.alerts',
      'irsa-sentinel.cloudtrail',
    ]);
    for (const r of rules) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary && r.annotations.description, r.alert).toBeTruthy();
      expect(r.for, `${r.alert}: a for: duration`).toMatch(/^\d+m$/);
    }
  });

  it('passes its promtool unit tests, which make every alert fire and stay quiet', () => {
    const res = runTool('promtool', ['test', 'rules', RULE_TESTS]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('SUCCESS');
    const cases = (
      parse(readFileSync(RULE_TESTS, 'utf8')) as {
        tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of rules) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert} fires in a test`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert} stays quiet in a test`,
      ).toBe(true);
    }
  });

  it('fails those unit tests when the rules lose their for: durations (the tests can fail)', () => {
    const dir = join(tmp, 'mutant');
    cpSync(join(CHART, 'files'), join(dir, 'files'), { recursive: true });
    cpSync(join(CHART, 'tests'), join(dir, 'tests'), { recursive: true });
    const mutant = { groups: groups.map((g) => ({ ...g, rules: g.rules.map(({ for: _for, ...r }) => r) })) };
    writeFileSync(join(dir, 'files/prometheus-rules.yaml'), stringify(mutant));
    const res = runTool('promtool', ['test', 'rules', join(dir, 'tests/prometheus-rules.test.yaml')]);
    expect(res.code).not.toBe(0);
    expect(res.stdout + res.stderr).toContain('FAILED');
  });

  it('selects the agent by job="irsa-sentinel" (the chart swaps in its job name) and uses only known metrics', () => {
    expect(rules.filter((r) => r.expr.includes('up{')).map((r) => r.expr)).toEqual([
      'up{job="irsa-sentinel"} == 0',
      'absent(up{job="irsa-sentinel"})',
    ]);
    for (const r of rules) for (const m of metricNames(r.expr)) expect(isKnownMetric(m), `${r.alert}: ${m}`).toBe(true);
  });
});

describe('files/grafana-dashboard.json', () => {
  it('is a dashboard with a data source and a cluster variable', () => {
    expect(dashboard.uid).toBe('irsa-sentinel');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'cluster']);
    expect(dashboard.panels.filter((p) => p.type !== 'row').length).toBeGreaterThan(10);
  });

  it('has only queries that promtool parses, on known metrics, and shows every metric of the contract', () => {
    expect(dashboardExprs.length).toBeGreaterThan(10);
    // promtool has no expression checker of its own: each query becomes a recording rule that check rules parses.
    const file = join(tmp, 'dashboard-rules.yaml');
    const asRules = dashboardExprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: asRules }] }));
    const res = runTool('promtool', ['check', 'rules', file]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const used = new Set(dashboardExprs.flatMap(metricNames));
    for (const m of used) expect(isKnownMetric(m), m).toBe(true);
    const covered = new Set([...used, ...rules.flatMap((r) => metricNames(r.expr))]);
    const missing = CONTRACT.filter((m) => ![...covered].some((u) => u === m || u.startsWith(`${m}_`)));
    expect(missing, 'contract metrics neither on the dashboard nor in a rule').toEqual([]);
  });

  it('finds metric names as the tests read them (the reader itself)', () => {
    expect(metricNames('sum by (sink) (increase(x_total{outcome="failed"}[10m])) > 0')).toEqual(['x_total']);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket{job=~".+"}[5m])))')).toEqual(['a_bucket']);
    expect(metricNames('count(a{s="fail"} == 1) or vector(0)')).toEqual(['a']);
  });
});

describe('yamllint', () => {
  it("passes yamllint --strict on the chart's plain YAML files (not templates/, which are Go templates)", () => {
    const files = [
      'Chart.yaml',
      'values.yaml',
      '.yamllint.yaml',
      ...['files', 'ci', 'tests', 'examples'].flatMap((d) =>
        readdirSync(join(CHART, d))
          .filter((f) => /\.ya?ml$/.test(f))
          .map((f) => `${d}/${f}`),
      ),
    ];
    expect(files.length).toBeGreaterThanOrEqual(9);
    const config = join(CHART, '.yamllint.yaml');
    const res = runTool('yamllint', ['--strict', '-f', 'parsable', '-c', config, ...files.map((f) => join(CHART, f))]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    // The same config refuses what it should: a duplicated key and a line over 120 characters.
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, `a: 1\na: 2\nb: ${'x'.repeat(130)}\n`);
    const refused = runTool('yamllint', ['--strict', '-f', 'parsable', '-c', config, bad]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain('(key-duplicates)');
    expect(refused.stdout).toContain('(line-length)');
  });
});
