// What an AssumeRoleWithWebIdentity error means (docs/aws-facts.md 1.3, 1.4): the SDK error's name and STS's exact message,
// mapped to a finding. Only configuration-class errors fail; throttling, network and provider hiccups are unknown.
import { awsErrorFacts, bareErrorName } from '../shared/aws-errors.ts';
import type { AwsErrorFacts } from '../shared/aws-errors.ts';
import { finding } from './findings.ts';
import type { ROLES_FINDINGS } from './findings.ts';

type FindingCode = keyof typeof ROLES_FINDINGS;
import type { Finding } from '../../src/core/model.ts';

/** STS's InvalidIdentityToken messages, verbatim (docs/aws-facts.md 1.4), matched by a distinctive part. */
const INVALID_TOKEN_CAUSES: [RegExp, FindingCode][] = [
  [/Couldn't retrieve verification key/i, 'ASSUME_KEY_RETRIEVAL_FAILED'],
  [/No OpenIDConnect provider found/i, 'ASSUME_NO_PROVIDER'],
  [/Incorrect token audience/i, 'ASSUME_AUDIENCE_REJECTED'],
  [/thumbprint/i, 'ASSUME_THUMBPRINT_REJECTED'],
];

export function assumeErrorCode(facts: AwsErrorFacts): FindingCode {
  switch (bareErrorName(facts.name)) {
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

export const tokenUnavailableFinding = (roleArn: string, serviceAccount: string, why: string): Finding =>
  finding('ASSUME_UNAVAILABLE', `No token for service account ${serviceAccount}: ${why}`, {
    subject: roleArn,
    evidence: { roleArn, serviceAccount },
  });

export const roleMissingFinding = (roleArn: string): Finding =>
  finding('ROLE_MISSING', `Role ${roleArn} does not exist.`, { subject: roleArn, evidence: { roleArn } });
