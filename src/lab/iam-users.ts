// IAM user operations: GetUser for the lab's users (and the root user's own).
import { IamError, checkName, isoMillis } from './iam-wire.ts';
import type { IamCall, IamOperation } from './iam-wire.ts';

/** LabUser has no creation date; users are reported as created when the lab started. */
const LAB_STARTED = new Date();

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
    const caller = call.req.caller;
    // The root user's own GetUser: its account id and root ARN, no user name or path (it is not an IAM user).
    if (call.form.UserName === undefined && caller.kind === 'user' && caller.user.root) {
      return {
        result: { User: { UserId: caller.user.userId, Arn: caller.user.arn, CreateDate: isoMillis(LAB_STARTED) } },
      };
    }
    const name = userNameOf(call);
    const user = call.state.users.get(name);
    if (!user || user.root) throw new IamError(404, 'NoSuchEntity', `The user with name ${name} cannot be found.`);
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

export const USER_OPERATIONS: Record<string, IamOperation> = { GetUser: getUser };
