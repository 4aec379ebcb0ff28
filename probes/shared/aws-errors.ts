// What an AWS SDK v3 error says that is safe to show (AWS's messages hold no token and no credential), and the
// finding a probe gives for a read-only call that failed: a missing permission naming the action, or an unavailable
// service; both `unknown`, never `fail`.
import { sharedFinding as finding } from './findings.ts';
import type { Finding } from '../../src/core/model.ts';

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

/** The SDK names modelled errors `<Code>Exception`, unmodelled ones (AccessDenied, Throttling) by the bare code. */
export const bareErrorName = (name: string): string => name.replace(/Exception$/, '');

/** Whether an SDK error is one of `codes` (bare, e.g. NoSuchEntity), in either naming. */
export const isAwsError = (err: unknown, ...codes: string[]): boolean =>
  codes.includes(bareErrorName(awsErrorFacts(err).name));

const PERMISSION_DENIED = ['AccessDenied', 'UnauthorizedOperation'];

export function awsCallFinding(err: unknown, action: string, subject: string): Finding {
  const facts = awsErrorFacts(err);
  const evidence = {
    action,
    awsError: facts.name,
    awsMessage: facts.message,
    ...(facts.requestId !== undefined && { requestId: facts.requestId }),
  };
  if (isAwsError(err, ...PERMISSION_DENIED))
    return finding('AWS_PERMISSION_MISSING', `The agent may not call ${action} on ${subject}.`, { subject, evidence });
  return finding('AWS_UNAVAILABLE', `${action} on ${subject} failed: ${facts.message}`, { subject, evidence });
}
