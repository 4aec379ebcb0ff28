// The chart with every option on (ci/all-options-values.yaml), its examples and the agent's identity variants,
// rendered by the real helm: the objects each option adds, RBAC exactly as listed (names, verbs, nothing more),
// secrets referenced and never inlined, and configs that the agent's own `validate` accepts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { byKind, CHART, helm, one, render, renderedConfigFile, validate } from './chart-tools.ts';
import type { K8sObject } from './chart-tools.ts';
import { containerOf, envOf, expectRestricted, selects, spec } from './k8s.ts';
import type { PolicyRule, StatefulSetSpec } from './k8s.ts';

const ALL = 'ci/all-options-values.yaml';
const NS = 'irsa-sentinel';
const tmp = mkdtempSync(join(tmpdir(), 'irsa-chart-options-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface OptionValues {
  rbac: {
    tokenRequestServiceAccounts: string[];
    secrets: string[];
    listCredentialsRequests: boolean;
    jwks: boolean;
    nextSigningKey: boolean;
  };
  secretEnv: Record<string, { secretName: string; key: string; optional?: boolean }>;
  envFromSecrets: string[];
  kubeconfigs: { secretName: string };
  awsIdentity: { roleArn: string };
}
const allValues = parse(readFileSync(join(CHART, ALL), 'utf8')) as OptionValues;
const objects = render({ values: [ALL], namespace: NS });
const sts = one(objects, 'StatefulSet');
const fullname = sts.metadata.name;
const pod = spec<StatefulSetSpec>(sts).template.spec;
const env = envOf(sts);
const ENV = { IRSA_SENTINEL_EXTERNAL_ID: 'external-id-from-secret' };

/** Every RBAC rule rendered, as `namespace|rule` (cluster-scoped: `*|rule`), sorted; and the bindings checked. */
function rbacRules(objs: K8sObject[]): string[] {
  const rules: string[] = [];
  for (const role of [...byKind(objs, 'Role'), ...byKind(objs, 'ClusterRole')]) {
    const scope = role.kind === 'Role' ? role.metadata.namespace! : '*';
    for (const r of role.rules as PolicyRule[]) {
      const what = r.nonResourceURLs
        ? `url:${r.nonResourceURLs.join(',')}`
        : `${(r.apiGroups ?? []).join(',')}/${(r.resources ?? []).join(',')}`;
      rules.push(`${scope}|${what}|${r.verbs.join(',')}|${(r.resourceNames ?? []).slice().sort().join(',')}`);
    }
    const bindingKind = role.kind === 'Role' ? 'RoleBinding' : 'ClusterRoleBinding';
    const binding = byKind(objs, bindingKind).find(
      (b) => b.metadata.name === role.metadata.name && b.metadata.namespace === role.metadata.namespace,
    );
    expect(binding?.roleRef, `${bindingKind} for ${role.metadata.name}`).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: role.kind,
      name: role.metadata.name,
    });
    expect(binding?.subjects).toEqual([{ kind: 'ServiceAccount', name: fullname, namespace: NS }]);
  }
  expect(byKind(objs, 'RoleBinding').length + byKind(objs, 'ClusterRoleBinding').length).toBe(
    byKind(objs, 'Role').length + byKind(objs, 'ClusterRole').length,
  );
  return rules.sort();
}

/** What the in-cluster clusters of a rendered config need from the API (from the agent's own loaded config). */
function inClusterNeeds(file: string) {
  const config = loadConfig(file, ENV);
  const local = config.clusters.filter((c) => c.kube?.context === 'inClusterContext' && !c.kube.kubeconfig);
  return {
    tokens: local.flatMap((c) => [
      ...c.roles.list.filter((r) => r.tokenFile === undefined).map((r) => r.serviceAccount),
      ...[c.signingKeys.fromTokenOf, c.signingKeys.verifyServiceAccount].filter((s) => s !== undefined),
    ]),
    jwks: local.some((c) => c.signingKeys.fromCluster),
    nextKey: local.some((c) => c.flavor === 'openshift' && c.signingKeys.nextKey),
    credentialsRequests: local.some((c) => c.roles.fromCluster),
  };
}

