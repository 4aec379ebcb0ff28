// What an AssumeRoleWithWebIdentity error means (AWS-FACTS 1.3, 1.4): the SDK error's name and STS's exact message,
// mapped to a finding. Only configuration-class errors fail; throttling, network and provider hiccups are unknown.
import { finding } from '../src/findings.ts';
import type { FindingCode } from '../src/findings.ts';
import type { Finding } from '../src/model.ts';

/** What an AWS SDK v3 error carries that is safe to show: STS's messages hold no token and no credential. */
export interface AwsErrorFacts {
  name: string;
  message: string;
  requestId?: string;
}

export function awsErrorFacts(err: unknown): AwsErrorFacts {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const requestId = (err as { $metadata?: { requestId?: string } }).$metadata?.requestId;
  const code = (err as { code?: unknown }).code;
  // Network failures arrive as plain Errors whose code (ECONNREFUSED, ETIMEDOUT…) says more than the name.
  const name = err.name === 'Error' && typeof code === 'string' ? code : err.name;
  return { name, message: err.message, ...(requestId !== undefined && { requestId }) };
}

/** STS's InvalidIdentityToken messages, verbatim (AWS-FACTS 1.4), matched by a distinctive part. */
const INVALID_TOKEN_CAUSES: [RegExp, FindingCode][] = [
  [/Couldn't retrieve verification key/i, 'ASSUME_KEY_RETRIEVAL_FAILED'],
  [/No OpenIDConnect provider found/i, 'ASSUME_NO_PROVIDER'],
  [/Incorrect token audience/i, 'ASSUME_AUDIENCE_REJECTED'],
  [/thumbprint/i, 'ASSUME_THUMBPRINT_REJECTED'],
];

/** The SDK names modelled errors `<Code>Exception`, unmodelled ones (AccessDenied, Throttling) by the bare code. */
const bare = (name: string): string => name.replace(/Exception$/, '');

export function assumeErrorCode(facts: AwsErrorFacts): FindingCode {
  switch (bare(facts.name)) {
    case 'InvalidIdentityToken':
      return INVALID_TOKEN_CAUSES.find(([re]) => re.test(facts.message))?.[1] ?? 'ASSUME_UNAVAILABLE';
    case 'ExpiredToken':
      return 'ASSUME_TOKEN_EXPIRED';
    case 'AccessDenied':
      return 'ASSUME_ACCESS_DENIED';
    case 'IDPRejectedClaim':
    case 'IDPCommunicationError':
      return 'ASSUME_IDP_ERROR';
    default:
      return 'ASSUME_UNAVAILABLE';
  }
}

export function assumeErrorFinding(err: unknown, roleArn: string, serviceAccount: string): Finding {
  const facts = awsErrorFacts(err);
  const code = assumeErrorCode(facts);
  return finding(code, `AssumeRoleWithWebIdentity for ${roleArn} as ${serviceAccount} failed: ${facts.message}`, {
    subject: roleArn,
    evidence: {
      roleArn,
      serviceAccount,
      awsError: facts.name,
      awsMessage: facts.message,
      ...(facts.requestId !== undefined && { requestId: facts.requestId }),
    },
  });
}

/** A failed read-only AWS call (IAM GetRole): missing permission or an unavailable service, both `unknown`. */
export function awsCallFinding(err: unknown, action: string, subject: string): Finding {
  const facts = awsErrorFacts(err);
  const evidence = {
    action,
    awsError: facts.name,
    awsMessage: facts.message,
    ...(facts.requestId !== undefined && { requestId: facts.requestId }),
  };
  if (bare(facts.name) === 'AccessDenied')
    return finding('AWS_PERMISSION_MISSING', `The agent may not call ${action} on ${subject}.`, { subject, evidence });
  return finding('AWS_UNAVAILABLE', `${action} on ${subject} failed: ${facts.message}`, { subject, evidence });
}

export const isNoSuchEntity = (err: unknown): boolean => bare(awsErrorFacts(err).name) === 'NoSuchEntity';

export const tokenUnavailableFinding = (roleArn: string, serviceAccount: string, why: string): Finding =>
  finding('ASSUME_UNAVAILABLE', `No token for service account ${serviceAccount}: ${why}`, {
    subject: roleArn,
    evidence: { roleArn, serviceAccount },
  });

export const roleMissingFinding = (roleArn: string): Finding =>
  finding('ROLE_MISSING', `Role ${roleArn} does not exist.`, { subject: roleArn, evidence: { roleArn } });
