// Where STS looks for an issuer's documents, and how IAM names the issuer's OIDC provider: shared by the probes so
// that every probe builds them as STS and IAM do.

/**
 * Where the discovery document is: the issuer exactly as configured, then the well-known path. STS concatenates the
 * two; an issuer ending in "/" does not get a second one (OpenID Connect Discovery 1.0, section 4).
 */
export const discoveryUrlOf = (issuer: string): string =>
  `${issuer.endsWith('/') ? issuer.slice(0, -1) : issuer}/.well-known/openid-configuration`;

/** The issuer as IAM names its provider and prefixes its condition keys: the URL without the scheme (docs/aws-facts.md 2.1). */
export const providerUrlOf = (issuer: string): string => issuer.replace(/^https:\/\//, '');

/** The IAM OIDC provider of an issuer in an account (docs/aws-facts.md 2.1). */
export const providerArnOf = (accountId: string, issuer: string, partition = 'aws'): string =>
  `arn:${partition}:iam::${accountId}:oidc-provider/${providerUrlOf(issuer)}`;
