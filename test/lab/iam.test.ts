// IAM handler: OIDC providers and roles over awsQuery, authorization by identity policy, CloudTrail write events.
// Expected shapes come from docs/aws-facts.md section 2 and samples/iam-GetOpenIDConnectProvider-response-apiref.xml.
import { beforeEach, describe, expect, it } from 'vitest';
import { createIamHandler } from '../../src/lab/iam.ts';
import type { LabContext, LabHandler } from '../../src/lab/wire.ts';
import { asUser, labContext, labRequest } from '../helpers/lab-request.ts';
import { at, xmlParser } from '../helpers/xml.ts';

const XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const ACCOUNT = '111122223333';
const ISSUER = 'https://oidc.example.com/id/A8242F25BFBB8F98F5321B2AE63C8B5C';
const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.example.com/id/A8242F25BFBB8F98F5321B2AE63C8B5C`;
const THUMBPRINT = '9e99a48a9960b14926bb7f3b02e22da2b0ab7280';

/** One field of each <member> of a list. */
const fieldOf = (list: unknown, field: string): unknown[] => (Array.isArray(list) ? list.map((m) => at(m, field)) : []);

let ctx: LabContext;
let iam: LabHandler;

beforeEach(() => {
  ctx = labContext();
  iam = createIamHandler(ctx);
});

async function call(params: Record<string, string>, user: string | null = 'alice') {
  const res = await iam(
    labRequest({
      method: 'POST',
      path: '/',
      headers: { host: 'iam.amazonaws.com', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ Version: '2010-05-08', ...params }).toString(),
      caller: user === null ? { kind: 'anonymous' } : asUser(ctx, user),
    }),
  );
  const xml: unknown = xmlParser.parse(String(res.body));
  const action = params.Action ?? '';
  return {
    status: res.status,
    xml,
    /** The <ActionResult> of a successful call. */
    result: at(xml, `${action}Response.${action}Result`),
  };
}

async function expectOk(params: Record<string, string>, user?: string) {
  const r = await call(params, user);
  expect(r.status, JSON.stringify(r.xml)).toBe(200);
  const resp = at(r.xml, `${params.Action}Response`);
  expect(at(resp, '@_xmlns')).toBe(XMLNS);
  expect(at(resp, 'ResponseMetadata.RequestId')).toMatch(/^[0-9a-f-]{36}$/);
  return r.result;
}

async function expectError(
  params: Record<string, string>,
  status: number,
  code: string,
  message?: string,
  user?: string | null,
) {
  const r = await call(params, user);
  expect(r.status).toBe(status);
  const er = at(r.xml, 'ErrorResponse');
  expect(at(er, '@_xmlns')).toBe(XMLNS);
  expect(at(er, 'Error.Code')).toBe(code);
  if (message !== undefined) expect(at(er, 'Error.Message')).toBe(message);
  else expect(at(er, 'Error.Message')).toMatch(/\S/);
  return at(er, 'Error.Message');
}

const createProvider = () =>
  expectOk({
    Action: 'CreateOpenIDConnectProvider',
    Url: ISSUER,
    'ClientIDList.member.1': 'sts.amazonaws.com',
    'ThumbprintList.member.1': THUMBPRINT,
    'Tags.member.1.Key': 'zone',
    'Tags.member.1.Value': 'b',
    'Tags.member.2.Key': 'Name',
    'Tags.member.2.Value': 'demo',
  });

const getProvider = () => expectOk({ Action: 'GetOpenIDConnectProvider', OpenIDConnectProviderArn: PROVIDER_ARN });

const trustPolicy = (sub: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: PROVIDER_ARN },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { 'oidc.example.com/id/A8242F25BFBB8F98F5321B2AE63C8B5C:sub': sub } },
      },
    ],
  });

describe('IAM OIDC providers (docs/aws-facts.md 2.1)', () => {
  it('creates, gets (Url without scheme), lists and deletes a provider', async () => {
    const created = await createProvider();
    expect(at(created, 'OpenIDConnectProviderArn')).toBe(PROVIDER_ARN);

    const got = await getProvider();
    expect(at(got, 'Url')).toBe('oidc.example.com/id/A8242F25BFBB8F98F5321B2AE63C8B5C');
    expect(at(got, 'ClientIDList.member')).toEqual(['sts.amazonaws.com']);
    expect(at(got, 'ThumbprintList.member')).toEqual([THUMBPRINT]);
    expect(at(got, 'CreateDate')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(at(got, 'Tags.member')).toEqual([
      { Key: 'Name', Value: 'demo' },
      { Key: 'zone', Value: 'b' },
    ]);
    expect(ctx.state.providerByUrl('oidc.example.com/id/A8242F25BFBB8F98F5321B2AE63C8B5C')?.arn).toBe(PROVIDER_ARN);

    const list = await expectOk({ Action: 'ListOpenIDConnectProviders' });
    expect(at(list, 'OpenIDConnectProviderList.member')).toEqual([{ Arn: PROVIDER_ARN }]);

    await expectOk({ Action: 'DeleteOpenIDConnectProvider', OpenIDConnectProviderArn: PROVIDER_ARN });
    await expectError(
      { Action: 'GetOpenIDConnectProvider', OpenIDConnectProviderArn: PROVIDER_ARN },
      404,
      'NoSuchEntity',
      `OpenIDConnect Provider not found for arn ${PROVIDER_ARN}`,
    );
  });

  it('refuses the same URL twice with EntityAlreadyExists 409', async () => {
    await createProvider();
    await expectError(
      { Action: 'CreateOpenIDConnectProvider', Url: ISSUER, 'ClientIDList.member.1': 'openshift' },
      409,
      'EntityAlreadyExists',
      `Provider with url ${ISSUER} already exists.`,
    );
  });

  it('adds and removes client IDs', async () => {
    await createProvider();
    await expectOk({
      Action: 'AddClientIDToOpenIDConnectProvider',
      OpenIDConnectProviderArn: PROVIDER_ARN,
      ClientID: 'openshift',
    });
    expect(at(await getProvider(), 'ClientIDList.member')).toEqual(['sts.amazonaws.com', 'openshift']);
    await expectOk({
      Action: 'RemoveClientIDFromOpenIDConnectProvider',
      OpenIDConnectProviderArn: PROVIDER_ARN,
      ClientID: 'sts.amazonaws.com',
    });
    expect(at(await getProvider(), 'ClientIDList.member')).toEqual(['openshift']);
  });

  it('updates thumbprints and tags', async () => {
    await createProvider();
    const next = 'A'.repeat(40);
    await expectOk({
      Action: 'UpdateOpenIDConnectProviderThumbprint',
      OpenIDConnectProviderArn: PROVIDER_ARN,
      'ThumbprintList.member.1': next,
    });
    expect(at(await getProvider(), 'ThumbprintList.member')).toEqual([next]);
    await expectOk({
      Action: 'TagOpenIDConnectProvider',
      OpenIDConnectProviderArn: PROVIDER_ARN,
      'Tags.member.1.Key': 'alpha',
      'Tags.member.1.Value': '1',
    });
    const tags = await expectOk({ Action: 'ListOpenIDConnectProviderTags', OpenIDConnectProviderArn: PROVIDER_ARN });
    expect(fieldOf(at(tags, 'Tags.member'), 'Key')).toEqual(['Name', 'alpha', 'zone']);
    expect(at(tags, 'IsTruncated')).toBe('false');
  });

  it('refuses a URL that is not https://', async () => {
    await expectError({ Action: 'CreateOpenIDConnectProvider', Url: 'http://oidc.example.com' }, 400, 'InvalidInput');
  });

  it('records provider writes in CloudTrail, us-east-1, iam.amazonaws.com', async () => {
    await createProvider();
    await getProvider();
    expect(ctx.state.trail).toHaveLength(1); // reads are not recorded
    expect(ctx.state.trail[0]!.record).toMatchObject({
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateOpenIDConnectProvider',
      awsRegion: 'us-east-1',
      readOnly: false,
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/alice` },
      requestParameters: { url: ISSUER, clientIDList: ['sts.amazonaws.com'], thumbprintList: [THUMBPRINT] },
      responseElements: { openIDConnectProviderArn: PROVIDER_ARN },
    });
  });
});

