// The lab's IAM (awsQuery, docs/aws-facts.md 2): dispatches to OIDC providers (iam-providers.ts), roles with their trust and
// inline policies (iam-roles.ts) and GetUser (iam-users.ts). Every call is signed and authorized by the caller's
// identity policy; writes are recorded in CloudTrail (us-east-1).
import { authorizeIdentity } from './authz.ts';
import { recordEvent } from './cloudtrail.ts';
import { PROVIDER_OPERATIONS } from './iam-providers.ts';
import { ROLE_OPERATIONS } from './iam-roles.ts';
import { USER_OPERATIONS } from './iam-users.ts';
import { IamError, lowerFirst } from './iam-wire.ts';
import type { IamCall, IamOperation } from './iam-wire.ts';
import { parseForm, queryError, xmlResponse } from './wire.ts';
import type { LabContext, LabHandler, LabRequest, LabResponse } from './wire.ts';

const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const IAM_VERSION = '2010-05-08';
/** IAM is a global service: its CloudTrail events land in us-east-1. */
const IAM_TRAIL_REGION = 'us-east-1';

const OPERATIONS: Record<string, IamOperation> = { ...PROVIDER_OPERATIONS, ...ROLE_OPERATIONS, ...USER_OPERATIONS };

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
    // Not in docs/aws-facts.md: AWS's answer to an unsigned request to a signed operation.
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
