// The finding for a read-only AWS call that failed (probes/shared/aws-errors.ts): the agent's own credentials refused,
// throttled after the SDK's retries, a network error by its code; never `fail`.
import { describe, expect, it } from 'vitest';
import { awsCallFinding, awsErrorFacts } from '../../../probes/shared/aws-errors.ts';
import { isCredentialError } from '../../../src/clients/aws-credential-errors.ts';

const awsError = (name: string, message: string, metadata: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, $metadata: { requestId: 'r-1', ...metadata } });

describe('awsCallFinding', () => {
  it.each([
    'ExpiredToken',
    'ExpiredTokenException',
    'RequestExpired',
    'InvalidClientTokenId',
    'SignatureDoesNotMatch',
    'UnrecognizedClientException',
    'CredentialsProviderError',
  ])('%s on a call the agent signs: AWS_CREDENTIALS_REJECTED naming the agent', (name) => {
    const f = awsCallFinding(
      awsError(name, 'The security token included in the request is expired'),
      'iam:GetRole',
      'arn:r',
    );
    expect(f).toMatchObject({
      code: 'AWS_CREDENTIALS_REJECTED',
      severity: 'unknown',
      subject: 'arn:r',
      evidence: { action: 'iam:GetRole', awsError: name, requestId: 'r-1' },
    });
    expect(f.message).toBe(
      `AWS refused the agent's own credentials calling iam:GetRole on arn:r (${name}: The security token included in the request is expired).`,
    );
  });

  it("on a call signed with a session the probe obtained, an expired token is that session's, not the agent's", () => {
    const f = awsCallFinding(awsError('ExpiredToken', 'expired'), 'sts:GetCallerIdentity', 'arn:r', {
      signer: 'session',
    });
    expect(f.code).toBe('AWS_UNAVAILABLE');
  });

  it('says a throttled call was throttled, after how many attempts', () => {
    const f = awsCallFinding(awsError('Throttling', 'Rate exceeded', { attempts: 3 }), 'iam:GetRole', 'arn:r');
    expect(f).toMatchObject({ code: 'AWS_UNAVAILABLE', severity: 'unknown', evidence: { attempts: 3 } });
    expect(f.message).toBe('AWS throttled iam:GetRole on arn:r after 3 attempts (Throttling): not judged this run.');
  });

  it('names a network failure by its code, also when the SDK renamed it TimeoutError', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { name: 'TimeoutError', code: 'ECONNRESET' });
    expect(awsErrorFacts(reset).name).toBe('ECONNRESET');
    const timeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    expect(awsErrorFacts(timeout).name).toBe('TimeoutError');
    expect(awsCallFinding(reset, 'iam:GetRole', 'arn:r')).toMatchObject({
      code: 'AWS_UNAVAILABLE',
      message: 'iam:GetRole on arn:r failed: read ECONNRESET',
    });
  });

  it('knows credential errors in either naming, and nothing else', () => {
    expect(isCredentialError('ExpiredTokenException')).toBe(true);
    expect(isCredentialError('RequestTimeTooSkewed')).toBe(true);
    // The agent's own web identity refused by STS (its credentials provider's AssumeRoleWithWebIdentity).
    expect(isCredentialError('InvalidIdentityTokenException')).toBe(true);
    for (const name of ['AccessDenied', 'Throttling', 'InternalError', 'NoSuchEntity', 'ECONNRESET'])
      expect(isCredentialError(name)).toBe(false);
  });
});