describe('IAM roles', () => {
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/app-role`;
  const createRole = (extra: Record<string, string> = {}) =>
    expectOk({
      Action: 'CreateRole',
      RoleName: 'app-role',
      AssumeRolePolicyDocument: trustPolicy('system:serviceaccount:ns:app'),
      Description: 'OpenShift role for ns/app',
      ...extra,
    });

  it('creates, gets, updates the trust policy, and deletes a role', async () => {
    const created = await createRole({ MaxSessionDuration: '7200' });
    expect(at(created, 'Role')).toMatchObject({
      Path: '/',
      RoleName: 'app-role',
      Arn: roleArn,
      MaxSessionDuration: '7200',
    });
    expect(at(created, 'Role.RoleId')).toMatch(/^AROA[A-Z0-9]{17}$/);

    const got = await expectOk({ Action: 'GetRole', RoleName: 'app-role' });
    expect(at(got, 'Role.RoleId')).toBe(at(created, 'Role.RoleId'));
    expect(at(got, 'Role.Description')).toBe('OpenShift role for ns/app');
    expect(at(got, 'Role.CreateDate')).toMatch(/^\d{4}-\d\d-\d\dT/);
    // IAM returns policy documents URL-encoded.
    expect(at(got, 'Role.AssumeRolePolicyDocument')).toMatch(/^%7B%22Version%22%3A%222012-10-17%22/);
    expect(decodeURIComponent(String(at(got, 'Role.AssumeRolePolicyDocument')))).toBe(
      trustPolicy('system:serviceaccount:ns:app'),
    );

    await expectOk({
      Action: 'UpdateAssumeRolePolicy',
      RoleName: 'app-role',
      PolicyDocument: trustPolicy('system:serviceaccount:ns:other'),
    });
    const updated = await expectOk({ Action: 'GetRole', RoleName: 'app-role' });
    expect(decodeURIComponent(String(at(updated, 'Role.AssumeRolePolicyDocument')))).toContain(
      'system:serviceaccount:ns:other',
    );
    expect(ctx.state.roleByArn(roleArn)?.assumeRolePolicy).toContain('system:serviceaccount:ns:other');

    await expectOk({ Action: 'DeleteRole', RoleName: 'app-role' });
    await expectError(
      { Action: 'GetRole', RoleName: 'app-role' },
      404,
      'NoSuchEntity',
      'The role with name app-role cannot be found.',
    );
  });

  it('refuses a duplicate role name with EntityAlreadyExists 409', async () => {
    await createRole();
    await expectError(
      { Action: 'CreateRole', RoleName: 'app-role', AssumeRolePolicyDocument: trustPolicy('x') },
      409,
      'EntityAlreadyExists',
      'Role with name app-role already exists.',
    );
  });

  it('refuses a malformed trust policy with MalformedPolicyDocument 400', async () => {
    await expectError(
      { Action: 'CreateRole', RoleName: 'bad', AssumeRolePolicyDocument: '{not json' },
      400,
      'MalformedPolicyDocument',
    );
    // A trust policy takes no Resource element.
    const withResource = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: PROVIDER_ARN },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Resource: '*',
        },
      ],
    });
    await expectError(
      { Action: 'CreateRole', RoleName: 'bad', AssumeRolePolicyDocument: withResource },
      400,
      'MalformedPolicyDocument',
    );
    expect(ctx.state.roles.has('bad')).toBe(false);
  });

  it('pages ListRoles with MaxItems and Marker', async () => {
    for (const name of ['role-c', 'role-a', 'role-b']) {
      await expectOk({ Action: 'CreateRole', RoleName: name, AssumeRolePolicyDocument: trustPolicy('x') });
    }
    const first = await expectOk({ Action: 'ListRoles', MaxItems: '2' });
    expect(fieldOf(at(first, 'Roles.member'), 'RoleName')).toEqual(['role-a', 'role-b']);
    expect(at(first, 'IsTruncated')).toBe('true');
    expect(typeof at(first, 'Marker')).toBe('string');
    const second = await expectOk({ Action: 'ListRoles', MaxItems: '2', Marker: String(at(first, 'Marker')) });
    expect(fieldOf(at(second, 'Roles.member'), 'RoleName')).toEqual(['role-c']);
    expect(at(second, 'IsTruncated')).toBe('false');
    expect(at(second, 'Marker')).toBeUndefined();
  });

  it('keeps inline role policies (PutRolePolicy / GetRolePolicy / ListRolePolicies) and blocks DeleteRole until removed', async () => {
    await createRole();
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['ec2:DescribeInstances'], Resource: '*' }],
    });
    await expectOk({ Action: 'PutRolePolicy', RoleName: 'app-role', PolicyName: 'app-role', PolicyDocument: policy });
    const got = await expectOk({ Action: 'GetRolePolicy', RoleName: 'app-role', PolicyName: 'app-role' });
    expect(got).toMatchObject({ RoleName: 'app-role', PolicyName: 'app-role' });
    expect(decodeURIComponent(String(at(got, 'PolicyDocument')))).toBe(policy);
    expect(at(await expectOk({ Action: 'ListRolePolicies', RoleName: 'app-role' }), 'PolicyNames.member')).toEqual([
      'app-role',
    ]);
    await expectError(
      { Action: 'DeleteRole', RoleName: 'app-role' },
      409,
      'DeleteConflict',
      'Cannot delete entity, must delete policies first.',
    );
    await expectOk({ Action: 'DeleteRolePolicy', RoleName: 'app-role', PolicyName: 'app-role' });
    await expectOk({ Action: 'DeleteRole', RoleName: 'app-role' });
  });

  it('records CreateRole in CloudTrail with its parameters', async () => {
    await createRole();
    expect(ctx.state.trail[0]!.record).toMatchObject({
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateRole',
      awsRegion: 'us-east-1',
      readOnly: false,
      requestParameters: {
        roleName: 'app-role',
        assumeRolePolicyDocument: trustPolicy('system:serviceaccount:ns:app'),
      },
      responseElements: { role: { roleName: 'app-role', arn: roleArn } },
    });
  });
});

describe('IAM authentication and authorization', () => {
  it('denies CreateRole to the read-only user with the AWS message, and logs it', async () => {
    await expectError(
      { Action: 'CreateRole', RoleName: 'app-role', AssumeRolePolicyDocument: trustPolicy('x') },
      403,
      'AccessDenied',
      `User: arn:aws:iam::${ACCOUNT}:user/sentinel is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::${ACCOUNT}:role/app-role because no identity-based policy allows the iam:CreateRole action`,
      'sentinel',
    );
    expect(ctx.state.roles.has('app-role')).toBe(false);
    expect(ctx.state.trail[0]!.record).toMatchObject({
      eventName: 'CreateRole',
      errorCode: 'AccessDenied',
      awsRegion: 'us-east-1',
    });
  });

  it('lets the read-only user read providers and roles', async () => {
    await createProvider();
    expect(
      at(
        await expectOk({ Action: 'GetOpenIDConnectProvider', OpenIDConnectProviderArn: PROVIDER_ARN }, 'sentinel'),
        'Url',
      ),
    ).toBe('oidc.example.com/id/A8242F25BFBB8F98F5321B2AE63C8B5C');
  });

  it('refuses unsigned calls', async () => {
    await expectError(
      { Action: 'ListRoles' },
      403,
      'MissingAuthenticationToken',
      'Request is missing Authentication Token',
      null,
    );
  });

  it('GetUser without UserName describes the signer', async () => {
    const got = await expectOk({ Action: 'GetUser' });
    expect(at(got, 'User')).toMatchObject({ UserName: 'alice', Arn: `arn:aws:iam::${ACCOUNT}:user/alice`, Path: '/' });
  });

  it('unknown action', async () => {
    await expectError(
      { Action: 'AssumeRole' },
      400,
      'InvalidAction',
      'Could not find operation AssumeRole for version 2010-05-08',
    );
  });
});
