// The lab's STS (awsQuery, docs/aws-facts.md 1): AssumeRoleWithWebIdentity with STS's own validation, and GetCallerIdentity.
import { randomBytes, randomInt } from 'node:crypto';
import { recordEvent } from './cloudtrail.ts';
import { evaluatePolicy, parsePolicy } from './policy.ts';
import type { LabSession, LabState, PolicyDocument, Role } from './state.ts';
import { parseSessionPolicy, sessionPolicyViolations } from './sts-session-policy.ts';
import { createTokenVerifier } from './sts-token.ts';
import type { TokenVerifier, ValidatedToken } from './sts-token.ts';
import { parseForm, queryError, xmlResponse } from './wire.ts';
import type { LabContext, LabHandler, LabRequest, LabResponse } from './wire.ts';

const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const STS_VERSION = '2011-06-15';
const ASSUME_ACTION = 'sts:AssumeRoleWithWebIdentity';
/** docs/aws-facts.md 1.3 (observed, crossplane#5578): trust-policy denial, also used for a role that does not exist. */
const NOT_AUTHORIZED = `Not authorized to perform ${ASSUME_ACTION}`;

export interface StsOptions {
  /** Budget for the discovery + JWKS fetch (docs/aws-facts.md 1.3: 5 s). Tests shorten it. */
  fetchBudgetMs?: number;
}

export function createStsHandler(ctx: LabContext, opts: StsOptions = {}): LabHandler {
  const verifyToken = createTokenVerifier({ caPem: ctx.caPem, fetchBudgetMs: opts.fetchBudgetMs ?? 5000 });
  let lastPrune = Date.now();
  return async (req) => {
    try {
      const form = parseForm(req.body);
      switch (form.Action) {
        case 'AssumeRoleWithWebIdentity':
          if (Date.now() - lastPrune > SESSION_PRUNE_INTERVAL_MS) {
            forgetOldSessions(ctx.state);
            lastPrune = Date.now();
          }
          return await assumeRoleWithWebIdentity(ctx.state, req, form, verifyToken);
        case 'GetCallerIdentity':
          return getCallerIdentity(ctx.state, req);
        default:
          return stsError(
            req,
            400,
            'InvalidAction',
            `Could not find operation ${form.Action ?? ''} for version ${STS_VERSION}`,
          );
      }
    } catch {
      return stsError(req, 500, 'InternalFailure', 'An internal error occurred.', 'Receiver');
    }
  };
}

const stsError = (
  req: LabRequest,
  status: number,
  code: string,
  message: string,
  type: 'Sender' | 'Receiver' = 'Sender',
): LabResponse => queryError(status, code, message, req.requestId, STS_XMLNS, type);

function stsResult(req: LabRequest, action: string, result: Record<string, unknown>): LabResponse {
  return xmlResponse(
    200,
    {
      [`${action}Response`]: {
        '@_xmlns': STS_XMLNS,
        [`${action}Result`]: result,
        ResponseMetadata: { RequestId: req.requestId },
      },
    },
    req.requestId,
  );
}

interface AssumeParams {
  roleArn: string;
  roleSessionName: string;
  webIdentityToken: string;
  durationSeconds?: number;
  /** The inline session policy as given (docs/aws-facts.md 1.8). */
  policy?: string;
}

/**
 * docs/aws-facts.md 1.2 constraints, reported the way AWS's validation layer words them. Returns the parameters or the error.
 * Missing required parameters come first, as MissingParameter.
 */
