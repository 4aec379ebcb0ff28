// What the public surfaces (the fleet page, summary.json) show while server.access.details needs a token: the one-line
// diagnoses and alert summaries they carry may quote an ARN (who changed a bucket policy, the provider of a failing
// role), and an ARN names its account. There the account id of every ARN is shown as [account]
// (arn:aws:iam::[account]:user/alice); the full text is behind the token. Applied to the body on its way out, like the
// redaction, so the rendered page and the JSON stay valid (the replacement has no character either would escape).
import type { FastifyReply, FastifyRequest } from 'fastify';

/** arn:<partition>:<service>:<region>:<12-digit account>: (the account field of an ARN). */
const ARN_ACCOUNT = /\b(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:)\d{12}:/g;

export const HIDDEN_ACCOUNT = '[account]';

/** `text` with the account id of every ARN in it replaced. */
export const hideAccounts = (text: string): string => text.replace(ARN_ACCOUNT, `$1${HIDDEN_ACCOUNT}:`);

/** An onSend hook for a public route: its body with the accounts hidden when the details need a token. */
export async function hideAccountsUnlessPublic(
  req: FastifyRequest,
  _reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  if (req.server.apiAccess.details === 'public') return payload;
  if (typeof payload === 'string') return hideAccounts(payload);
  if (Buffer.isBuffer(payload)) {
    const text = payload.toString('utf8');
    const hidden = hideAccounts(text);
    return hidden === text ? payload : Buffer.from(hidden);
  }
  return payload;
}
