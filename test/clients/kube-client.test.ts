// KubeAccess through @kubernetes/client-node against the lab's cluster APIs, loaded from the lab's kubeconfig file:
// the JWKS, TokenRequest, secrets, CredentialsRequests, and errors as KubeError with the HTTP status.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { bundledCredentialsRequests } from '../../src/ccoctl/credentials-requests.ts';
import { KubeError } from '../../src/clients/kube.ts';
import type { KubeAccess } from '../../src/clients/kube.ts';
import { createKubeAccess, createKubeAccessFactory } from '../../src/clients/kube-client.ts';
import type { Lab } from '../../src/lab/index.ts';
import { kubeError } from '../helpers/kube.ts';
import { startTestLab } from '../helpers/lab.ts';

const INGRESS = { namespace: 'openshift-ingress-operator', name: 'ingress-operator' };
let lab: Lab;
let east: KubeAccess;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: 'east' }, { name: 'west' }], keyPool: 2 } });
  east = createKubeAccess({ context: 'east', kubeconfig: lab.kubeconfigFile });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await lab.heal();
});
afterAll(async () => {
  await lab.close();
});

const labCluster = (name: string) => lab.state.clusters.get(name)!;

interface KubeconfigDoc {
  clusters: { cluster: { server: string } }[];
  users: { user: { token: string } }[];
}

