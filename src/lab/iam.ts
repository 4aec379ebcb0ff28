// The lab's IAM (awsQuery, AWS-FACTS 2): OIDC providers, roles with their trust and inline policies, GetUser.
// Every call is signed and authorized by the caller's identity policy; writes are recorded in CloudTrail (us-east-1).
import { X509Certificate, randomInt } from 'node:crypto';
import { authorizeIdentity } from './authz.ts';
import { recordEvent } from './cloudtrail.ts';
import { MalformedPolicyError, parsePolicy } from './policy.ts';
import type { LabState, OidcProvider, Role } from './state.ts';
import { formList, parseForm, queryError, xmlResponse } from './wire.ts';
import type { LabContext, LabHandler, LabRequest, LabResponse } from './wire.ts';

const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const IAM_VERSION = '2010-05-08';
/** IAM is a global service: its CloudTrail events land in us-east-1. */
const IAM_TRAIL_REGION = 'us-east-1';
/** LabUser has no creation date; users are reported as created when the lab started. */
const LAB_STARTED = new Date();

type Tag = { Key: string; Value: string };

/** An AWS error raised inside an operation; the handler turns it into the awsQuery error body. */
class IamError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

interface IamCall {
  ctx: LabContext;
  state: LabState;
  req: LabRequest;
  form: Record<string, string>;
}

interface IamOperation {
  /** Writes are recorded in CloudTrail. */
  write: boolean;
  /** The ARN the `iam:<Action>` permission is checked against (may raise validation errors first). */
  resource(call: IamCall): string;
  /** The `<Action>Result` content (undefined for operations without one) and CloudTrail's responseElements. */
  run(call: IamCall): { result?: Record<string, unknown>; responseElements?: Record<string, unknown> };
}

// -------------------------------------------------------------------------------------------------------------------
// Parameters. Not in AWS-FACTS: the validation-layer wording below is AWS's usual "N validation error(s) detected" form.

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

function validationError(value: string | null, member: string, constraint: string): IamError {
  const shown = value === null ? 'null' : `'${value}'`;
  return new IamError(
    400,
    'ValidationError',
    `1 validation error detected: Value ${shown} at '${lowerFirst(member)}' failed to satisfy constraint: Member must ${constraint}`,
  );
}

function required(form: Record<string, string>, name: string): string {
  const value = form[name];
  if (value === undefined) throw validationError(null, name, 'not be null');
  return value;
}

function checkName(value: string, member: string, max: number): string {
  if (value.length < 1) throw validationError(value, member, 'have length greater than or equal to 1');
  if (value.length > max) throw validationError(value, member, `have length less than or equal to ${max}`);
  if (!/^[\w+=,.@-]+$/.test(value)) {
    throw validationError(value, member, 'satisfy regular expression pattern: [\\w+=,.@-]+');
  }
  return value;
}

function integerParam(form: Record<string, string>, name: string, min: number, max: number): number | undefined {
  const raw = form[name];
  if (raw === undefined) return undefined;
  const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (Number.isNaN(n)) throw validationError(raw, name, 'be an integer');
  if (n < min) throw validationError(raw, name, `have value greater than or equal to ${min}`);
  if (n > max) throw validationError(raw, name, `have value less than or equal to ${max}`);
  return n;
}

/** Tags.member.N.Key / Tags.member.N.Value */
function tagsParam(form: Record<string, string>): Tag[] {
  const tags: Tag[] = [];
  for (let i = 1; form[`Tags.member.${i}.Key`] !== undefined; i++) {
    tags.push({ Key: form[`Tags.member.${i}.Key`] as string, Value: form[`Tags.member.${i}.Value`] ?? '' });
  }
  if (tags.length > 50) throw validationError(null, 'Tags', 'have length less than or equal to 50');
  return tags;
}

/** Tags are unique by key; later values replace earlier ones. IAM lists them sorted by key (AWS-FACTS 2.1). */
function mergeTags(current: Tag[], added: Tag[]): Tag[] {
  const byKey = new Map(current.map((t) => [t.Key, t.Value]));
  for (const t of added) byKey.set(t.Key, t.Value);
  return [...byKey]
    .map(([Key, Value]) => ({ Key, Value }))
    .sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
}

function policyParam(form: Record<string, string>, name: string, kind: 'identity' | 'trust'): string {
  const text = required(form, name);
  try {
    parsePolicy(text, kind);
  } catch (err) {
    if (err instanceof MalformedPolicyError) throw new IamError(400, 'MalformedPolicyDocument', err.message);
    throw err;
  }
  return text;
}

