import fc from 'fast-check';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterJwks, provisionCluster } from '../../src/lab/clusters.ts';
import { generateSigningKey } from '../../src/lab/keys.ts';
import { decodeTokenRequest } from '../../src/lab/kube-protobuf.ts';
import { createKubeHandler } from '../../src/lab/kube.ts';
import { LabState } from '../../src/lab/state.ts';
import type { LabCluster } from '../../src/lab/state.ts';
import type { LabHandler, LabResponse } from '../../src/lab/wire.ts';

const ENDPOINT = 'https://127.0.0.1:1';
const SERVER = `${ENDPOINT}/_clusters/kt`;
const INGRESS_SA = '/api/v1/namespaces/openshift-ingress-operator/serviceaccounts/ingress-operator';

// ---- a protobuf writer, to build the bodies kubectl sends ----
const varint = (n: bigint): Buffer => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Buffer.from(out);
};
const bytesField = (num: number, payload: Buffer): Buffer =>
  Buffer.concat([varint(BigInt((num << 3) | 2)), varint(BigInt(payload.length)), payload]);
const stringField = (num: number, s: string): Buffer => bytesField(num, Buffer.from(s));
const intField = (num: number, n: number | bigint): Buffer =>
  Buffer.concat([varint(BigInt(num << 3)), varint(BigInt(n))]);
const message = (num: number, ...fields: Buffer[]): Buffer => bytesField(num, Buffer.concat(fields));
const K8S = Buffer.from('k8s\0', 'latin1');

/** What kubectl 1.32 writes: every non-pointer field of ObjectMeta/Status present and empty (gogo proto2). */
function kubectlTokenRequest(
  audiences: string[],
  expirationSeconds?: number | bigint,
  specExtra: Buffer[] = [],
): Buffer {
  const metadata = message(1, ...[1, 2, 3, 4, 5, 6].map((n) => stringField(n, '')), intField(7, 0), message(8));
  const spec = message(
    2,
    ...audiences.map((a) => stringField(1, a)),
    ...specExtra,
    ...(expirationSeconds === undefined ? [] : [intField(4, expirationSeconds)]),
  );
  const status = message(3, stringField(1, ''), message(2));
  return Buffer.concat([
    K8S,
    message(1, stringField(1, 'authentication.k8s.io/v1'), stringField(2, 'TokenRequest')),
    bytesField(2, Buffer.concat([metadata, spec, status])),
    stringField(3, ''),
    stringField(4, ''),
  ]);
}

/** Captured from `kubectl create token ingress-operator --audience openshift --audience sts.amazonaws.com --duration 2h`. */
const CAPTURED_KUBECTL_2H = Buffer.from(
  '6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374123b0a100a0012001a00' +
    '22002a0032003800420012210a096f70656e73686966740a117374732e616d617a6f6e6177732e636f6d20a0381a040a0012001a002200',
  'hex',
);
/** Captured from `kubectl create token sa1 -n ns1` (no audience, no duration). */
const CAPTURED_KUBECTL_PLAIN = Buffer.from(
  '6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374121a0a100a0012001a00' +
    '22002a0032003800420012001a040a0012001a002200',
  'hex',
);

