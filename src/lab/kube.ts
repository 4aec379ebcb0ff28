// Each simulated cluster's kube-apiserver, at /_clusters/<name>: the discovery kubectl needs, secrets and service
// accounts (read-only), TokenRequest (JSON or kubectl's protobuf), and the issuer discovery endpoints (docs/aws-facts.md 6).
import { createHash, timingSafeEqual } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { clusterJwks, signServiceAccountToken } from './clusters.ts';
import { decodeTokenRequest } from './kube-protobuf.ts';
import type { BoundObjectRef } from './kube-protobuf.ts';
import type { CredentialsRequestInfo, LabCluster } from './state.ts';
import type { LabContext, LabHandler, LabRequest, LabResponse } from './wire.ts';

const TOKEN_REQUEST_API_VERSION = 'authentication.k8s.io/v1';
const DEFAULT_EXPIRATION_SECONDS = 3600; // TokenRequestSpec defaulting
const MIN_EXPIRATION_SECONDS = 600; // ValidateTokenRequest (docs/aws-facts.md 6)
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const PUBLIC_PATHS = new Set(['/version', '/.well-known/openid-configuration', '/openid/v1/jwks']);
const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4',
  gitTreeState: 'clean',
  goVersion: 'go1.23.8',
  compiler: 'gc',
  platform: 'linux/amd64',
};
const CORE_RESOURCES = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    {
      name: 'namespaces',
      singularName: 'namespace',
      namespaced: false,
      kind: 'Namespace',
      verbs: ['get'],
      shortNames: ['ns'],
    },
    { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['get'] },
    {
      name: 'serviceaccounts',
      singularName: 'serviceaccount',
      namespaced: true,
      kind: 'ServiceAccount',
      verbs: ['get', 'list'],
      shortNames: ['sa'],
    },
    {
      name: 'serviceaccounts/token',
      singularName: '',
      namespaced: true,
      group: 'authentication.k8s.io',
      version: 'v1',
      kind: 'TokenRequest',
      verbs: ['create'],
    },
  ],
};
/** OpenShift's cloud-credential-operator API: the cluster's CredentialsRequests (docs/aws-facts.md 5). */
const CCO_GROUP = 'cloudcredential.openshift.io';
const CCO_GROUP_VERSION = `${CCO_GROUP}/v1`;
const CCO_NAMESPACE = 'openshift-cloud-credential-operator';
const CCO_API_GROUP = {
  name: CCO_GROUP,
  versions: [{ groupVersion: CCO_GROUP_VERSION, version: 'v1' }],
  preferredVersion: { groupVersion: CCO_GROUP_VERSION, version: 'v1' },
};
const CCO_RESOURCES = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: CCO_GROUP_VERSION,
  resources: [
    {
      name: 'credentialsrequests',
      singularName: 'credentialsrequest',
      namespaced: true,
      kind: 'CredentialsRequest',
      verbs: ['get', 'list'],
    },
  ],
};
const ROOT_PATHS = [
  '/.well-known/openid-configuration',
  '/api',
  '/api/v1',
  '/apis',
  `/apis/${CCO_GROUP}`,
  `/apis/${CCO_GROUP_VERSION}`,
  '/openid/v1/jwks',
  '/version',
];

interface Call {
  ctx: LabContext;
  req: LabRequest;
  cluster: LabCluster;
  params: Record<string, string>;
}

type Action = (call: Call) => LabResponse | Promise<LabResponse>;

interface Route {
  /** Path segments; `:x` captures one segment as params.x. */
  pattern: string[];
  methods: Record<string, Action>;
}

