// The issuer probe's finding codes: severity, title, remediation and the evidence each carries. Codes are stable API:
// rename nothing; add new codes at the end.
import { z } from 'zod';
import { findingMaker } from '../../src/core/findings.ts';
import type { FindingTable } from '../../src/core/findings.ts';
import { ADDRESS_CLASSES } from '../shared/fetch-policy.ts';

const BUCKET_HINT =
  'If the issuer is an S3 bucket, check that its policy still allows anonymous s3:GetObject on the two documents from the internet: a Deny unless aws:SourceVpce/aws:SourceVpc/aws:SourceIp also denies STS, which fetches from outside your VPC. Block Public Access (RestrictPublicBuckets, bucket or account level) voids a public policy. To keep the bucket private, serve the issuer through CloudFront (ccoctl --create-private-s3-bucket).';

/** A fetch that got no answer (the fetcher's error code, e.g. TIMEOUT, TLS, TOO_LARGE). */
const fetchFailure = z.strictObject({ url: z.string(), error: z.string(), latencyMs: z.number() });
/** The issuer host's certificate. */
const certificate = z.strictObject({
  url: z.string(),
  validTo: z.string(),
  daysLeft: z.number(),
  subject: z.string(),
  issuer: z.string(),
});
/** A non-200 answer: the status, a redirect target not followed, S3's error code and message. */
const httpAnswer = z.strictObject({
  url: z.string(),
  status: z.number(),
  latencyMs: z.number(),
  location: z.string().optional(),
  contentType: z.string().optional(),
  s3ErrorCode: z.string().optional(),
  s3ErrorMessage: z.string().optional(),
});
/** A document that answered but is not what STS needs. */
const document = z.strictObject({ url: z.string(), contentType: z.string().optional() });

export const ISSUER_FINDINGS = {
  ISSUER_UNREACHABLE: {
    severity: 'fail',
    title: 'Issuer discovery document cannot be fetched',
    remediation: `STS fetches {issuer}/.well-known/openid-configuration anonymously over the internet and fails every AssumeRoleWithWebIdentity with "Couldn't retrieve verification key" when it cannot. Check DNS, that the host accepts HTTPS connections from the internet, and that nothing (firewall, WAF) resets them. ${BUCKET_HINT}`,
    evidence: fetchFailure,
  },
  ISSUER_TLS_INVALID: {
    severity: 'fail',
    title: "Issuer's TLS certificate is not trusted",
    remediation:
      'STS verifies the issuer and jwks_uri certificates against public CAs. Serve a certificate from a public CA that covers the issuer host, with the full chain, and not expired.',
    evidence: z.union([fetchFailure, certificate]),
  },
  ISSUER_TLS_EXPIRING: {
    severity: 'warn',
    title: "Issuer's TLS certificate expires soon",
    remediation:
      'Renew the certificate of the issuer host before it expires; when it does, every assume-role call of the cluster fails.',
    evidence: certificate,
  },
  ISSUER_HTTP_ERROR: {
    severity: 'fail',
    title: 'Issuer discovery document answers with an HTTP error',
    remediation: `The discovery document must answer 200 to an anonymous GET. A 403 AccessDenied from S3 means the bucket no longer allows anonymous reads; a 404 means the object is missing (re-upload .well-known/openid-configuration, as ccoctl create-identity-provider does). ${BUCKET_HINT}`,
    evidence: httpAnswer,
  },
  ISSUER_SLOW: {
    severity: 'warn',
    title: 'Issuer answers slowly',
    remediation:
      'STS gives up after about 5 seconds for both documents together. Serve them from S3 or CloudFront close to STS, and remove slow proxies in front of the issuer.',
    evidence: z.strictObject({
      totalMs: z.number(),
      latencyMs: z.array(z.strictObject({ url: z.string(), ms: z.number() })),
      warnMs: z.number(),
      failMs: z.number(),
    }),
  },
  DISCOVERY_INVALID: {
    severity: 'fail',
    title: 'Discovery document is not a valid OpenID configuration',
    remediation:
      'The document must be JSON with issuer, jwks_uri, response_types_supported, subject_types_supported and id_token_signing_alg_values_supported including RS256. Regenerate it (ccoctl create-identity-provider --dry-run writes 02-openid-configuration) and upload it.',
    evidence: z.union([fetchFailure, document]),
  },
  DISCOVERY_ISSUER_MISMATCH: {
    severity: 'fail',
    title: "Discovery document's issuer differs from the configured issuer",
    remediation:
      "The issuer field must equal the cluster's service-account issuer (the tokens' iss) byte for byte; a trailing slash or http/https difference is a mismatch. Fix the document or the cluster's serviceAccountIssuer.",
    evidence: z.strictObject({ configured: z.string(), published: z.string() }),
  },
  JWKS_URI_INSECURE: {
    severity: 'fail',
    title: 'jwks_uri is not https',
    remediation:
      'STS fetches the JWKS over HTTPS only. Publish jwks_uri as an https:// URL (ccoctl uses {issuer}/keys.json).',
    evidence: z.strictObject({ jwksUri: z.string() }),
  },
  JWKS_HTTP_ERROR: {
    severity: 'fail',
    title: 'JWKS cannot be fetched',
    remediation: `The jwks_uri must answer 200 to an anonymous GET from the internet. ${BUCKET_HINT}`,
    evidence: z.union([fetchFailure, httpAnswer]),
  },
  JWKS_INVALID: {
    severity: 'fail',
    title: 'JWKS is not usable by STS',
    remediation:
      'The JWKS must be JSON {"keys": [...]} with at least one key; every key needs a kid, RSA keys at least 2048 bits, alg one of RS256/384/512 or ES256/384/512, and at most 100 RSA and 100 EC keys. Regenerate keys.json from the cluster\'s public signing key (ccoctl create-identity-provider) and upload it.',
    evidence: z.union([fetchFailure, document.extend({ index: z.number().optional(), kid: z.string().optional() })]),
  },
  JWKS_URI_REFUSED: {
    severity: 'fail',
    title: 'jwks_uri points at an address STS cannot reach',
    remediation:
      "STS fetches the JWKS from the internet, so jwks_uri must name a public host (ccoctl publishes {issuer}/keys.json). The agent does not fetch a jwks_uri on another host than the issuer's that is, or resolves to, an instance metadata, link-local, loopback or private address: whoever writes the issuer's documents chooses that URL. Publish the JWKS under the issuer. If the agent's DNS answers private addresses for a public host (split-horizon), set probes.issuer.allowPrivateAddresses and probes.jwks.allowPrivateAddresses.",
    evidence: z.strictObject({
      jwksUri: z.string(),
      host: z.string(),
      reason: z.string(),
      address: z.string().optional(),
      addressClass: z.enum(ADDRESS_CLASSES).optional(),
    }),
  },
} satisfies FindingTable;

export const finding = findingMaker(ISSUER_FINDINGS);