// -------------------------------------------------------------------------------------------------------------------
// XML pieces: lists are <member> elements (AWS-FACTS 2.1); an empty list is an empty element.

const members = (items: unknown[]): unknown => (items.length > 0 ? { member: items } : '');
const isoMillis = (d: Date): string => d.toISOString();

function roleXml(role: Role, withTags: boolean): Record<string, unknown> {
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: isoMillis(role.createdAt),
    // IAM returns policy documents URL-encoded (RFC 3986).
    AssumeRolePolicyDocument: encodeURIComponent(role.assumeRolePolicy),
    ...(role.description ? { Description: role.description } : {}),
    MaxSessionDuration: role.maxSessionDuration,
    ...(withTags && role.tags.length > 0 ? { Tags: members(role.tags) } : {}),
  };
}

// -------------------------------------------------------------------------------------------------------------------
// OIDC providers (AWS-FACTS 2.1)

const providerArnOf = (state: LabState, url: string): string => `arn:aws:iam::${state.accountId}:oidc-provider/${url}`;

function providerParam(call: IamCall): string {
  return required(call.form, 'OpenIDConnectProviderArn');
}

function findProvider(call: IamCall): OidcProvider {
  const arn = providerParam(call);
  const provider = call.state.providers.get(arn);
  if (!provider) throw new IamError(404, 'NoSuchEntity', `OpenIDConnect Provider not found for arn ${arn}`);
  return provider;
}

function clientIdsParam(ids: string[]): string[] {
  for (const id of ids) {
    if (id.length < 1 || id.length > 255) throw validationError(id, 'ClientIDList', 'have length between 1 and 255');
  }
  if (ids.length > 100) {
    throw new IamError(409, 'LimitExceeded', 'Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100');
  }
  return ids;
}

/** AWS-FACTS 2.1: exactly 40 (hex) characters, at most five. */
function thumbprintsParam(prints: string[]): string[] {
  for (const p of prints) {
    if (!/^[0-9A-Fa-f]{40}$/.test(p)) throw validationError(p, 'ThumbprintList', 'be 40 hexadecimal characters');
  }
  if (prints.length > 5) {
    throw new IamError(409, 'LimitExceeded', 'Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: 5');
  }
  return prints;
}

/**
 * AWS-FACTS 2.1: without a ThumbprintList IAM uses the top intermediate CA of the issuer's chain; in the lab every
 * issuer is served under the lab CA, so that is its SHA-1 (lower-case hex as in the API sample).
 */
function labCaThumbprint(ctx: LabContext): string[] {
  try {
    return [new X509Certificate(ctx.caPem).fingerprint.replaceAll(':', '').toLowerCase()];
  } catch {
    return [];
  }
}

const createOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: (call) => {
    const url = required(call.form, 'Url');
    // AWS-FACTS 1.3: must begin https://, no query. IAM's wording is NOT FOUND. Ports are allowed here (IAM refuses
    // them) because every lab issuer is https://127.0.0.1:PORT/….
    if (!url.startsWith('https://') || url.includes('?') || url.includes('#') || url.length > 255) {
      throw new IamError(400, 'InvalidInput', `Invalid Url ${url}: it must begin with https:// and have no query`);
    }
    return providerArnOf(call.state, url.slice('https://'.length));
  },
  run: (call) => {
    const url = (call.form.Url as string).slice('https://'.length);
    const arn = providerArnOf(call.state, url);
    if (call.state.providerByUrl(url) || call.state.providers.has(arn)) {
      throw new IamError(409, 'EntityAlreadyExists', `Provider with url https://${url} already exists.`);
    }
    const prints = thumbprintsParam(formList(call.form, 'ThumbprintList'));
    const provider: OidcProvider = {
      arn,
      url,
      clientIds: [...new Set(clientIdsParam(formList(call.form, 'ClientIDList')))],
      thumbprints: prints.length > 0 ? prints : labCaThumbprint(call.ctx),
      createdAt: new Date(),
      tags: mergeTags([], tagsParam(call.form)),
    };
    call.state.providers.set(arn, provider);
    return {
      result: { OpenIDConnectProviderArn: arn, ...(provider.tags.length > 0 ? { Tags: members(provider.tags) } : {}) },
      responseElements: { openIDConnectProviderArn: arn },
    };
  },
};

const getOpenIDConnectProvider: IamOperation = {
  write: false,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    // Element order of samples/iam-GetOpenIDConnectProvider-response-apiref.xml; Url without scheme.
    return {
      result: {
        ThumbprintList: members(p.thumbprints),
        CreateDate: isoMillis(p.createdAt),
        ClientIDList: members(p.clientIds),
        Url: p.url,
        ...(p.tags.length > 0 ? { Tags: members(mergeTags([], p.tags)) } : {}),
      },
    };
  },
};

