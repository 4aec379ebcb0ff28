// Which client serves a kubeconfig context (the direct HTTPS one, or @kubernetes/client-node loaded only for exec
// plugins and the like), the kubeconfig reading that replaced client-node's (token files, relative paths, KUBECONFIG
// merge, the in-cluster service account), and the direct client against hostile API servers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { KubeError } from '../../src/clients/kube.ts';
import { createKubeAccess } from '../../src/clients/kube-client.ts';
import { createDirectKubeAccess } from '../../src/clients/kube-direct.ts';
import {
  loadDefaultKubeconfig,
  loadKubeconfigFile,
  needsClientNode,
  resolveContext,
} from '../../src/clients/kubeconfig.ts';
import type { Lab } from '../../src/lab/index.ts';
import { kubeError } from '../helpers/kube.ts';
import { startTestLab } from '../helpers/lab.ts';

interface Doc {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: Record<string, unknown> }[];
}

let lab: Lab;
beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: 'east' }, { name: 'west' }], keyPool: 2 } });
});
afterEach(() => vi.unstubAllEnvs());
afterAll(async () => {
  await lab.close();
});

const kidOf = (name: string) => lab.state.clusters.get(name)!.signingKey.kid;

/** The lab's kubeconfig with `edit` applied, written into a folder of its own; returns the file. */
function kubeconfigWith(edit: (doc: Doc, dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-kube-direct-'));
  const doc = parse(lab.kubeconfig()) as Doc;
  edit(doc, dir);
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, stringify(doc));
  return file;
}

describe('kubeconfig contexts the direct client serves', () => {
  it('reads a token from a tokenFile relative to the kubeconfig, and a CA from a file', async () => {
    const file = kubeconfigWith((doc, dir) => {
      const user = doc.users.find((u) => u.name === 'east')!.user;
      writeFileSync(join(dir, 'east.token'), `${String(user.token)}\n`);
      delete user.token;
      user.tokenFile = 'east.token';
      const cluster = doc.clusters.find((c) => c.name === 'east')!.cluster;
      writeFileSync(join(dir, 'ca.pem'), Buffer.from(String(cluster['certificate-authority-data']), 'base64'));
      delete cluster['certificate-authority-data'];
      cluster['certificate-authority'] = 'ca.pem';
    });
    const access = createKubeAccess({ context: 'east', kubeconfig: file });
    try {
      expect((await access.jwks()).keys.map((k) => k.kid)).toEqual([kidOf('east')]);
      expect(await access.readSecret('openshift-ingress-operator', 'nope')).toBeUndefined();
    } finally {
      await access.close();
    }
  });

  it('names a CA file it cannot read, and a client certificate without its key, when the context is set up', () => {
    const noCa = kubeconfigWith((doc) => {
      const cluster = doc.clusters.find((c) => c.name === 'east')!.cluster;
      delete cluster['certificate-authority-data'];
      cluster['certificate-authority'] = 'missing-ca.pem';
    });
    expect(() => createKubeAccess({ context: 'east', kubeconfig: noCa })).toThrow(
      /^kubeconfig context "east": cannot read its certificate-authority missing-ca\.pem \(ENOENT\)$/,
    );
    const halfCert = kubeconfigWith((doc) => {
      doc.users.find((u) => u.name === 'east')!.user['client-certificate-data'] = Buffer.from('x').toString('base64');
    });
    let err: KubeError | undefined;
    try {
      createKubeAccess({ context: 'east', kubeconfig: halfCert });
    } catch (e) {
      err = e as KubeError;
    }
    expect(err?.code).toBe('KUBECONFIG_INVALID');
    expect(err?.message).toBe('kubeconfig context "east": its user has a client certificate or key without the other');
  });

  it('merges the files of KUBECONFIG as kubectl does: the first entry of a name wins', async () => {
    const first = kubeconfigWith((doc) => {
      doc.contexts = doc.contexts.filter((c) => c.name === 'east');
    });
    // The second file's east user has a wrong token: the first file's east wins; its west is found.
    const second = kubeconfigWith((doc) => {
      doc.users.find((u) => u.name === 'east')!.user.token = 'lab-not-the-token';
    });
    vi.stubEnv('KUBECONFIG', [first, second].join(delimiter));
    const merged = loadDefaultKubeconfig();
    expect([...merged.contexts.keys()].sort()).toEqual(['east', 'west']);
    const east = createKubeAccess({ context: 'east' });
    const west = createKubeAccess({ context: 'west' });
    try {
      expect((await east.jwks()).keys[0]?.kid).toBe(kidOf('east'));
      expect((await west.jwks()).keys[0]?.kid).toBe(kidOf('west'));
    } finally {
      await Promise.all([east.close(), west.close()]);
    }
  });

  it("reads the pod's service account as the context inClusterContext when there is no kubeconfig", () => {
    const sa = mkdtempSync(join(tmpdir(), 'irsa-sa-'));
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'ca.crt'), lab.caPem);
    vi.stubEnv('KUBECONFIG', '');
    vi.stubEnv('HOME', mkdtempSync(join(tmpdir(), 'irsa-home-')));
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.0.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '6443');
    const ctx = resolveContext(loadDefaultKubeconfig(sa), 'inClusterContext');
    expect(ctx.cluster.fields).toEqual({ server: 'https://10.0.0.1:6443', 'certificate-authority': 'ca.crt' });
    expect(ctx.cluster.dir).toBe(sa);
    expect(ctx.user?.fields).toEqual({ tokenFile: 'token' });
    expect(needsClientNode(ctx)).toBeUndefined();
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    expect(() => resolveContext(loadDefaultKubeconfig(sa), 'inClusterContext')).toThrow(
      /not found in the default kubeconfig \(no KUBECONFIG, ~\/\.kube\/config or in-cluster service account\)/,
    );
  });
});

