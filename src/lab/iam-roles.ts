// IAM role operations: create, get, list, delete, trust policy, and the role's inline policies.
import { randomInt } from 'node:crypto';
import {
  IamError,
  checkName,
  integerParam,
  isoMillis,
  members,
  mergeTags,
  policyParam,
  required,
  tagsParam,
  validationError,
} from './iam-wire.ts';
import type { IamCall, IamOperation } from './iam-wire.ts';
import type { LabState, Role } from './state.ts';

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
      policies: new Map(),
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
    if (role.policies.size > 0)
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
  const document = role.policies.get(name);
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
    role.policies.set(name, policyParam(call.form, 'PolicyDocument', 'identity'));
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
    role.policies.delete(name);
    return {};
  },
};

const listRolePolicies: IamOperation = {
  write: false,
  resource: roleResource,
  run: (call) => ({
    result: { PolicyNames: members([...findRole(call).policies.keys()].sort()), IsTruncated: false },
  }),
};

export const ROLE_OPERATIONS: Record<string, IamOperation> = {
  CreateRole: createRole,
  GetRole: getRole,
  ListRoles: listRoles,
  DeleteRole: deleteRole,
  UpdateAssumeRolePolicy: updateAssumeRolePolicy,
  PutRolePolicy: putRolePolicy,
  GetRolePolicy: getRolePolicy,
  DeleteRolePolicy: deleteRolePolicy,
  ListRolePolicies: listRolePolicies,
};