const listOpenIDConnectProviders: IamOperation = {
  write: false,
  resource: () => '*',
  run: (call) => ({
    result: {
      OpenIDConnectProviderList: members([...call.state.providers.keys()].sort().map((Arn) => ({ Arn }))),
    },
  }),
};

const deleteOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    call.state.providers.delete(findProvider(call).arn);
    return {};
  },
};

const addClientIDToOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    const [id] = clientIdsParam([required(call.form, 'ClientID')]);
    if (id !== undefined && !p.clientIds.includes(id)) p.clientIds = clientIdsParam([...p.clientIds, id]);
    return {};
  },
};

const removeClientIDFromOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    const id = required(call.form, 'ClientID');
    p.clientIds = p.clientIds.filter((c) => c !== id);
    return {};
  },
};

const updateOpenIDConnectProviderThumbprint: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    const prints = thumbprintsParam(formList(call.form, 'ThumbprintList'));
    if (prints.length === 0) throw validationError(null, 'ThumbprintList', 'not be null');
    p.thumbprints = prints;
    return {};
  },
};

const tagOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    p.tags = mergeTags(p.tags, tagsParam(call.form));
    return {};
  },
};

const untagOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    const keys = new Set(formList(call.form, 'TagKeys'));
    p.tags = p.tags.filter((t) => !keys.has(t.Key));
    return {};
  },
};

const listOpenIDConnectProviderTags: IamOperation = {
  write: false,
  resource: providerParam,
  run: (call) => ({ result: { Tags: members(mergeTags([], findProvider(call).tags)), IsTruncated: false } }),
};

// -------------------------------------------------------------------------------------------------------------------
// Roles

/** Inline role policies (PutRolePolicy), kept beside the state until Role gets a field of its own. */
const inlinePolicies = new WeakMap<Role, Map<string, string>>();
const policiesOf = (role: Role): Map<string, string> => {
  const existing = inlinePolicies.get(role);
  if (existing) return existing;
  const created = new Map<string, string>();
  inlinePolicies.set(role, created);
  return created;
};

function roleNameParam(call: IamCall): string {
  return checkName(required(call.form, 'RoleName'), 'RoleName', 64);
}

const roleArnOf = (state: LabState, path: string, name: string): string =>
  `arn:aws:iam::${state.accountId}:role${path}${name}`;

/** The ARN a role call is authorized against: the existing role's, else one with the root path. */
function roleResource(call: IamCall): string {
  const name = roleNameParam(call);
  return call.state.roles.get(name)?.arn ?? roleArnOf(call.state, '/', name);
}