/** The lab's kubeconfig with `edit` applied, as a new file. */
function kubeconfigWith(edit: (kc: KubeconfigDoc) => void): string {
  const kc = parse(lab.kubeconfig()) as KubeconfigDoc;
  edit(kc);
  const file = join(mkdtempSync(join(tmpdir(), 'irsa-kube-')), 'kubeconfig');
  writeFileSync(file, stringify(kc));
  return file;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('createKubeAccess against the lab', () => {
  it('reads /openid/v1/jwks: the cluster signing key, by kid, per context', async () => {
    const { keys } = await east.jwks();
    expect(keys.map((k) => k.kid)).toEqual([labCluster('east').signingKey.kid]);
    expect(keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    const west = createKubeAccess({ context: 'west', kubeconfig: lab.kubeconfigFile });
    expect((await west.jwks()).keys.map((k) => k.kid)).toEqual([labCluster('west').signingKey.kid]);
    expect(labCluster('west').signingKey.kid).not.toBe(labCluster('east').signingKey.kid);
  });

  it('mints a TokenRequest token for a service account with the audience and lifetime asked for', async () => {
    const token = await east.createToken(INGRESS, ['openshift'], 600);
    expect(decodeProtectedHeader(token).kid).toBe(labCluster('east').signingKey.kid);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: labCluster('east').issuer,
      aud: ['openshift'],
      sub: 'system:serviceaccount:openshift-ingress-operator:ingress-operator',
    });
    expect(claims.exp! - claims.iat!).toBe(600);
  });

  it('reads a secret decoded, and answers undefined for a missing one', async () => {
    const secret = await east.readSecret('openshift-ingress-operator', 'cloud-credentials');
    expect(Object.keys(secret ?? {})).toEqual(['credentials']);
    expect(secret?.credentials).toContain(
      `role_arn = arn:aws:iam::${lab.info().accountId}:role/east-openshift-ingress-operator-cloud-credentials`,
    );
    expect(await east.readSecret('openshift-ingress-operator', 'nope')).toBeUndefined();
  });

  it('lists the cluster CredentialsRequests as ccoctl reads them', async () => {
    const crs = await east.listCredentialsRequests();
    expect(crs).toHaveLength(7);
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect([...crs].sort(byName)).toEqual([...bundledCredentialsRequests()].sort(byName));
  });

  it('maps API failures to KubeError with the status and the Status message, never the bearer token', async () => {
    const missing = await kubeError(east.createToken({ namespace: 'openshift-ingress-operator', name: 'x' }, [], 600));
    expect(missing.status).toBe(404);
    expect(missing.message).toBe(
      'context east: TokenRequest for openshift-ingress-operator/x failed: HTTP 404: serviceaccounts "x" not found',
    );
    const short = await kubeError(east.createToken(INGRESS, ['openshift'], 60));
    expect(short.status).toBe(422);
    expect(short.message).toContain('may not specify a duration less than 10 minutes');

    const wrongToken = kubeconfigWith((kc) => {
      kc.users[0]!.user.token = 'lab-not-the-token';
    });
    const denied = await kubeError(
      createKubeAccess({ context: 'east', kubeconfig: wrongToken }).readSecret('openshift-ingress-operator', 'x'),
    );
    expect(denied.status).toBe(401);
    for (const err of [missing, short, denied]) {
      expect(err.message).not.toContain(labCluster('east').kubeToken);
      expect(err.message).not.toContain('lab-not-the-token');
    }
  });

  it('reports an unreachable API server without a status', async () => {
    const port = await closedPort();
    const closed = kubeconfigWith((kc) => {
      kc.clusters[0]!.cluster.server = `https://127.0.0.1:${port}/_clusters/east`;
    });
    const err = await kubeError(createKubeAccess({ context: 'east', kubeconfig: closed }).jwks());
    expect(err.status).toBeUndefined();
    expect(err.message).toMatch(/^context east: GET \/openid\/v1\/jwks failed: .*ECONNREFUSED/);
  });

  it('names an unknown context and an unreadable kubeconfig', () => {
    expect(() => createKubeAccess({ context: 'nope', kubeconfig: lab.kubeconfigFile })).toThrow(KubeError);
    expect(() => createKubeAccess({ context: 'nope', kubeconfig: lab.kubeconfigFile })).toThrow(
      `kubeconfig context "nope" not found in ${lab.kubeconfigFile}`,
    );
    expect(() => createKubeAccess({ context: 'east', kubeconfig: '/nonexistent/kubeconfig' })).toThrow(
      'cannot read kubeconfig /nonexistent/kubeconfig (ENOENT)',
    );
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as KubeError).code;
      }
      return undefined;
    };
    expect(codeOf(() => createKubeAccess({ context: 'nope', kubeconfig: lab.kubeconfigFile }))).toBe(
      'KUBE_CONTEXT_NOT_FOUND',
    );
    expect(codeOf(() => createKubeAccess({ context: 'east', kubeconfig: '/nonexistent/kubeconfig' }))).toBe(
      'KUBECONFIG_INVALID',
    );
  });

  it('reports a malformed kubeconfig by the YAML error code, line and column, never quoting the file', () => {
    // An OpenShift token and a private key next to a YAML error: the yaml and js-yaml messages quote the lines around.
    const token = 'sha256~Hd8xZb5sOp1Cw2mUu3Q4r5T6y7U8i9O0pAsDfGhJkLz';
    const key = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5';
    const file = join(mkdtempSync(join(tmpdir(), 'irsa-kube-')), 'kubeconfig');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'users:',
        '- name: admin',
        '  user:',
        `    token: ${token}`,
        `    client-key-data: ${key}`,
        '   bad: indentation',
        '',
      ].join('\n'),
    );
    let err: KubeError | undefined;
    try {
      createKubeAccess({ context: 'east', kubeconfig: file });
    } catch (e) {
      err = e as KubeError;
    }
    expect(err?.code).toBe('KUBECONFIG_INVALID');
    expect(err?.message).toMatch(new RegExp(`^kubeconfig ${file} is not valid YAML: [A-Z_]+ at line 7, column \\d+$`));
    for (const secret of [token, key, token.slice(7, 20), key.slice(10, 30)]) {
      expect(err?.message).not.toContain(secret);
      expect(JSON.stringify(err)).not.toContain(secret);
    }
    expect(err?.cause).toBeUndefined();
  });

  it('names what a kubeconfig lacks without its values, and a context whose cluster is missing', () => {
    const noServer = kubeconfigWith((kc) => {
      delete (kc.clusters[0]!.cluster as Partial<{ server: string }>).server;
    });
    expect(() => createKubeAccess({ context: 'east', kubeconfig: noServer })).toThrow(
      `kubeconfig ${noServer} is not a valid kubeconfig: clusters[0].cluster.server is missing`,
    );
    const scalar = join(mkdtempSync(join(tmpdir(), 'irsa-kube-')), 'kubeconfig');
    writeFileSync(scalar, 'just text\n');
    expect(() => createKubeAccess({ context: 'east', kubeconfig: scalar })).toThrow(
      `kubeconfig ${scalar} is not a YAML mapping`,
    );
  });
});