describe('contexts that need @kubernetes/client-node', () => {
  it('names what needs it, and serves an exec credential plugin through it', async () => {
    const file = kubeconfigWith((doc, dir) => {
      const user = doc.users.find((u) => u.name === 'east')!.user;
      // An exec plugin (client.authentication.k8s.io/v1) that prints the lab token as an ExecCredential.
      const plugin = join(dir, 'plugin.cjs');
      writeFileSync(
        plugin,
        `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: ${JSON.stringify(user.token)} } }));\n`,
      );
      delete user.token;
      user.exec = {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: process.execPath,
        args: [plugin],
        interactiveMode: 'Never',
      };
    });
    expect(needsClientNode(resolveContext(loadKubeconfigFile(file), 'east'))).toBe('exec');
    expect(needsClientNode(resolveContext(loadKubeconfigFile(file), 'west'))).toBeUndefined();
    const access = createKubeAccess({ context: 'east', kubeconfig: file });
    try {
      expect((await access.jwks()).keys.map((k) => k.kid)).toEqual([kidOf('east')]);
      const missing = await kubeError(
        access.createToken({ namespace: 'openshift-ingress-operator', name: 'x' }, [], 600),
      );
      expect(missing.status).toBe(404);
      expect(missing.message).toBe(
        'context east: TokenRequest for openshift-ingress-operator/x failed: HTTP 404: serviceaccounts "x" not found',
      );
    } finally {
      await access.close();
    }
  });

  it('loads client-node only when a context needs it (a process of its own counts the modules it loads)', () => {
    const tokenFile = kubeconfigWith(() => undefined);
    const execFile = kubeconfigWith((doc) => {
      doc.users.find((u) => u.name === 'east')!.user.exec = {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: 'true',
      };
    });
    const script = (file: string) => `
      import { registerHooks } from 'node:module';
      let loaded = false;
      registerHooks({ resolve(spec, ctx, next) { if (spec === '@kubernetes/client-node') loaded = true; return next(spec, ctx); } });
      const { createKubeAccess } = await import(${JSON.stringify(join(import.meta.dirname, '../../src/clients/kube-client.ts'))});
      const access = createKubeAccess({ context: 'east', kubeconfig: ${JSON.stringify(file)} });
      await access.jwks().catch(() => undefined);
      await access.close();
      process.stdout.write(String(loaded));`;
    const run = (file: string) =>
      execFileSync(process.execPath, ['--input-type=module', '-e', script(file)], {
        encoding: 'utf8',
        timeout: 30_000,
      });
    expect(run(tokenFile)).toBe('false');
    expect(run(execFile)).toBe('true');
  });
});

describe('the direct client and its connections', () => {
  it('makes back-to-back calls over one connection (a call the moment the last answer ended reuses it)', async () => {
    let opened = 0;
    const server = createServer((_req, res) => res.end('{"keys":[]}'));
    server.on('connection', () => (opened += 1));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const file = kubeconfigWith((doc) => {
      doc.clusters.find((c) => c.name === 'east')!.cluster.server = `http://127.0.0.1:${port}`;
    });
    const access = createDirectKubeAccess(resolveContext(loadKubeconfigFile(file), 'east'));
    try {
      for (let i = 0; i < 3; i++) expect(await access.jwks()).toEqual({ keys: [] });
      expect(opened).toBe(1);
    } finally {
      await access.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('the direct client against a hostile API server', () => {
  it('cuts off an answer that trickles a byte at a time at the call deadline', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const file = kubeconfigWith((doc) => {
      doc.clusters.find((c) => c.name === 'east')!.cluster.server = `http://127.0.0.1:${port}`;
    });
    const access = createDirectKubeAccess(resolveContext(loadKubeconfigFile(file), 'east'), { totalTimeoutMs: 400 });
    try {
      const started = performance.now();
      const err = await kubeError(access.jwks());
      expect(err.message).toBe('context east: GET /openid/v1/jwks failed: no complete answer within 400 ms');
      expect(err.status).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await access.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses an answer that is not JSON or is too large, and names the call', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/openid/v1/jwks') res.end('<html>not json</html>');
      else {
        // 17 MiB of a JSON string, past the 16 MiB limit.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1024 * 1024, 'a');
        res.write('"');
        for (let i = 0; i < 17; i++) res.write(chunk);
        res.end('"');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const file = kubeconfigWith((doc) => {
      doc.clusters.find((c) => c.name === 'east')!.cluster.server = `http://127.0.0.1:${port}`;
    });
    const access = createKubeAccess({ context: 'east', kubeconfig: file });
    try {
      expect((await kubeError(access.jwks())).message).toBe(
        'context east: GET /openid/v1/jwks failed: HTTP 200 with a body that is not JSON',
      );
      const large = await kubeError(access.listCredentialsRequests());
      expect(large.message).toMatch(
        /^context east: list credentialsrequests\.cloudcredential\.openshift\.io failed: HTTP 200 with an answer larger than 16777216 bytes/,
      );
    } finally {
      await access.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