const ROUTES: Route[] = [
  { pattern: ['version'], methods: { GET: () => json(200, VERSION) } },
  { pattern: ['.well-known', 'openid-configuration'], methods: { GET: openidConfiguration } },
  { pattern: ['openid', 'v1', 'jwks'], methods: { GET: jwks } },
  { pattern: [], methods: { GET: () => json(200, { paths: ROOT_PATHS }) } },
  { pattern: ['api'], methods: { GET: apiVersions } },
  {
    pattern: ['apis'],
    methods: { GET: () => json(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [CCO_API_GROUP] }) },
  },
  {
    pattern: ['apis', CCO_GROUP],
    methods: { GET: () => json(200, { kind: 'APIGroup', apiVersion: 'v1', ...CCO_API_GROUP }) },
  },
  { pattern: ['apis', CCO_GROUP, 'v1'], methods: { GET: () => json(200, CCO_RESOURCES) } },
  { pattern: ['apis', CCO_GROUP, 'v1', 'credentialsrequests'], methods: { GET: listCredentialsRequests } },
  {
    pattern: ['apis', CCO_GROUP, 'v1', 'namespaces', ':ns', 'credentialsrequests'],
    methods: { GET: listCredentialsRequests },
  },
  {
    pattern: ['apis', CCO_GROUP, 'v1', 'namespaces', ':ns', 'credentialsrequests', ':name'],
    methods: { GET: getCredentialsRequest },
  },
  { pattern: ['api', 'v1'], methods: { GET: () => json(200, CORE_RESOURCES) } },
  { pattern: ['api', 'v1', 'namespaces', ':ns'], methods: { GET: getNamespace } },
  { pattern: ['api', 'v1', 'namespaces', ':ns', 'secrets', ':name'], methods: { GET: getSecret } },
  { pattern: ['api', 'v1', 'serviceaccounts'], methods: { GET: listServiceAccounts } },
  { pattern: ['api', 'v1', 'namespaces', ':ns', 'serviceaccounts'], methods: { GET: listServiceAccounts } },
  { pattern: ['api', 'v1', 'namespaces', ':ns', 'serviceaccounts', ':name'], methods: { GET: getServiceAccount } },
  { pattern: ['api', 'v1', 'namespaces', ':ns', 'serviceaccounts', ':name', 'token'], methods: { POST: createToken } },
];

