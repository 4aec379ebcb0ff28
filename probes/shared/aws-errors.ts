// What an AWS SDK v3 error says that is safe to show (AWS's messages hold no token and no credential), and the
// finding a probe gives for a read-only call that failed: a missing permission naming the action, the agent's own
// credentials refused, or an unavailable service (throttled, 5xx, network); all `unknown`, never `fail`.
import { isCredentialError } from '../../src/clients/aws-credential-errors.ts';
import { sharedFinding as finding } from './findings.ts';
import type { Finding } from '../../src/core/model.ts';

export interface AwsErrorFacts {
  name: string;
  message: string;
  requestId?: string;
  /** How many times the SDK tried the call, when it says. */
  attempts?: number;
}

export function awsErrorFacts(err: unknown): AwsErrorFacts {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const metadata = (err as { $metadata?: { requestId?: string; attempts?: number } }).$metadata;
  const requestId = metadata?.requestId;
  const attempts = metadata?.attempts;
  const code = (err as { code?: unknown }).code;
  // Network failures arrive as plain Errors whose code (ECONNREFUSED, ETIMEDOUT…) says more than the name; the SDK
  // renames ECONNRESET, EPIPE and ETIMEDOUT errors TimeoutError (so that they are retried), keeping the code.
  const network = err.name === 'TimeoutError' && typeof code === 'string' && /^E[A-Z]+$/.test(code);
  const name = (err.name === 'Error' || network) && typeof code === 'string' ? code : err.name;
  return {
    name,
    message: err.message,
    ...(requestId !== undefined && { requestId }),
    ...(typeof attempts === 'number' && { attempts }),
  };
}

/** AWS's throttling answers (the SDK retries them with backoff before giving up). */
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
]);

export const isThrottled = (name: string): boolean => THROTTLED.has(name);

/** The SDK names modelled errors `<Code>Exception`, unmodelled ones (AccessDenied, Throttling) by the bare code. */
export const bareErrorName = (name: string): string => name.replace(/Exception$/, '');

/** Whether an SDK error is one of `codes` (bare, e.g. NoSuchEntity), in either naming. */
export const isAwsError = (err: unknown, ...codes: string[]): boolean =>
  codes.includes(bareErrorName(awsErrorFacts(err).name));

const PERMISSION_DENIED = ['AccessDenied', 'UnauthorizedOperation'];

export interface AwsCallOptions {
  /**
   * Whose credentials signed the call: the agent's own (default), or a session the probe just obtained (the roles
   * probe's proof), whose refusal says nothing about the agent's credentials.
   */
  signer?: 'agent' | 'session';
}

/** `(3 attempts)` when the SDK retried. */
const attemptsNote = (facts: AwsErrorFacts): string =>
  facts.attempts !== undefined && facts.attempts > 1 ? ` after ${facts.attempts} attempts` : '';

export function awsCallFinding(err: unknown, action: string, subject: string, opts: AwsCallOptions = {}): Finding {
  const facts = awsErrorFacts(err);
  const evidence = {
    action,
    awsError: facts.name,
    awsMessage: facts.message,
    ...(facts.requestId !== undefined && { requestId: facts.requestId }),
    ...(facts.attempts !== undefined && { attempts: facts.attempts }),
  };
  if (isAwsError(err, ...PERMISSION_DENIED))
    return finding('AWS_PERMISSION_MISSING', `The agent may not call ${action} on ${subject}.`, { subject, evidence });
  if ((opts.signer ?? 'agent') === 'agent' && isCredentialError(facts.name))
    return finding(
      'AWS_CREDENTIALS_REJECTED',
      `AWS refused the agent's own credentials calling ${action} on ${subject} (${facts.name}: ${facts.message}).`,
      { subject, evidence },
    );
  if (isThrottled(facts.name))
    return finding(
      'AWS_UNAVAILABLE',
      `AWS throttled ${action} on ${subject}${attemptsNote(facts)} (${facts.name}): not judged this run.`,
      { subject, evidence },
    );
  return finding('AWS_UNAVAILABLE', `${action} on ${subject} failed${attemptsNote(facts)}: ${facts.message}`, {
    subject,
    evidence,
  });
}