describe('charts/irsa-sentinel with every option (ci/all-options-values.yaml)', () => {
  it('renders every optional object, and no Secret', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of [
      'ServiceAccount',
      'ConfigMap',
      'Service',
      'StatefulSet',
      'PodDisruptionBudget',
      'NetworkPolicy',
      'Ingress',
      'Route',
      'ServiceMonitor',
      'PrometheusRule',
      'Role',
      'RoleBinding',
      'ClusterRole',
      'ClusterRoleBinding',
    ])
      expect(kinds.has(kind), kind).toBe(true);
    expect(kinds.has('Secret'), 'the chart never renders a Secret').toBe(false);
    expectRestricted(sts, 'all options');
  });

  it("renders a config that validate accepts with the secret's variable set, and refuses without it", () => {
    const file = renderedConfigFile(objects, join(tmp, 'all-options.yaml'));
    expect(readFileSync(file, 'utf8')).toContain('externalId: ${IRSA_SENTINEL_EXTERNAL_ID}');
    const ok = validate(file, tmp, ENV);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok: .*2 cluster\(s\), 1 account\(s\)/);
    const missing = validate(file, tmp);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('environment variable IRSA_SENTINEL_EXTERNAL_ID is not set');
  });

  it('grants exactly TokenRequest and secret reads by name per namespace, /openid/v1/jwks and CredentialsRequests', () => {
    const { rbac } = allValues;
    const perNamespace = new Map<string, { sas: string[]; secrets: string[] }>();
    const entry = (ns: string) => perNamespace.get(ns) ?? perNamespace.set(ns, { sas: [], secrets: [] }).get(ns)!;
    for (const ref of rbac.tokenRequestServiceAccounts) entry(ref.split('/')[0]!).sas.push(ref.split('/')[1]!);
    const secrets = [...rbac.secrets, 'openshift-kube-apiserver-operator/next-bound-service-account-signing-key'];
    for (const ref of secrets) entry(ref.split('/')[0]!).secrets.push(ref.split('/')[1]!);
    const expected = [...perNamespace].flatMap(([ns, { sas, secrets: names }]) => [
      ...(sas.length ? [`${ns}|/serviceaccounts/token|create|${sas.sort().join(',')}`] : []),
      ...(names.length ? [`${ns}|/secrets|get|${names.sort().join(',')}`] : []),
    ]);
    expected.push('*|url:/openid/v1/jwks|get|', '*|cloudcredential.openshift.io/credentialsrequests|list|');
    expect(rbacRules(objects)).toEqual(expected.sort());
    const clusterRole = one(objects, 'ClusterRole');
    expect(clusterRole.metadata.name, 'cluster-scoped names carry the namespace').toBe(`${NS}-${fullname}`);
  });

  it("grants what the config's in-cluster cluster needs (a consistency check of the values file)", () => {
    const needs = inClusterNeeds(renderedConfigFile(objects, join(tmp, 'needs.yaml')));
    const { rbac } = allValues;
    for (const sa of needs.tokens) expect(rbac.tokenRequestServiceAccounts, sa).toContain(sa);
    expect(needs).toMatchObject({ jwks: rbac.jwks, nextKey: rbac.nextSigningKey });
    expect(needs.credentialsRequests).toBe(rbac.listCredentialsRequests);
  });

  it('takes secrets from Secret references only: env secretKeyRef, envFrom, the kubeconfigs volume', () => {
    for (const [name, ref] of Object.entries(allValues.secretEnv)) {
      const v = env.find((e) => e.name === name);
      expect(v?.value, `${name} must not be inlined`).toBeUndefined();
      expect(v?.valueFrom?.secretKeyRef, name).toEqual({
        name: ref.secretName,
        key: ref.key,
        ...(ref.optional === undefined ? {} : { optional: ref.optional }),
      });
    }
    expect(containerOf(sts).envFrom).toEqual(allValues.envFromSecrets.map((name) => ({ secretRef: { name } })));
    // Plain values only for what is not secret.
    expect(env.filter((e) => e.value !== undefined).map((e) => e.name)).toEqual([
      'AWS_ROLE_ARN',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'OTEL_SERVICE_NAME',
    ]);
    const volume = pod.volumes.find((v) => v.secret?.secretName === allValues.kubeconfigs.secretName);
    const mount = containerOf(sts).volumeMounts.find((m) => m.name === volume?.name);
    expect(mount?.readOnly).toBe(true);
    const config = loadConfig(renderedConfigFile(objects, join(tmp, 'kube.yaml')), ENV);
    const remote = config.clusters.filter((c) => c.kube?.kubeconfig).map((c) => c.kube!.kubeconfig!);
    expect(remote.length).toBeGreaterThan(0);
    for (const path of remote) expect(path.startsWith(`${mount!.mountPath}/`), path).toBe(true);
  });

  it('runs as its OpenShift STS identity: a projected token for audience openshift and the web-identity env', () => {
    const volume = pod.volumes.find((v) => v.projected);
    expect(volume?.projected?.sources).toEqual([
      { serviceAccountToken: { audience: 'openshift', expirationSeconds: 3600, path: 'token' } },
    ]);
    const mount = containerOf(sts).volumeMounts.find((m) => m.name === volume?.name);
    expect(mount?.readOnly).toBe(true);
    expect(env.find((e) => e.name === 'AWS_ROLE_ARN')?.value).toBe(allValues.awsIdentity.roleArn);
    expect(env.find((e) => e.name === 'AWS_WEB_IDENTITY_TOKEN_FILE')?.value).toBe(`${mount?.mountPath}/token`);
  });

  it('limits traffic: egress DNS, 443, 6443 and the extra rules; ingress to the API port from the peers', () => {
    const np = spec<{
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress: { ports: unknown[]; from?: unknown[] }[];
      egress: { ports: { port: number; protocol: string }[]; to?: unknown[] }[];
    }>(one(objects, 'NetworkPolicy'));
    expect(np.podSelector.matchLabels).toEqual(spec<StatefulSetSpec>(sts).selector.matchLabels);
    expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }], from: expect.any(Array) }]);
    expect(np.ingress[0]!.from).toHaveLength(2);
    const ports = np.egress.filter((r) => !r.to).flatMap((r) => r.ports.map((p) => `${p.port}/${p.protocol}`));
    expect(ports.sort()).toEqual(['443/TCP', '53/TCP', '53/UDP', '5353/TCP', '5353/UDP', '6443/TCP']);
    expect(np.egress.filter((r) => r.to)).toHaveLength(1);
  });

  it('exposes the API through the Ingress, the Route and the ServiceMonitor (the main Service only)', () => {
    const service = one(objects, 'Service', fullname);
    const ingress = spec<{
      rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[];
    }>(one(objects, 'Ingress'));
    expect(ingress.rules[0]!.http.paths[0]!.backend.service).toEqual({ name: fullname, port: { name: 'http' } });
    expect(one(objects, 'Route').spec).toMatchObject({
      to: { kind: 'Service', name: fullname },
      port: { targetPort: 'http' },
      tls: { termination: 'edge' },
    });
    const sm = spec<{
      jobLabel: string;
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; path: string }[];
    }>(one(objects, 'ServiceMonitor'));
    const selected = byKind(objects, 'Service').filter((s) => selects(sm.selector.matchLabels, s.metadata.labels));
    expect(selected.map((s) => s.metadata.name)).toEqual([service.metadata.name]);
    expect(sm.endpoints).toMatchObject([{ port: 'http', path: '/metrics' }]);
    expect(service.metadata.labels?.[sm.jobLabel], 'the job name the rules select').toBe('irsa-sentinel');
    expect(one(objects, 'ServiceMonitor').metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it("includes files/prometheus-rules.yaml as the PrometheusRule's spec, with the job of the ServiceMonitor", () => {
    const file = readFileSync(join(CHART, 'files/prometheus-rules.yaml'), 'utf8');
    expect(one(objects, 'PrometheusRule').spec).toEqual(parse(file));
    const renamed = one(render({ set: ['prometheusRule.enabled=true', 'nameOverride=sentinel'] }), 'PrometheusRule');
    expect(renamed.spec).toEqual(parse(file.replaceAll('job="irsa-sentinel"', 'job="sentinel"')));
  });

  it('ships files/grafana-dashboard.json in a ConfigMap labelled grafana_dashboard "1"', () => {
    const cm = byKind(objects, 'ConfigMap').find((c) => c.metadata.labels?.grafana_dashboard === '1');
    expect(cm?.metadata.namespace).toBe('monitoring');
    expect(cm?.metadata.annotations).toEqual({ grafana_folder: 'Identity' });
    const data = cm?.data as Record<string, string>;
    expect(JSON.parse(data['irsa-sentinel.json']!)).toEqual(
      JSON.parse(readFileSync(join(CHART, 'files/grafana-dashboard.json'), 'utf8')),
    );
  });

  it('keeps a 1-replica StatefulSet drainable: PodDisruptionBudget maxUnavailable 1 on its pods', () => {
    const pdb = spec<{ maxUnavailable?: number; minAvailable?: number; selector: unknown }>(
      one(objects, 'PodDisruptionBudget'),
    );
    expect(pdb).toEqual({ maxUnavailable: 1, selector: spec<StatefulSetSpec>(sts).selector });
  });

  it('tells how to reach the status page, the API and the metrics (NOTES.txt)', () => {
    const res = helm(['install', 'sentinel', CHART, '--dry-run=client', '--namespace', NS]);
    expect(res.code, res.stderr).toBe(0);
    const notes = res.stdout.slice(res.stdout.indexOf('NOTES:'));
    expect(notes).toContain(`kubectl -n ${NS} port-forward svc/sentinel-irsa-sentinel 8080:8080`);
    for (const path of ['/ ', '/api/v1/status ', '/metrics '])
      expect(notes, path).toContain(`http://127.0.0.1:8080${path}`);
    // The detailed routes need a token by default: the notes say how to pass one, unless they are made public.
    expect(notes).toContain('curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/status');
    const open = helm([
      'install',
      'sentinel',
      CHART,
      '--dry-run=client',
      '--namespace',
      NS,
      '--set',
      'config.server.access.details=public',
    ]);
    expect(open.code, open.stderr).toBe(0);
    expect(open.stdout.slice(open.stdout.indexOf('NOTES:'))).not.toContain('Authorization: Bearer');
  });
});

