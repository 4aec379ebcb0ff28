// Acceptance: real kubectl 1.32 (STACK 8), given only the lab's kubeconfig, reads a cluster's ccoctl secret and
// mints service-account tokens through the cluster's kube API.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterJwks } from '../../src/lab/clusters.ts';
import type { Lab } from '../../src/lab/index.ts';
import type { LabCluster } from '../../src/lab/state.ts';
import { startTestLab } from '../helpers/lab.ts';

const KUBECTL = '/usr/bin/kubectl';
const CLUSTER = 'kctl';

const run = promisify(execFile);

describe('real kubectl against a lab cluster', () => {
  let lab: Lab;
  let cluster: LabCluster;
  let dir: string;

  beforeAll(async () => {
    // Fail loudly rather than skip: CI (.ci/run) installs Debian's kubectl.
    if (!existsSync(KUBECTL))
      throw new Error(
        `${KUBECTL} is missing: these interop tests need kubectl; CI installs it (apt-get install kubectl)`,
      );
    lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
    cluster = lab.state.clusters.get(CLUSTER)!;
    dir = mkdtempSync(join(tmpdir(), 'irsa-kubectl-'));
    writeFileSync(join(dir, 'kubeconfig'), lab.kubeconfig());
  });
  afterAll(async () => {
    await lab?.close();
  });

  /** kubectl with the lab's kubeconfig and a fresh discovery cache (the cache is keyed by host:port; STACK 8). */
  async function kubectl(args: string[], kubeconfig = join(dir, 'kubeconfig')) {
    const cacheDir = mkdtempSync(join(dir, 'cache-'));
    try {
      const { stdout, stderr } = await run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
        timeout: 30_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  /** `kubectl create token ingress-operator -n openshift-ingress-operator [flags]` */
  const createIngressToken = (...flags: string[]) =>
    kubectl(['create', 'token', 'ingress-operator', '-n', 'openshift-ingress-operator', ...flags]);

  it('get secret prints the ccoctl credentials ini, base64', async () => {
    const res = await kubectl([
      'get',
      'secret',
      'cloud-credentials',
      '-n',
      'openshift-ingress-operator',
      '-o',
      'jsonpath={.data.credentials}',
    ]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const ini = Buffer.from(res.stdout, 'base64').toString();
    expect(ini).toContain(
      `role_arn = arn:aws:iam::111122223333:role/${CLUSTER}-openshift-ingress-operator-cloud-credentials`,
    );
  });

  it('get secret reports a missing secret as the apiserver does', async () => {
    const res = await kubectl(['get', 'secret', 'nope', '-n', 'openshift-ingress-operator']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('Error from server (NotFound): secrets "nope" not found');
  });

  it('create token prints a JWT signed with the cluster key for the requested audience', async () => {
    const res = await createIngressToken('--audience', 'openshift');
    expect(res.code).toBe(0);
    const token = res.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    expect(decodeProtectedHeader(token).kid).toBe(cluster.signingKey.kid);
    const { payload } = await jwtVerify(token, createLocalJWKSet(await clusterJwks(cluster)), {
      issuer: cluster.issuer,
      audience: 'openshift',
    });
    expect(payload.sub).toBe('system:serviceaccount:openshift-ingress-operator:ingress-operator');
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
  });

  it('create token --duration 2h asks for 7200 seconds', async () => {
    const res = await createIngressToken('--duration', '2h');
    expect(res.code).toBe(0);
    const { payload } = await jwtVerify(res.stdout.trim(), createLocalJWKSet(await clusterJwks(cluster)));
    expect((payload.exp as number) - (payload.iat as number)).toBe(7200);
    expect(payload.aud).toEqual([cluster.issuer]);
  });

  it('create token --duration 1m fails with kube-apiserver’s validation message (docs/aws-facts.md 6)', async () => {
    const res = await createIngressToken('--duration', '1m');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
  });

  it('a wrong token is Unauthorized', async () => {
    const bad = join(dir, 'kubeconfig-bad');
    writeFileSync(bad, lab.kubeconfig().replace(cluster.kubeToken, 'lab-not-the-token'));
    const res = await kubectl(['get', 'secret', 'cloud-credentials', '-n', 'openshift-ingress-operator'], bad);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      'error: You must be logged in to the server (the server has asked for the client to provide credentials)',
    );
  });
});