function validateAssumeParams(form: Record<string, string>): AssumeParams | { code: string; message: string } {
  for (const name of ['RoleArn', 'RoleSessionName', 'WebIdentityToken']) {
    if (form[name] === undefined) {
      return { code: 'MissingParameter', message: `The request must contain the parameter ${name}` };
    }
  }
  const roleArn = form.RoleArn as string;
  const roleSessionName = form.RoleSessionName as string;
  const webIdentityToken = form.WebIdentityToken as string;
  const errors: string[] = [];
  const violation = (value: string | undefined, member: string, constraint: string) =>
    // The token is sensitive: its value is never echoed (nor logged).
    errors.push(
      `Value ${value === undefined ? '' : `'${value}' `}at '${member}' failed to satisfy constraint: Member must ${constraint}`,
    );
  const length = (value: string, shown: string | undefined, member: string, min: number, max: number) => {
    if (value.length < min) violation(shown, member, `have length greater than or equal to ${min}`);
    if (value.length > max) violation(shown, member, `have length less than or equal to ${max}`);
  };
  length(roleArn, roleArn, 'roleArn', 20, 2048);
  length(roleSessionName, roleSessionName, 'roleSessionName', 2, 64);
  if (!/^[\w+=,.@-]*$/.test(roleSessionName)) {
    violation(roleSessionName, 'roleSessionName', 'satisfy regular expression pattern: [\\w+=,.@-]*');
  }
  length(webIdentityToken, undefined, 'webIdentityToken', 4, 20000);
  let durationSeconds: number | undefined;
  if (form.DurationSeconds !== undefined) {
    const raw = form.DurationSeconds;
    durationSeconds = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    // A non-integer DurationSeconds: AWS's wording is NOT FOUND in docs/aws-facts.md.
    if (Number.isNaN(durationSeconds)) violation(raw, 'durationSeconds', 'be an integer');
    else if (durationSeconds < 900) violation(raw, 'durationSeconds', 'have value greater than or equal to 900');
    else if (durationSeconds > 43200) violation(raw, 'durationSeconds', 'have value less than or equal to 43200');
  }
  const policy = form.Policy;
  if (policy !== undefined) for (const c of sessionPolicyViolations(policy)) violation(policy, 'policy', c);
  if (errors.length > 0) {
    const n = errors.length;
    return {
      code: 'ValidationError',
      message: `${n} validation error${n > 1 ? 's' : ''} detected: ${errors.join('; ')}`,
    };
  }
  // Not in docs/aws-facts.md: STS's ValidationError for a RoleArn that is not an ARN (observed, physera/onelogin-aws-cli#12).
  if (!/^arn:[\w-]+:iam::\d{12}:role\/.+$/.test(roleArn)) {
    return { code: 'ValidationError', message: 'Request ARN is invalid' };
  }
  return {
    roleArn,
    roleSessionName,
    webIdentityToken,
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    ...(policy !== undefined ? { policy } : {}),
  };
}

