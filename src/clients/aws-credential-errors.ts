// AWS errors that say the caller's own credentials were refused: expired, revoked, unknown, or signed with a clock
// too far off. For a call the agent signs with its identity, that is the agent's problem, never the cluster's: the
// probes report it as `unknown` naming the agent's credentials (AWS_CREDENTIALS_REJECTED), not as a finding about the
// chain they watch.

/** Error codes (the SDK's `Exception` suffix stripped) of credentials the service refused. */
export const CREDENTIAL_ERROR_CODES = new Set([
  'ExpiredToken', // STS, IAM, S3, CloudTrail (ExpiredTokenException): the session token expired
  'RequestExpired', // query APIs: the signature's date is too old (or the clock is off)
  'RequestTimeTooSkewed', // S3: the clock is off
  'InvalidSignature', // JSON APIs: "Signature expired" / signature mismatch
  'SignatureDoesNotMatch', // the secret key is wrong
  'InvalidClientTokenId', // STS, IAM: the access key id is unknown
  'UnrecognizedClient', // JSON APIs: the access key id is unknown
  'InvalidAccessKeyId', // S3: the access key id is unknown
  'InvalidToken', // S3: the session token is malformed
  'TokenRefreshRequired', // S3: the session token must be refreshed
  'AuthFailure',
  'CredentialsProviderError', // the SDK found no credentials, or its provider failed
  // STS refused the agent's own web identity (IRSA, OpenShift STS): on a call the agent signs, only its credentials
  // provider's AssumeRoleWithWebIdentity answers so. InvalidIdentityToken "Couldn't retrieve verification key" means
  // the issuer the agent's own identity goes through is broken.
  'InvalidIdentityToken',
  'IDPCommunicationError',
  'IDPRejectedClaim',
]);

/** Whether an AWS error name (e.g. ExpiredTokenException, ExpiredToken) says the caller's credentials were refused. */
export const isCredentialError = (name: string): boolean => CREDENTIAL_ERROR_CODES.has(name.replace(/Exception$/, ''));