describe('createKubeAccessFactory', () => {
  it('reads each kubeconfig once for all its contexts, and makes one access per context', async () => {
    const file = kubeconfigWith(() => undefined);
    const kubeFor = createKubeAccessFactory();
    const first = kubeFor({ context: 'east', kubeconfig: file });
    expect(kubeFor({ context: 'east', kubeconfig: file })).toBe(first);
    // The file is broken after it was read: the other context still comes from the copy read the first time.
    writeFileSync(file, 'not: [valid');
    const west = kubeFor({ context: 'west', kubeconfig: file });
    expect((await west.jwks()).keys[0]?.kid).toBe(labCluster('west').signingKey.kid);
  });

  it('remembers a kubeconfig that failed to load and fails every call with its short reason, never a run', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'irsa-kube-')), 'kubeconfig');
    writeFileSync(file, 'users:\n- name: a\n  user: {token: "sha256~abcdefghijklmnop\n');
    const kubeFor = createKubeAccessFactory();
    const access = kubeFor({ context: 'east', kubeconfig: file });
    const first = await kubeError(access.jwks());
    expect(first.code).toBe('KUBECONFIG_INVALID');
    expect(first.message).toMatch(/^kubeconfig .* is not valid YAML: [A-Z_]+ at line \d+, column \d+$/);
    expect(first.message).not.toContain('sha256~');
    // Fixed later: still the same failure (read once), for every method and every context of the file.
    writeFileSync(file, lab.kubeconfig());
    expect(await kubeError(access.createToken(INGRESS, ['openshift'], 600))).toBe(first);
    expect(await kubeError(kubeFor({ context: 'west', kubeconfig: file }).listCredentialsRequests())).toBe(first);
    expect(await kubeError(kubeFor({ context: 'nope', kubeconfig: lab.kubeconfigFile }).jwks())).toMatchObject({
      code: 'KUBE_CONTEXT_NOT_FOUND',
    });
  });

  it('keeps one connection pool per context across requests, and closes it', async () => {
    // A TCP forwarder in front of the lab's API server counts the connections the client opens.
    let connections = 0;
    const sockets = new Set<Socket>();
    const upstream = new URL((parse(lab.kubeconfig()) as KubeconfigDoc).clusters[0]!.cluster.server);
    const forwarder = createServer((socket) => {
      connections += 1;
      const out = connect(Number(upstream.port), upstream.hostname);
      socket.pipe(out).pipe(socket);
      sockets.add(socket).add(out);
      socket.on('error', () => out.destroy());
      out.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
    const { port } = forwarder.address() as AddressInfo;
    const file = kubeconfigWith((kc) => {
      for (const c of kc.clusters) {
        const url = new URL(c.cluster.server);
        url.port = String(port);
        c.cluster.server = url.toString().replace(/\/$/, '');
      }
    });
    try {
      const kubeFor = createKubeAccessFactory();
      const east = kubeFor({ context: 'east', kubeconfig: file });
      for (let i = 0; i < 5; i += 1) await east.jwks();
      await east.createToken(INGRESS, ['openshift'], 600);
      // client-node alone makes a new agent, so a new connection, for each of these six requests (measured: 6). The
      // pool may open a second one while the first is still finishing its response.
      expect(connections).toBeLessThanOrEqual(2);
      await kubeFor.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => forwarder.close(resolve));
    }
  });

  it('verifies the API server against the kubeconfig CA with the pooled TLS context', async () => {
    // Another CA (a public root) than the one that signed the lab's API server certificate.
    const file = kubeconfigWith((kc) => {
      for (const c of kc.clusters)
        (c.cluster as Record<string, unknown>)['certificate-authority-data'] = Buffer.from(
          rootCertificates[0]!,
        ).toString('base64');
    });
    const kubeFor = createKubeAccessFactory();
    const err = await kubeError(kubeFor({ context: 'east', kubeconfig: file }).jwks());
    expect(err.status).toBeUndefined();
    expect(err.message).toMatch(/^context east: GET \/openid\/v1\/jwks failed: .*certificate/);
    await kubeFor.close();
  });

  it('finds the context through the default lookup (KUBECONFIG) when no file is given', async () => {
    vi.stubEnv('KUBECONFIG', lab.kubeconfigFile);
    const access = createKubeAccess({ context: 'west' });
    expect((await access.jwks()).keys[0]?.kid).toBe(labCluster('west').signingKey.kid);
  });
});