describe('decodeTokenRequest (kubectl protobuf)', () => {
  it('the test writer produces exactly what kubectl 1.32 sends', () => {
    expect(kubectlTokenRequest(['openshift', 'sts.amazonaws.com'], 7200).equals(CAPTURED_KUBECTL_2H)).toBe(true);
    expect(kubectlTokenRequest([]).equals(CAPTURED_KUBECTL_PLAIN)).toBe(true);
  });

  it('reads type meta, audiences and expirationSeconds', () => {
    expect(decodeTokenRequest(CAPTURED_KUBECTL_2H)).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      name: '',
      namespace: '',
      audiences: ['openshift', 'sts.amazonaws.com'],
      expirationSeconds: 7200,
    });
  });

  it('leaves expirationSeconds absent when kubectl does not set it', () => {
    const decoded = decodeTokenRequest(CAPTURED_KUBECTL_PLAIN);
    expect(decoded.audiences).toEqual([]);
    expect('expirationSeconds' in decoded).toBe(false);
  });

  it('reads int64 as two’s complement and values above 2^32', () => {
    expect(decodeTokenRequest(kubectlTokenRequest(['a'], -1)).expirationSeconds).toBe(-1);
    expect(decodeTokenRequest(kubectlTokenRequest(['a'], 2n ** 32n + 1n)).expirationSeconds).toBe(2 ** 32 + 1);
  });

  it('reads a boundObjectRef', () => {
    const ref = message(3, stringField(1, 'Pod'), stringField(2, 'v1'), stringField(3, 'web-0'), stringField(4, 'u'));
    expect(decodeTokenRequest(kubectlTokenRequest(['a'], 600, [ref])).boundObjectRef).toEqual({
      kind: 'Pod',
      apiVersion: 'v1',
      name: 'web-0',
    });
  });

  it.each([
    ['no k8s prefix', Buffer.from('0a00', 'hex')],
    ['a length running past the end', Buffer.concat([K8S, Buffer.from('12ff01', 'hex')])],
    ['a truncated varint', Buffer.concat([K8S, Buffer.from('08ff', 'hex')])],
    ['an overlong varint', Buffer.concat([K8S, Buffer.from('08' + 'ff'.repeat(10) + '01', 'hex')])],
    ['a group wire type', Buffer.concat([K8S, Buffer.from('0b', 'hex')])],
    ['invalid UTF-8 in an audience', Buffer.concat([K8S, message(2, message(2, bytesField(1, Buffer.from([0xc3]))))])],
    ['gzip content encoding', Buffer.concat([K8S, stringField(3, 'gzip')])],
  ])('rejects %s', (_name, body) => {
    expect(() => decodeTokenRequest(body)).toThrow(Error);
  });

  it('never throws anything but an Error on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeTokenRequest(Buffer.concat([K8S, Buffer.from(bytes)]));
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
    );
  });
});