async function assumeRoleWithWebIdentity(
  state: LabState,
  req: LabRequest,
  form: Record<string, string>,
  verifyToken: TokenVerifier,
): Promise<LabResponse> {
  const params = validateAssumeParams(form);
  if ('code' in params) return stsError(req, 400, params.code, params.message);
  // The session policy's grammar and packed size are checked before the token (the lab's order; AWS's is NOT FOUND).
  const sessionPolicy = params.policy !== undefined ? parseSessionPolicy(params.policy) : undefined;
  if (sessionPolicy && 'code' in sessionPolicy) return stsError(req, 400, sessionPolicy.code, sessionPolicy.message);
  const check = await verifyToken(state, params.webIdentityToken);
  // docs/aws-facts.md 3.1: "Couldn't retrieve verification key" is never in CloudTrail. Whether the other
  // InvalidIdentityToken / ExpiredTokenException failures are logged is unverified, so the lab logs none of them.
  if (!check.ok) return stsError(req, 400, check.code, check.message);
  const token = check.token;

  const role = state.roleByArn(params.roleArn);
  if (!role || !trustAllows(role, token, req)) {
    // docs/aws-facts.md 3.1: trust-policy denials are logged. A missing role gets the same answer (AWS does not reveal
    // whether a role exists), so it is logged the same way.
    recordAssume(state, req, params, token, { errorCode: 'AccessDenied', errorMessage: 'An unknown error occurred' });
    return stsError(req, 403, 'AccessDenied', NOT_AUTHORIZED);
  }
  // docs/aws-facts.md 1.2: "If you specify a value higher than this setting, the operation fails" (sample ValidationError).
  if (params.durationSeconds !== undefined && params.durationSeconds > role.maxSessionDuration) {
    return stsError(
      req,
      400,
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }

  const session = issueSession(state, role, params.roleSessionName, params.durationSeconds ?? 3600, sessionPolicy?.doc);
  recordAssume(state, req, params, token, { session });
  // docs/aws-facts.md 1.6 element order (API reference sample); Provider is the IAM OIDC provider ARN (DISAGREE: ARN preferred).
  return stsResult(req, 'AssumeRoleWithWebIdentity', {
    SubjectFromWebIdentityToken: token.subject,
    Audience: token.audience,
    AssumedRoleUser: { Arn: session.assumedRoleArn, AssumedRoleId: session.assumedRoleId },
    Credentials: {
      SessionToken: session.sessionToken,
      SecretAccessKey: session.secretAccessKey,
      Expiration: isoSeconds(session.expiration),
      AccessKeyId: session.accessKeyId,
    },
    // Only when session policies were passed (docs/aws-facts.md 1.6 member; a percentage of the packed limit).
    ...(sessionPolicy ? { PackedPolicySize: sessionPolicy.packedPolicySize } : {}),
    Provider: token.provider.arn,
  });
}

/** The role's trust policy must Allow the provider as Federated principal, with the token's claims as keys (docs/aws-facts.md 2.2). */
function trustAllows(role: Role, token: ValidatedToken, req: LabRequest): boolean {
  let doc;
  try {
    doc = parsePolicy(role.assumeRolePolicy, 'trust');
  } catch {
    return false;
  }
  const now = new Date();
  const url = token.provider.url;
  const result = evaluatePolicy(doc, {
    principal: { type: 'Federated', id: token.provider.arn },
    action: ASSUME_ACTION,
    resource: role.arn,
    keys: {
      [`${url}:sub`]: token.subject,
      [`${url}:aud`]: token.audience,
      'aws:FederatedProvider': token.provider.arn,
      'aws:SourceIp': req.sourceIp,
      'aws:SourceVpce': req.sourceVpce,
      'aws:SourceVpc': req.sourceVpc,
      'aws:RequestedRegion': req.region,
      'aws:SecureTransport': 'true',
      'aws:CurrentTime': isoSeconds(now),
      'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
      'aws:UserAgent': req.userAgent,
    },
  });
  return result.decision === 'Allow';
}

const SESSION_PRUNE_INTERVAL_MS = 60_000;
/** Expired sessions are kept this long, so their use still gets the edge's ExpiredToken answer rather than an unknown key. */
const EXPIRED_SESSION_RETENTION_MS = 3_600_000;

/** A long-running lab issues sessions every probe cycle; forget those long expired so memory stays bounded. */
function forgetOldSessions(state: LabState): void {
  const cutoff = Date.now() - EXPIRED_SESSION_RETENTION_MS;
  for (const [id, s] of state.sessions) if (s.expiration.getTime() < cutoff) state.sessions.delete(id);
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Temporary credentials: ASIA access key (docs/aws-facts.md 1.6), 40-char secret, opaque session token. */
function issueSession(
  state: LabState,
  role: Role,
  sessionName: string,
  durationSeconds: number,
  policy: PolicyDocument | undefined,
): LabSession {
  const session: LabSession = {
    accessKeyId: 'ASIA' + Array.from({ length: 16 }, () => KEY_ALPHABET[randomInt(KEY_ALPHABET.length)]).join(''),
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(600).toString('base64'),
    expiration: new Date(Date.now() + durationSeconds * 1000),
    roleArn: role.arn,
    // Assumed-role ARNs carry the role name without its path.
    assumedRoleArn: `arn:aws:sts::${state.accountId}:assumed-role/${role.name}/${sessionName}`,
    assumedRoleId: `${role.roleId}:${sessionName}`,
    ...(policy ? { policy } : {}),
  };
  state.sessions.set(session.accessKeyId, session);
  return session;
}

/** CloudTrail record of AssumeRoleWithWebIdentity (docs/aws-facts.md 3.1; samples/cloudtrail-…-success-awsdocs-2024.json). */
function recordAssume(
  state: LabState,
  req: LabRequest,
  params: AssumeParams,
  token: ValidatedToken,
  outcome: { session: LabSession } | { errorCode: string; errorMessage: string },
): void {
  const provider = token.provider.arn;
  const success = 'session' in outcome ? outcome.session : undefined;
  recordEvent(state, {
    req,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRoleWithWebIdentity',
    readOnly: true,
    userIdentity: {
      type: 'WebIdentityUser',
      principalId: `${provider}:${token.audience}:${token.subject}`,
      userName: token.subject,
      identityProvider: provider,
    },
    // The web identity token is never logged.
    requestParameters: {
      roleArn: params.roleArn,
      roleSessionName: params.roleSessionName,
      ...(params.durationSeconds !== undefined ? { durationSeconds: params.durationSeconds } : {}),
    },
    responseElements: success
      ? {
          // The secret access key is never logged.
          credentials: {
            accessKeyId: success.accessKeyId,
            sessionToken: success.sessionToken,
            expiration: cloudTrailTime(success.expiration),
          },
          subjectFromWebIdentityToken: token.subject,
          assumedRoleUser: { assumedRoleId: success.assumedRoleId, arn: success.assumedRoleArn },
          provider,
          audience: token.audience,
        }
      : null,
    ...('errorCode' in outcome ? { errorCode: outcome.errorCode, errorMessage: outcome.errorMessage } : {}),
    ...(success ? { additionalEventData: { identityProviderConnectionVerificationMethod: 'IAMTrustStore' } } : {}),
    resources: [{ type: 'AWS::IAM::Role', arn: params.roleArn }],
  });
}

/** GetCallerIdentity: whoever signed the request (users and STS sessions). Unsigned calls are refused. */
function getCallerIdentity(state: LabState, req: LabRequest): LabResponse {
  const c = req.caller;
  // Not in docs/aws-facts.md: AWS's answer to an unsigned request to a signed operation.
  if (c.kind === 'anonymous')
    return stsError(req, 403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  const [arn, userId] =
    c.kind === 'user' ? [c.user.arn, c.user.userId] : [c.session.assumedRoleArn, c.session.assumedRoleId];
  return stsResult(req, 'GetCallerIdentity', { Arn: arn, UserId: userId, Account: state.accountId });
}

const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** CloudTrail's credentials.expiration, e.g. "Jul 9, 2024, 4:41:37 PM" (UTC; docs/aws-facts.md 3.1). Written out by hand:
 *  ICU's en-US format puts a narrow no-break space before AM/PM. */
function cloudTrailTime(d: Date): string {
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ` +
    `${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`
  );
}