function findRole(call: IamCall): Role {
  const name = roleNameParam(call);
  const role = call.state.roles.get(name);
  if (!role) throw new IamError(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
  return role;
}

function pathParam(form: Record<string, string>, name: string): string {
  const path = form[name] ?? '/';
  if (path.length > 512 || !/^\/([\x21-\x7e]*\/)?$/.test(path)) {
    throw validationError(
      path,
      name,
      'satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)',
    );
  }
  return path;
}

const ROLE_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const createRole: IamOperation = {
  write: true,
  resource: (call) => roleArnOf(call.state, pathParam(call.form, 'Path'), roleNameParam(call)),
  run: (call) => {
    const name = roleNameParam(call);
    // Role names are unique regardless of case.
    if ([...call.state.roles.keys()].some((n) => n.toLowerCase() === name.toLowerCase())) {
      throw new IamError(409, 'EntityAlreadyExists', `Role with name ${name} already exists.`);
    }
    const description = call.form.Description ?? '';
    if (description.length > 1000)
      throw validationError(description, 'Description', 'have length less than or equal to 1000');
    const path = pathParam(call.form, 'Path');
    const role: Role = {
      name,
      arn: roleArnOf(call.state, path, name),
      roleId: 'AROA' + Array.from({ length: 17 }, () => ROLE_ID_ALPHABET[randomInt(ROLE_ID_ALPHABET.length)]).join(''),
      path,
      assumeRolePolicy: policyParam(call.form, 'AssumeRolePolicyDocument', 'trust'),
      description,
      maxSessionDuration: integerParam(call.form, 'MaxSessionDuration', 3600, 43200) ?? 3600,
      createdAt: new Date(),
      tags: mergeTags([], tagsParam(call.form)),
    };
    call.state.roles.set(name, role);
    return {
      result: { Role: roleXml(role, true) },
      responseElements: {
        role: { path, roleName: name, roleId: role.roleId, arn: role.arn, createDate: isoMillis(role.createdAt) },
      },
    };
  },
};

const getRole: IamOperation = {
  write: false,
  resource: roleResource,
  run: (call) => ({ result: { Role: roleXml(findRole(call), true) } }),
};

const listRoles: IamOperation = {
  write: false,
  resource: (call) => `arn:aws:iam::${call.state.accountId}:role/`,
  run: (call) => {
    const prefix = pathParamPrefix(call.form);
    const maxItems = integerParam(call.form, 'MaxItems', 1, 1000) ?? 100;
    const roles = [...call.state.roles.values()]
      .filter((r) => r.path.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // The Marker is opaque to clients: here, the name of the next role to list.
    let start = 0;
    if (call.form.Marker !== undefined) {
      const next = Buffer.from(call.form.Marker, 'base64url').toString('utf8');
      start = roles.findIndex((r) => r.name === next);
      if (start < 0) throw new IamError(400, 'ValidationError', 'Invalid Marker.');
    }
    const page = roles.slice(start, start + maxItems);
    const following = roles[start + maxItems];
    return {
      result: {
        // ListRoles does not return tags.
        Roles: members(page.map((r) => roleXml(r, false))),
        IsTruncated: following !== undefined,
        ...(following ? { Marker: Buffer.from(following.name).toString('base64url') } : {}),
      },
    };
  },
};

function pathParamPrefix(form: Record<string, string>): string {
  const prefix = form.PathPrefix ?? '/';
  if (!prefix.startsWith('/'))
    throw validationError(prefix, 'PathPrefix', 'satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*');
  return prefix;
}

const deleteRole: IamOperation = {
  write: true,
  resource: roleResource,
  run: (call) => {
    const role = findRole(call);
    if (policiesOf(role).size > 0)
      throw new IamError(409, 'DeleteConflict', 'Cannot delete entity, must delete policies first.');
    call.state.roles.delete(role.name);
    return {};
  },
};

const updateAssumeRolePolicy: IamOperation = {
  write: true,
  resource: roleResource,
  run: (call) => {
    const role = findRole(call);
    role.assumeRolePolicy = policyParam(call.form, 'PolicyDocument', 'trust');
    return {};
  },
};

const policyNameParam = (call: IamCall): string => checkName(required(call.form, 'PolicyName'), 'PolicyName', 128);

function findRolePolicy(call: IamCall): { role: Role; name: string; document: string } {
  const role = findRole(call);
  const name = policyNameParam(call);
  const document = policiesOf(role).get(name);
  if (document === undefined)
    throw new IamError(404, 'NoSuchEntity', `The role policy with name ${name} cannot be found.`);
  return { role, name, document };
}

const putRolePolicy: IamOperation = {
  write: true,
  resource: roleResource,
  run: (call) => {
    const role = findRole(call);
    const name = policyNameParam(call);
    policiesOf(role).set(name, policyParam(call.form, 'PolicyDocument', 'identity'));
    return {};
  },
};

const getRolePolicy: IamOperation = {
  write: false,
  resource: roleResource,
  run: (call) => {
    const { role, name, document } = findRolePolicy(call);
    return { result: { RoleName: role.name, PolicyName: name, PolicyDocument: encodeURIComponent(document) } };
  },
};

const deleteRolePolicy: IamOperation = {
  write: true,
  resource: roleResource,
  run: (call) => {
    const { role, name } = findRolePolicy(call);
    policiesOf(role).delete(name);
    return {};
  },
};

const listRolePolicies: IamOperation = {
  write: false,
  resource: roleResource,
  run: (call) => ({
    result: { PolicyNames: members([...policiesOf(findRole(call)).keys()].sort()), IsTruncated: false },
  }),
};

// -------------------------------------------------------------------------------------------------------------------
// Users

/** The user named by UserName, else the signing user; sessions must name one. */
function userNameOf(call: IamCall): string {
  const given = call.form.UserName;
  if (given !== undefined) return checkName(given, 'UserName', 64);
  if (call.req.caller.kind === 'user') return call.req.caller.user.name;
  throw new IamError(400, 'ValidationError', 'Must specify userName when calling with non-User credentials');
}

const getUser: IamOperation = {
  write: false,
  resource: (call) => `arn:aws:iam::${call.state.accountId}:user/${userNameOf(call)}`,
  run: (call) => {
    const name = userNameOf(call);
    const user = call.state.users.get(name);
    if (!user) throw new IamError(404, 'NoSuchEntity', `The user with name ${name} cannot be found.`);
    return {
      result: {
        User: {
          Path: '/',
          UserName: user.name,
          UserId: user.userId,
          Arn: user.arn,
          CreateDate: isoMillis(LAB_STARTED),
        },
      },
    };
  },
};

const OPERATIONS: Record<string, IamOperation> = {
  CreateOpenIDConnectProvider: createOpenIDConnectProvider,
  GetOpenIDConnectProvider: getOpenIDConnectProvider,
  ListOpenIDConnectProviders: listOpenIDConnectProviders,
  DeleteOpenIDConnectProvider: deleteOpenIDConnectProvider,
  AddClientIDToOpenIDConnectProvider: addClientIDToOpenIDConnectProvider,
  RemoveClientIDFromOpenIDConnectProvider: removeClientIDFromOpenIDConnectProvider,
  UpdateOpenIDConnectProviderThumbprint: updateOpenIDConnectProviderThumbprint,
  TagOpenIDConnectProvider: tagOpenIDConnectProvider,
  UntagOpenIDConnectProvider: untagOpenIDConnectProvider,
  ListOpenIDConnectProviderTags: listOpenIDConnectProviderTags,
  CreateRole: createRole,
  GetRole: getRole,
  ListRoles: listRoles,
  DeleteRole: deleteRole,
  UpdateAssumeRolePolicy: updateAssumeRolePolicy,
  PutRolePolicy: putRolePolicy,
  GetRolePolicy: getRolePolicy,
  DeleteRolePolicy: deleteRolePolicy,
  ListRolePolicies: listRolePolicies,
  GetUser: getUser,
};

// -------------------------------------------------------------------------------------------------------------------

/** CloudTrail requestParameters from the form: camelCase names, `X.member.N` lists as arrays, tags as {key, value}. */
function trailParameters(form: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(form)) {
    if (key === 'Action' || key === 'Version') continue;
    const list = /^(\w+)\.member\.(\d+)(?:\.(\w+))?$/.exec(key);
    if (!list) {
      out[lowerFirst(key)] = value;
      continue;
    }
    const [, name = '', index = '1', field] = list;
    const items = (out[lowerFirst(name)] ??= []) as unknown[];
    const i = Number(index) - 1;
    if (field === undefined) items[i] = value;
    else items[i] = { ...(items[i] as Record<string, string> | undefined), [lowerFirst(field)]: value };
  }
  return out;
}

export function createIamHandler(ctx: LabContext): LabHandler {
  return (req) => {
    const form = parseForm(req.body);
    const action = form.Action ?? '';
    const op = Object.hasOwn(OPERATIONS, action) ? OPERATIONS[action] : undefined;
    if (!op)
      return iamError(
        req,
        new IamError(400, 'InvalidAction', `Could not find operation ${action} for version ${IAM_VERSION}`),
      );
    // Not in AWS-FACTS: AWS's answer to an unsigned request to a signed operation.
    if (req.caller.kind === 'anonymous') {
      return iamError(req, new IamError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token'));
    }
    const call: IamCall = { ctx, state: ctx.state, req, form };
    const trail = (fields: { responseElements?: Record<string, unknown>; error?: IamError }) => {
      if (!op.write) return;
      recordEvent(ctx.state, {
        req,
        eventSource: 'iam.amazonaws.com',
        eventName: action,
        readOnly: false,
        requestParameters: trailParameters(form),
        responseElements: fields.responseElements ?? null,
        ...(fields.error ? { errorCode: fields.error.code, errorMessage: fields.error.message } : {}),
        region: IAM_TRAIL_REGION,
      });
    };
    try {
      const authz = authorizeIdentity(ctx.state, req.caller, `iam:${action}`, op.resource(call));
      if (!authz.allowed) throw new IamError(403, 'AccessDenied', authz.message);
      const { result, responseElements } = op.run(call);
      trail(responseElements ? { responseElements } : {});
      return xmlResponse(
        200,
        {
          [`${action}Response`]: {
            '@_xmlns': IAM_XMLNS,
            ...(result ? { [`${action}Result`]: result } : {}),
            ResponseMetadata: { RequestId: req.requestId },
          },
        },
        req.requestId,
      );
    } catch (err) {
      const error =
        err instanceof IamError
          ? err
          : new IamError(500, 'ServiceFailure', 'The request processing has failed because of an unknown error.');
      trail({ error });
      return iamError(req, error);
    }
  };
}

function iamError(req: LabRequest, err: IamError): LabResponse {
  return queryError(
    err.status,
    err.code,
    err.message,
    req.requestId,
    IAM_XMLNS,
    err.status >= 500 ? 'Receiver' : 'Sender',
  );
}