describe('kube API handler', () => {
  let state: LabState;
  let cluster: LabCluster;
  let handler: LabHandler;

  beforeAll(async () => {
    state = new LabState();
    cluster = await provisionCluster(state, ENDPOINT, 'kt', await generateSigningKey());
    handler = createKubeHandler({ state, endpoint: ENDPOINT, caPem: '' });
  });

  async function call(
    method: string,
    path: string,
    opts: { token?: string | null; body?: Buffer | string | object; contentType?: string } = {},
  ): Promise<LabResponse & { json: Record<string, unknown> }> {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? cluster.kubeToken : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: Buffer = Buffer.alloc(0);
    if (opts.body !== undefined) {
      body = Buffer.isBuffer(opts.body)
        ? opts.body
        : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const res = await handler({
      method,
      url: new URL(path.startsWith('/_clusters') ? path : `/_clusters/kt${path}`, ENDPOINT),
      headers,
      body,
      caller: { kind: 'anonymous' },
      region: 'us-east-1',
      sourceIp: '127.0.0.1',
      userAgent: 'test',
      requestId: 'req-1',
    });
    const text = res.body === undefined ? '' : res.body.toString();
    return { ...res, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  const verify = async (token: string) =>
    jwtVerify(token, createLocalJWKSet(await clusterJwks(cluster)), { issuer: cluster.issuer });

  describe('routing and authentication', () => {
    it('answers 404 Status for an unknown cluster and for /_clusters itself', async () => {
      for (const path of ['/_clusters/nope/version', '/_clusters', '/_clusters/']) {
        const res = await call('GET', path);
        expect(res.status).toBe(404);
        expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
      }
    });

    it.each([
      ['no token', null],
      ['a wrong token', 'lab-wrong'],
      ['an empty bearer', ''],
    ])('answers 401 with %s', async (_name, token) => {
      const res = await call('GET', '/api/v1/namespaces/openshift-ingress-operator/secrets/cloud-credentials', {
        token,
      });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    });

    it('rejects a wrong token even on public paths, as the authentication filter runs first', async () => {
      expect((await call('GET', '/version', { token: 'lab-wrong' })).status).toBe(401);
    });

    it('serves /version, the discovery document and the JWKS without a token', async () => {
      for (const path of ['/version', '/.well-known/openid-configuration', '/openid/v1/jwks']) {
        expect((await call('GET', path, { token: null })).status).toBe(200);
      }
      expect((await call('GET', '/api', { token: null })).status).toBe(401);
    });

    it('accepts the scheme in any case', async () => {
      const res = await handler({
        method: 'GET',
        url: new URL('/_clusters/kt/api/v1', ENDPOINT),
        headers: { authorization: `bearer ${cluster.kubeToken}` },
        body: Buffer.alloc(0),
        caller: { kind: 'anonymous' },
        region: 'us-east-1',
        sourceIp: '127.0.0.1',
        userAgent: 'test',
        requestId: 'r',
      });
      expect(res.status).toBe(200);
    });

    it('answers unknown paths with the apiserver 404 and wrong methods with 405', async () => {
      const missing = await call('GET', '/apis/apps/v1');
      expect(missing.status).toBe(404);
      expect(missing.json.message).toBe('the server could not find the requested resource');
      const del = await call('DELETE', '/api/v1/namespaces/openshift-ingress-operator/secrets/cloud-credentials');
      expect(del.status).toBe(405);
      expect(del.json).toMatchObject({ reason: 'MethodNotAllowed', code: 405 });
    });
  });

  describe('discovery kubectl needs (STACK 8)', () => {
    it('GET /version says v1.32.4', async () => {
      const res = await call('GET', '/version?timeout=5s');
      expect(res.json).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.4' });
    });

    it('GET /api lists v1 and /apis the cloud credential operator group', async () => {
      expect((await call('GET', '/api?timeout=32s')).json).toMatchObject({
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:1' }],
      });
      const apis = await call('GET', '/apis');
      expect(apis.status).toBe(200);
      const group = {
        name: 'cloudcredential.openshift.io',
        versions: [{ groupVersion: 'cloudcredential.openshift.io/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'cloudcredential.openshift.io/v1', version: 'v1' },
      };
      expect(apis.json).toEqual({ kind: 'APIGroupList', apiVersion: 'v1', groups: [group] });
      expect((await call('GET', '/apis/cloudcredential.openshift.io')).json).toEqual({
        kind: 'APIGroup',
        apiVersion: 'v1',
        ...group,
      });
      const resources = await call('GET', '/apis/cloudcredential.openshift.io/v1');
      expect(resources.json).toMatchObject({
        kind: 'APIResourceList',
        groupVersion: 'cloudcredential.openshift.io/v1',
        resources: [
          {
            name: 'credentialsrequests',
            singularName: 'credentialsrequest',
            namespaced: true,
            kind: 'CredentialsRequest',
            verbs: ['get', 'list'],
          },
        ],
      });
      expect((await call('GET', '/')).json.paths).toEqual(
        expect.arrayContaining(['/apis/cloudcredential.openshift.io', '/apis/cloudcredential.openshift.io/v1']),
      );
    });

    it('GET /api/v1 lists secrets, serviceaccounts, serviceaccounts/token and namespaces', async () => {
      const res = await call('GET', '/api/v1');
      expect(res.json.kind).toBe('APIResourceList');
      expect(res.json.groupVersion).toBe('v1');
      const byName = Object.fromEntries(
        (res.json.resources as { name: string; verbs: string[]; namespaced: boolean; kind: string }[]).map((r) => [
          r.name,
          r,
        ]),
      );
      expect(byName.secrets).toMatchObject({ singularName: 'secret', namespaced: true, kind: 'Secret' });
      expect(byName.secrets?.verbs).toContain('get');
      expect(byName.serviceaccounts?.verbs).toEqual(expect.arrayContaining(['get', 'list']));
      expect(byName['serviceaccounts/token']).toMatchObject({
        group: 'authentication.k8s.io',
        version: 'v1',
        kind: 'TokenRequest',
        verbs: ['create'],
      });
      expect(byName.namespaces).toMatchObject({ namespaced: false, kind: 'Namespace' });
    });
  });

  describe('CredentialsRequests (cloudcredential.openshift.io/v1)', () => {
    const CRS = '/apis/cloudcredential.openshift.io/v1';
    type CredentialsRequest = {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace: string; uid: string };
      spec: { secretRef: { name: string; namespace: string }; serviceAccountNames: string[]; providerSpec: object };
    };

    it('lists every CredentialsRequest of the cluster, cluster-wide and in the operator namespace', async () => {
      const all = await call('GET', `${CRS}/credentialsrequests`);
      expect(all.status).toBe(200);
      expect(all.json).toMatchObject({ apiVersion: 'cloudcredential.openshift.io/v1', kind: 'CredentialsRequestList' });
      expect((all.json.metadata as { resourceVersion: string }).resourceVersion).toMatch(/^\d+$/);
      const items = all.json.items as CredentialsRequest[];
      expect(items).toHaveLength(cluster.credentialsRequests.length);
      expect(items.map((i) => i.metadata.name)).toEqual(cluster.credentialsRequests.map((c) => c.name).sort());
      const namespaced = await call('GET', `${CRS}/namespaces/openshift-cloud-credential-operator/credentialsrequests`);
      expect(namespaced.json.items).toEqual(items);
      expect((await call('GET', `${CRS}/namespaces/default/credentialsrequests`)).json.items).toEqual([]);
    });

    it('gives each the secretRef, service accounts and AWS provider spec ccoctl reads', async () => {
      const items = (await call('GET', `${CRS}/credentialsrequests`)).json.items as CredentialsRequest[];
      const ingress = items.find((i) => i.spec.secretRef.namespace === 'openshift-ingress-operator');
      const info = cluster.credentialsRequests.find((c) => c.secretNamespace === 'openshift-ingress-operator')!;
      expect(ingress).toEqual({
        apiVersion: 'cloudcredential.openshift.io/v1',
        kind: 'CredentialsRequest',
        metadata: expect.objectContaining({ name: info.name, namespace: 'openshift-cloud-credential-operator' }),
        spec: {
          secretRef: { name: 'cloud-credentials', namespace: 'openshift-ingress-operator' },
          serviceAccountNames: ['ingress-operator'],
          providerSpec: { apiVersion: 'cloudcredential.openshift.io/v1', kind: 'AWSProviderSpec' },
        },
      });
      expect(new Set(items.map((i) => i.metadata.uid)).size).toBe(items.length);
    });

    it('gets one by name and answers NotFound for an unknown name', async () => {
      const name = cluster.credentialsRequests[0]!.name;
      const one = await call(
        'GET',
        `${CRS}/namespaces/openshift-cloud-credential-operator/credentialsrequests/${name}`,
      );
      expect(one.status).toBe(200);
      expect(one.json).toMatchObject({ kind: 'CredentialsRequest', metadata: { name } });
      const missing = await call('GET', `${CRS}/namespaces/openshift-cloud-credential-operator/credentialsrequests/x`);
      expect(missing.status).toBe(404);
      expect(missing.json).toMatchObject({
        reason: 'NotFound',
        message: 'credentialsrequests.cloudcredential.openshift.io "x" not found',
      });
    });

    it('needs the bearer token', async () => {
      expect((await call('GET', `${CRS}/credentialsrequests`, { token: null })).status).toBe(401);
    });
  });

  describe('secrets, service accounts and namespaces', () => {
    it('returns the ccoctl credentials secret with base64 data', async () => {
      const res = await call('GET', '/api/v1/namespaces/openshift-ingress-operator/secrets/cloud-credentials');
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        kind: 'Secret',
        apiVersion: 'v1',
        type: 'Opaque',
        metadata: { name: 'cloud-credentials', namespace: 'openshift-ingress-operator' },
      });
      const meta = res.json.metadata as Record<string, string>;
      expect(meta.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(meta.resourceVersion).toMatch(/^\d+$/);
      expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const ini = Buffer.from((res.json.data as Record<string, string>).credentials as string, 'base64').toString();
      expect(ini).toContain(
        'role_arn = arn:aws:iam::111122223333:role/kt-openshift-ingress-operator-cloud-credentials',
      );
      expect(ini).toContain('web_identity_token_file = /var/run/secrets/openshift/serviceaccount/token');
    });

    it('answers NotFound for a missing secret', async () => {
      const res = await call('GET', '/api/v1/namespaces/openshift-ingress-operator/secrets/x');
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({
        reason: 'NotFound',
        message: 'secrets "x" not found',
        details: { name: 'x', kind: 'secrets' },
        code: 404,
      });
    });

    it('gets and lists service accounts', async () => {
      const sa = await call('GET', INGRESS_SA);
      expect(sa.status).toBe(200);
      expect(sa.json).toMatchObject({
        kind: 'ServiceAccount',
        apiVersion: 'v1',
        metadata: { name: 'ingress-operator', namespace: 'openshift-ingress-operator' },
      });
      const missing = await call('GET', '/api/v1/namespaces/openshift-ingress-operator/serviceaccounts/x');
      expect(missing.status).toBe(404);
      expect(missing.json.message).toBe('serviceaccounts "x" not found');
      const list = await call('GET', '/api/v1/namespaces/openshift-image-registry/serviceaccounts');
      expect(list.json.kind).toBe('ServiceAccountList');
      const names = (list.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name);
      expect(names).toEqual(['cluster-image-registry-operator', 'registry']);
      const all = await call('GET', '/api/v1/serviceaccounts');
      expect((all.json.items as unknown[]).length).toBe(cluster.serviceAccounts.size);
    });

    it('gets a namespace that holds service accounts, and 404s others', async () => {
      expect((await call('GET', '/api/v1/namespaces/openshift-ingress-operator')).json).toMatchObject({
        kind: 'Namespace',
        status: { phase: 'Active' },
      });
      expect((await call('GET', '/api/v1/namespaces/nope')).json.message).toBe('namespaces "nope" not found');
    });
  });

  describe('TokenRequest', () => {
    it('mints a JSON TokenRequest signed with the cluster key (client-node)', async () => {
      const res = await call('POST', `${INGRESS_SA}/token`, {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { audiences: ['openshift'], expirationSeconds: 3600 },
        },
      });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name: 'ingress-operator', namespace: 'openshift-ingress-operator' },
        spec: { audiences: ['openshift'], expirationSeconds: 3600 },
      });
      const status = res.json.status as { token: string; expirationTimestamp: string };
      expect(decodeProtectedHeader(status.token)).toMatchObject({ alg: 'RS256', kid: cluster.signingKey.kid });
      const { payload } = await verify(status.token);
      expect(payload.iss).toBe(cluster.issuer);
      expect(payload.sub).toBe('system:serviceaccount:openshift-ingress-operator:ingress-operator');
      expect(payload.aud).toEqual(['openshift']);
      expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
      expect(status.expirationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(status.expirationTimestamp) / 1000).toBe(payload.exp);
    });

    it('reads kubectl’s protobuf body', async () => {
      const res = await call('POST', `${INGRESS_SA}/token`, {
        body: CAPTURED_KUBECTL_2H,
        contentType: 'application/vnd.kubernetes.protobuf',
      });
      expect(res.status).toBe(201);
      const { token } = res.json.status as { token: string };
      expect(decodeProtectedHeader(token).kid).toBe(cluster.signingKey.kid);
      const { payload } = await verify(token);
      expect(payload.aud).toEqual(['openshift', 'sts.amazonaws.com']);
      expect((payload.exp as number) - (payload.iat as number)).toBe(7200);
      expect(payload.sub).toBe('system:serviceaccount:openshift-ingress-operator:ingress-operator');
    });

    it('defaults the audience to the issuer and the duration to an hour', async () => {
      const res = await call('POST', `${INGRESS_SA}/token`, {
        body: CAPTURED_KUBECTL_PLAIN,
        contentType: 'application/vnd.kubernetes.protobuf',
      });
      expect(res.status).toBe(201);
      expect(res.json.spec).toMatchObject({ audiences: [cluster.issuer], expirationSeconds: 3600 });
      const { payload } = await verify((res.json.status as { token: string }).token);
      expect(payload.aud).toEqual([cluster.issuer]);
      expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
    });

    it('rejects less than 10 minutes as Invalid (docs/aws-facts.md 6)', async () => {
      for (const body of [
        { spec: { audiences: ['openshift'], expirationSeconds: 599 } },
        kubectlTokenRequest(['openshift'], 599),
      ]) {
        const res = await call('POST', `${INGRESS_SA}/token`, {
          body,
          contentType: Buffer.isBuffer(body) ? 'application/vnd.kubernetes.protobuf' : 'application/json',
        });
        expect(res.status).toBe(422);
        expect(res.json).toMatchObject({ reason: 'Invalid', code: 422 });
        expect(res.json.message).toBe(
          'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
        );
      }
      const ok = await call('POST', `${INGRESS_SA}/token`, { body: { spec: { expirationSeconds: 600 } } });
      expect(ok.status).toBe(201);
    });

    it('rejects more than 2^32 seconds and accepts exactly 2^32', async () => {
      const tooLong = await call('POST', `${INGRESS_SA}/token`, {
        body: { spec: { expirationSeconds: 2 ** 32 + 1 } },
      });
      expect(tooLong.status).toBe(422);
      expect(tooLong.json.message).toContain('may not specify a duration larger than 2^32 seconds');
      const max = await call('POST', `${INGRESS_SA}/token`, { body: { spec: { expirationSeconds: 2 ** 32 } } });
      expect(max.status).toBe(201);
    });

    it('answers 404 for an unknown service account', async () => {
      const res = await call('POST', '/api/v1/namespaces/openshift-ingress-operator/serviceaccounts/ghost/token', {
        body: { spec: { audiences: ['openshift'] } },
      });
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ reason: 'NotFound', message: 'serviceaccounts "ghost" not found' });
    });

    it('refuses binding to objects the lab does not have', async () => {
      const res = await call('POST', `${INGRESS_SA}/token`, {
        body: { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-0' } } },
      });
      expect(res.status).toBe(404);
      expect(res.json.message).toBe('pods "web-0" not found');
    });

    it.each([
      ['malformed protobuf', Buffer.from('k8s\0\x12\xff\x01', 'latin1'), 'application/vnd.kubernetes.protobuf', 400],
      ['protobuf without the k8s prefix', Buffer.from([0x0a, 0x00]), 'application/vnd.kubernetes.protobuf', 400],
      ['invalid JSON', '{"spec":', 'application/json', 400],
      ['a string expirationSeconds', { spec: { expirationSeconds: '600' } }, 'application/json', 400],
      ['audiences that are not strings', { spec: { audiences: [1] } }, 'application/json', 400],
      ['another kind', { apiVersion: 'v1', kind: 'Secret' }, 'application/json', 400],
      ['a form body', 'a=b', 'application/x-www-form-urlencoded', 415],
    ])('answers %s with a Status', async (_name, body, contentType, code) => {
      const res = await call('POST', `${INGRESS_SA}/token`, { body, contentType });
      expect(res.status).toBe(code);
      expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', code });
    });

    it('rejects a body whose name differs from the URL', async () => {
      const res = await call('POST', `${INGRESS_SA}/token`, { body: { metadata: { name: 'other' } } });
      expect(res.status).toBe(422);
      expect(res.json.message).toContain('must match the service account name if specified');
    });

    it('never crashes on arbitrary protobuf or JSON bodies', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 48 }),
          fc.constantFrom('application/vnd.kubernetes.protobuf', 'application/json'),
          async (bytes, contentType) => {
            const prefix = contentType === 'application/json' ? Buffer.alloc(0) : K8S;
            const res = await call('POST', `${INGRESS_SA}/token`, {
              body: Buffer.concat([prefix, Buffer.from(bytes)]),
              contentType,
            });
            expect([201, 400, 404, 422]).toContain(res.status);
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  describe('issuer discovery (docs/aws-facts.md 6)', () => {
    it('serves the apiserver discovery document', async () => {
      const res = await call('GET', '/.well-known/openid-configuration');
      expect(res.json).toEqual({
        issuer: cluster.issuer,
        jwks_uri: `${SERVER}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
      expect(res.headers?.['cache-control']).toBe('public, max-age=3600');
    });

    it('serves the cluster JWKS', async () => {
      const res = await call('GET', '/openid/v1/jwks');
      expect(res.headers?.['content-type']).toBe('application/jwk-set+json');
      expect(res.headers?.['cache-control']).toBe('public, max-age=3600');
      const keys = res.json.keys as Record<string, string>[];
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ kid: cluster.signingKey.kid, use: 'sig', alg: 'RS256', kty: 'RSA' });
    });
  });
});