export function createKubeHandler(ctx: LabContext): LabHandler {
  return async (req) => {
    try {
      return await serve(ctx, req);
    } catch (err) {
      return status(
        500,
        'InternalError',
        `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };
}

async function serve(ctx: LabContext, req: LabRequest): Promise<LabResponse> {
  const m = /^\/_clusters\/([^/]+)(\/.*)?$/.exec(req.url.pathname);
  if (m === null) return notFoundPath();
  const path = m[2] ?? '/';
  const cluster = ctx.state.clusters.get(decodeURIComponentOr(m[1] as string));
  const segments = decodeSegments(path);
  if (cluster === undefined || segments === undefined) return notFoundPath();
  const authError = authenticate(req, cluster, path);
  if (authError !== undefined) return authError;
  for (const route of ROUTES) {
    const params = match(route.pattern, segments);
    if (params === undefined) continue;
    const action = route.methods[req.method];
    if (action === undefined) {
      return status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
    }
    return action({ ctx, req, cluster, params });
  }
  return notFoundPath();
}

function decodeURIComponentOr(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function decodeSegments(rest: string): string[] | undefined {
  try {
    return rest === '/' ? [] : rest.slice(1).split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function match(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i] as string;
    if (part.startsWith(':') && segment !== '') params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

/**
 * Bearer-token authentication as kube-apiserver's filter does it: a token that does not authenticate is 401 on any
 * path; no token is anonymous, which the lab lets through only to /version and the issuer discovery endpoints.
 */
function authenticate(req: LabRequest, cluster: LabCluster, path: string): LabResponse | undefined {
  const [scheme, token] = (req.headers.authorization ?? '').trim().split(' ', 3);
  const presented = scheme?.toLowerCase() === 'bearer' && token ? Buffer.from(token) : undefined;
  if (presented === undefined) return PUBLIC_PATHS.has(path) ? undefined : unauthorized();
  const expected = Buffer.from(cluster.kubeToken);
  const valid = presented.length === expected.length && timingSafeEqual(presented, expected);
  return valid ? undefined : unauthorized();
}

// ---- responses ----

function json(code: number, body: unknown, headers: Record<string, string> = {}): LabResponse {
  return {
    status: code,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-cache, private', ...headers },
    body: JSON.stringify(body),
  };
}

/** A metav1.Status failure. `details` is omitted when undefined (as in the 401 body). */
function status(code: number, reason: string, message: string, details?: Record<string, unknown>): LabResponse {
  return json(code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  });
}

const unauthorized = (): LabResponse => status(401, 'Unauthorized', 'Unauthorized');
const notFoundPath = (): LabResponse => status(404, 'NotFound', 'the server could not find the requested resource', {});
const notFound = (resource: string, name: string): LabResponse =>
  status(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
const badRequest = (message: string): LabResponse => status(400, 'BadRequest', message);

/** errors.NewInvalid for one field of a TokenRequest. */
function invalid(name: string, field: string, value: string | number, detail: string): LabResponse {
  const cause = `Invalid value: ${typeof value === 'string' ? JSON.stringify(value) : value}: ${detail}`;
  return status(422, 'Invalid', `TokenRequest.authentication.k8s.io "${name}" is invalid: ${field}: ${cause}`, {
    ...(name === '' ? {} : { name }),
    group: 'authentication.k8s.io',
    kind: 'TokenRequest',
    causes: [{ reason: 'FieldValueInvalid', message: cause, field }],
  });
}

// ---- objects ----

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const digest = (...parts: string[]): string => createHash('sha256').update(parts.join('\0')).digest('hex');
const uid = (h: string): string =>
  `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;

/** When the cluster's objects were "created": the first time this cluster object was served. */
const createdAt = new WeakMap<LabCluster, Date>();
function creationTimestamp(cluster: LabCluster): string {
  let at = createdAt.get(cluster);
  if (at === undefined) createdAt.set(cluster, (at = new Date()));
  return rfc3339(at);
}

function objectMeta(cluster: LabCluster, kind: string, name: string, namespace: string | undefined, content = '') {
  const h = digest(cluster.name, kind, namespace ?? '', name);
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    uid: uid(h),
    resourceVersion: String(parseInt(digest(h, content).slice(0, 8), 16)),
    creationTimestamp: creationTimestamp(cluster),
  };
}

function namespacesOf(cluster: LabCluster): Set<string> {
  const keys = [...cluster.serviceAccounts, ...cluster.secrets.keys()];
  return new Set(['default', 'kube-system', ...keys.map((k) => k.split('/')[0] as string)]);
}

// ---- actions ----

function openidConfiguration({ ctx, cluster }: Call): Promise<LabResponse> {
  return clusterJwks(cluster).then(({ keys }) =>
    json(
      200,
      {
        issuer: cluster.issuer,
        jwks_uri: `${ctx.endpoint}/_clusters/${encodeURIComponent(cluster.name)}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [...new Set(keys.map((k) => k.alg as string))].sort(),
      },
      { 'cache-control': 'public, max-age=3600' },
    ),
  );
}

async function jwks({ cluster }: Call): Promise<LabResponse> {
  return json(200, await clusterJwks(cluster), {
    'content-type': 'application/jwk-set+json',
    'cache-control': 'public, max-age=3600',
  });
}

function apiVersions({ ctx }: Call): LabResponse {
  return json(200, {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: new URL(ctx.endpoint).host }],
  });
}

function getNamespace({ cluster, params }: Call): LabResponse {
  const ns = params.ns as string;
  if (!namespacesOf(cluster).has(ns)) return notFound('namespaces', ns);
  return json(200, {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: { ...objectMeta(cluster, 'Namespace', ns, undefined), labels: { 'kubernetes.io/metadata.name': ns } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
}

function getSecret({ cluster, params }: Call): LabResponse {
  const { ns, name } = params as { ns: string; name: string };
  const values = cluster.secrets.get(`${ns}/${name}`);
  if (values === undefined) return notFound('secrets', name);
  const data = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return json(200, {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: objectMeta(cluster, 'Secret', name, ns, JSON.stringify(data)),
    data,
    type: 'Opaque',
  });
}

function serviceAccount(cluster: LabCluster, ns: string, name: string) {
  return { metadata: objectMeta(cluster, 'ServiceAccount', name, ns) };
}

function getServiceAccount({ cluster, params }: Call): LabResponse {
  const { ns, name } = params as { ns: string; name: string };
  if (!cluster.serviceAccounts.has(`${ns}/${name}`)) return notFound('serviceaccounts', name);
  return json(200, { kind: 'ServiceAccount', apiVersion: 'v1', ...serviceAccount(cluster, ns, name) });
}

/** List items carry no kind/apiVersion, as on the wire. */
function listServiceAccounts({ cluster, params }: Call): LabResponse {
  const items = [...cluster.serviceAccounts]
    .map((key) => key.split('/') as [string, string])
    .filter(([ns]) => params.ns === undefined || ns === params.ns)
    .sort(([a, x], [b, y]) => a.localeCompare(b) || x.localeCompare(y))
    .map(([ns, name]) => serviceAccount(cluster, ns, name));
  const resourceVersion = String(parseInt(digest(...cluster.serviceAccounts).slice(0, 8), 16));
  return json(200, { kind: 'ServiceAccountList', apiVersion: 'v1', metadata: { resourceVersion }, items });
}

function credentialsRequest(cluster: LabCluster, cr: CredentialsRequestInfo) {
  const spec = {
    secretRef: { name: cr.secretName, namespace: cr.secretNamespace },
    serviceAccountNames: cr.serviceAccounts,
    providerSpec: { apiVersion: CCO_GROUP_VERSION, kind: 'AWSProviderSpec' },
  };
  return {
    apiVersion: CCO_GROUP_VERSION,
    kind: 'CredentialsRequest',
    metadata: objectMeta(cluster, 'CredentialsRequest', cr.name, CCO_NAMESPACE, JSON.stringify(spec)),
    spec,
  };
}

/** Custom resources keep apiVersion and kind on each list item. Every CredentialsRequest lives in the CCO's namespace. */
function listCredentialsRequests({ cluster, params }: Call): LabResponse {
  const items =
    params.ns === undefined || params.ns === CCO_NAMESPACE
      ? [...cluster.credentialsRequests]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((cr) => credentialsRequest(cluster, cr))
      : [];
  const resourceVersion = String(parseInt(digest(...cluster.credentialsRequests.map((c) => c.name)).slice(0, 8), 16));
  return json(200, {
    apiVersion: CCO_GROUP_VERSION,
    kind: 'CredentialsRequestList',
    metadata: { resourceVersion },
    items,
  });
}

function getCredentialsRequest({ cluster, params }: Call): LabResponse {
  const { ns, name } = params as { ns: string; name: string };
  const cr = ns === CCO_NAMESPACE ? cluster.credentialsRequests.find((c) => c.name === name) : undefined;
  if (cr === undefined) {
    return status(404, 'NotFound', `credentialsrequests.${CCO_GROUP} "${name}" not found`, {
      name,
      group: CCO_GROUP,
      kind: 'credentialsrequests',
    });
  }
  return json(200, credentialsRequest(cluster, cr));
}

// ---- TokenRequest ----

interface TokenRequestInput {
  name: string;
  namespace: string;
  audiences: string[];
  expirationSeconds?: number;
  boundObjectRef?: BoundObjectRef;
}

/** POST …/serviceaccounts/{sa}/token, in kube-apiserver's order of checks (registry/core/serviceaccount/storage). */
async function createToken({ req, cluster, params }: Call): Promise<LabResponse> {
  const { ns, name } = params as { ns: string; name: string };
  const input = readTokenRequest(req);
  if ('status' in input) return input;
  if (input.namespace !== '' && input.namespace !== ns) {
    return badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (input.name !== '' && input.name !== name) {
    return invalid(name, 'metadata.name', input.name, 'must match the service account name if specified');
  }
  if (!cluster.serviceAccounts.has(`${ns}/${name}`)) return notFound('serviceaccounts', name);
  // --api-audiences defaults to the issuer, and an empty spec.audiences to the API audiences.
  const audiences = input.audiences.length > 0 ? input.audiences : [cluster.issuer];
  const expirationSeconds = input.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (expirationSeconds < MIN_EXPIRATION_SECONDS) {
    return invalid('', 'spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes');
  }
  if (expirationSeconds > MAX_EXPIRATION_SECONDS) {
    return invalid(
      '',
      'spec.expirationSeconds',
      expirationSeconds,
      'may not specify a duration larger than 2^32 seconds',
    );
  }
  if (input.boundObjectRef !== undefined) return refuseBinding(cluster, ns, name, input.boundObjectRef);
  const now = new Date();
  const minted = await signServiceAccountToken(cluster, {
    namespace: ns,
    serviceAccount: name,
    audiences,
    expirationSeconds,
    now,
  });
  return json(201, {
    kind: 'TokenRequest',
    apiVersion: TOKEN_REQUEST_API_VERSION,
    metadata: { name, namespace: ns, creationTimestamp: rfc3339(now) },
    spec: { audiences, expirationSeconds, boundObjectRef: null },
    status: { token: minted.token, expirationTimestamp: rfc3339(minted.expirationTimestamp) },
  });
}

/**
 * The lab has no pods or nodes, so binding to them fails as it would for a missing object; binding to a secret that
 * exists is refused (the lab does not mint secret-bound claims).
 */
function refuseBinding(cluster: LabCluster, ns: string, sa: string, ref: BoundObjectRef): LabResponse {
  const core = ref.apiVersion === 'v1' || ref.apiVersion === '';
  if (core && ref.kind === 'Pod') return notFound('pods', ref.name);
  if (core && ref.kind === 'Node') return notFound('nodes', ref.name);
  if (core && ref.kind === 'Secret') {
    if (!cluster.secrets.has(`${ns}/${ref.name}`)) return notFound('secrets', ref.name);
    return badRequest(`the lab does not bind tokens for serviceaccount "${sa}" to secrets`);
  }
  const gv = ref.apiVersion.includes('/') ? ref.apiVersion : `/${ref.apiVersion}`;
  return badRequest(`cannot bind token for serviceaccount "${sa}" to object of type ${gv}, Kind=${ref.kind}`);
}

/** The request body by Content-Type: JSON (client-node, curl), YAML, or kubectl's protobuf (STACK 8). */
function readTokenRequest(req: LabRequest): TokenRequestInput | LabResponse {
  const mediaType = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/vnd.kubernetes.protobuf') {
    try {
      const decoded = decodeTokenRequest(req.body);
      return checkTypeMeta(decoded.apiVersion, decoded.kind) ?? decoded;
    } catch (err) {
      return badRequest(`TokenRequest in version "v1" cannot be handled as a TokenRequest: ${(err as Error).message}`);
    }
  }
  if (mediaType !== 'application/json' && mediaType !== 'application/yaml' && mediaType !== '') {
    return status(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      {},
    );
  }
  let body: unknown;
  try {
    body =
      mediaType === 'application/yaml' ? parseYaml(req.body.toString('utf8')) : JSON.parse(req.body.toString('utf8'));
  } catch (err) {
    return badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  return fromObject(body);
}

function checkTypeMeta(apiVersion: string, kind: string): LabResponse | undefined {
  if (apiVersion !== '' && apiVersion !== TOKEN_REQUEST_API_VERSION) {
    return badRequest(
      `the API version in the data (${apiVersion}) does not match the expected API version (${TOKEN_REQUEST_API_VERSION})`,
    );
  }
  if (kind !== '' && kind !== 'TokenRequest') {
    return badRequest(
      `${kind} in version "v1" cannot be handled as a TokenRequest: no kind "${kind}" is registered for version "${TOKEN_REQUEST_API_VERSION}"`,
    );
  }
  return undefined;
}

const goType = (v: unknown): string =>
  Array.isArray(v)
    ? 'array'
    : v === null
      ? 'null'
      : typeof v === 'boolean'
        ? 'bool'
        : typeof v === 'number'
          ? `number ${v}`
          : typeof v;

/** Go-style unmarshal of the fields the lab reads from a JSON/YAML TokenRequest. */
function fromObject(body: unknown): TokenRequestInput | LabResponse {
  const cannot = (field: string, type: string, v: unknown): LabResponse =>
    badRequest(
      `TokenRequest in version "v1" cannot be handled as a TokenRequest: json: cannot unmarshal ${goType(v)} into Go struct field ${field} of type ${type}`,
    );
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return cannot('.', 'v1.TokenRequest', body);
  const { apiVersion = '', kind = '', metadata = {}, spec = {} } = body as Record<string, unknown>;
  if (typeof apiVersion !== 'string') return cannot('TokenRequest.apiVersion', 'string', apiVersion);
  if (typeof kind !== 'string') return cannot('TokenRequest.kind', 'string', kind);
  const typeError = checkTypeMeta(apiVersion, kind);
  if (typeError !== undefined) return typeError;
  const meta = (metadata ?? {}) as Record<string, unknown>;
  const s = (spec ?? {}) as Record<string, unknown>;
  if (typeof meta !== 'object' || Array.isArray(meta)) return cannot('TokenRequest.metadata', 'v1.ObjectMeta', meta);
  if (typeof s !== 'object' || Array.isArray(s)) return cannot('TokenRequest.spec', 'v1.TokenRequestSpec', s);
  const { name = '', namespace = '' } = meta;
  if (typeof name !== 'string') return cannot('ObjectMeta.metadata.name', 'string', name);
  if (typeof namespace !== 'string') return cannot('ObjectMeta.metadata.namespace', 'string', namespace);
  const audiences = s.audiences ?? [];
  if (!Array.isArray(audiences)) return cannot('TokenRequestSpec.spec.audiences', '[]string', audiences);
  const badAudience = (audiences as unknown[]).find((a) => typeof a !== 'string');
  if (badAudience !== undefined) return cannot('TokenRequestSpec.spec.audiences', 'string', badAudience);
  const exp = s.expirationSeconds ?? undefined;
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isInteger(exp) || Math.abs(exp) > 2 ** 63)) {
    return cannot('TokenRequestSpec.spec.expirationSeconds', 'int64', exp);
  }
  const ref = s.boundObjectRef ?? undefined;
  if (ref !== undefined && (typeof ref !== 'object' || Array.isArray(ref))) {
    return cannot('TokenRequestSpec.spec.boundObjectRef', 'v1.BoundObjectReference', ref);
  }
  const r = (ref ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    name,
    namespace,
    audiences: audiences as string[],
    ...(exp === undefined ? {} : { expirationSeconds: exp }),
    ...(ref === undefined
      ? {}
      : { boundObjectRef: { kind: str(r.kind), apiVersion: str(r.apiVersion), name: str(r.name) } }),
  };
}