describe('charts/irsa-sentinel: the examples and the identity variants', () => {
  it.each(['examples/eks-irsa.yaml', 'examples/openshift-sts.yaml', 'examples/in-cluster.yaml'])(
    '%s: a valid config for a real fleet, without the lab, restricted, with RBAC for its in-cluster needs only',
    (example) => {
      const objs = render({ values: [example], namespace: NS });
      expectRestricted(one(objs, 'StatefulSet'), example);
      const file = renderedConfigFile(objs, join(tmp, 'example.yaml'));
      const res = validate(file, tmp, ENV);
      expect(res.code, res.stderr).toBe(0);
      const config = loadConfig(file, ENV);
      expect(config.lab).toBeUndefined();
      expect(config.server.host).toBe('0.0.0.0');
      const needs = inClusterNeeds(file);
      const rules = rbacRules(objs);
      for (const sa of needs.tokens) {
        const [ns, name] = sa.split('/');
        expect(
          rules.some((r) => r.startsWith(`${ns}|/serviceaccounts/token|create|`) && r.includes(name!)),
          sa,
        ).toBe(true);
      }
      expect(rules.includes('*|url:/openid/v1/jwks|get|')).toBe(needs.jwks);
      if (needs.tokens.length === 0 && !needs.jwks) expect(rules).toEqual([]);
    },
  );

  const ROLE = 'arn:aws:iam::123456789012:role/irsa-sentinel';

  it('irsa: the ServiceAccount carries eks.amazonaws.com/role-arn, and the pod nothing of its own', () => {
    const objs = render({ set: ['awsIdentity.type=irsa', `awsIdentity.roleArn=${ROLE}`] });
    expect(one(objs, 'ServiceAccount').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE });
    const s = one(objs, 'StatefulSet');
    expect(envOf(s)).toEqual([]);
    expect(spec<StatefulSetSpec>(s).template.spec.volumes.some((v) => v.projected)).toBe(false);
  });

  it('staticKeys: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the Secret, never as values', () => {
    const objs = render({ set: ['awsIdentity.type=staticKeys', 'awsIdentity.staticKeys.secretName=aws-keys'] });
    expect(envOf(one(objs, 'StatefulSet'))).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'aws-keys', key: 'aws_access_key_id' } } },
      {
        name: 'AWS_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: 'aws-keys', key: 'aws_secret_access_key' } },
      },
    ]);
    expect(one(objs, 'ServiceAccount').metadata.annotations).toBeUndefined();
  });
});
