// Every finding code, in one table: severity, title and the remediation operators read. Codes are stable API:
// rename nothing; add new codes at the end of their group. docs/findings.md and `irsa-sentinel explain` come from here.
import type { Finding, Severity } from './model.ts';

export interface FindingDef {
  severity: Severity;
  probe: 'issuer' | 'jwks' | 'bucket' | 'cloudtrail' | 'roles' | 'runner';
  title: string;
  remediation: string;
}

const BUCKET_HINT =
  'If the issuer is an S3 bucket, check that its policy still allows anonymous s3:GetObject on the two documents from the internet: a Deny unless aws:SourceVpce/aws:SourceVpc/aws:SourceIp also denies STS, which fetches from outside your VPC. Block Public Access (RestrictPublicBuckets, bucket or account level) voids a public policy. To keep the bucket private, serve the issuer through CloudFront (ccoctl --create-private-s3-bucket).';

export const FINDINGS = {
  // runner
  PROBE_TIMEOUT: {
    severity: 'unknown',
    probe: 'runner',
    title: 'Probe run timed out',
    remediation:
      'The probe did not finish within its timeout, so nothing is known about this link. Check the agent can reach the issuer and AWS; raise schedules.<probe>.timeoutMs if the fleet is large.',
  },
  PROBE_ERROR: {
    severity: 'unknown',
    probe: 'runner',
    title: 'Probe failed unexpectedly',
    remediation:
      'The probe raised an error it does not classify. The message and the agent log say what happened; please report it.',
  },
  // issuer
  ISSUER_UNREACHABLE: {
    severity: 'fail',
    probe: 'issuer',
    title: 'Issuer discovery document cannot be fetched',
    remediation: `STS fetches {issuer}/.well-known/openid-configuration anonymously over the internet and fails every AssumeRoleWithWebIdentity with "Couldn't retrieve verification key" when it cannot. Check DNS, that the host accepts HTTPS connections from the internet, and that nothing (firewall, WAF) resets them. ${BUCKET_HINT}`,
  },
  ISSUER_TLS_INVALID: {
    severity: 'fail',
    probe: 'issuer',
    title: "Issuer's TLS certificate is not trusted",
    remediation:
      'STS verifies the issuer and jwks_uri certificates against public CAs. Serve a certificate from a public CA that covers the issuer host, with the full chain, and not expired.',
  },
  ISSUER_TLS_EXPIRING: {
    severity: 'warn',
    probe: 'issuer',
    title: "Issuer's TLS certificate expires soon",
    remediation:
      'Renew the certificate of the issuer host before it expires; when it does, every assume-role call of the cluster fails.',
  },
  ISSUER_HTTP_ERROR: {
    severity: 'fail',
    probe: 'issuer',
    title: 'Issuer discovery document answers with an HTTP error',
    remediation: `The discovery document must answer 200 to an anonymous GET. A 403 AccessDenied from S3 means the bucket no longer allows anonymous reads; a 404 means the object is missing (re-upload .well-known/openid-configuration, as ccoctl create-identity-provider does). ${BUCKET_HINT}`,
  },
  ISSUER_SLOW: {
    severity: 'warn',
    probe: 'issuer',
    title: 'Issuer answers slowly',
    remediation:
      'STS gives up after about 5 seconds for both documents together. Serve them from S3 or CloudFront close to STS, and remove slow proxies in front of the issuer.',
  },
  DISCOVERY_INVALID: {
    severity: 'fail',
    probe: 'issuer',
    title: 'Discovery document is not a valid OpenID configuration',
    remediation:
      'The document must be JSON with issuer, jwks_uri, response_types_supported, subject_types_supported and id_token_signing_alg_values_supported including RS256. Regenerate it (ccoctl create-identity-provider --dry-run writes 02-openid-configuration) and upload it.',
  },
  DISCOVERY_ISSUER_MISMATCH: {
    severity: 'fail',
    probe: 'issuer',
    title: "Discovery document's issuer differs from the configured issuer",
    remediation:
      "The issuer field must equal the cluster's service-account issuer (the tokens' iss) byte for byte; a trailing slash or http/https difference is a mismatch. Fix the document or the cluster's serviceAccountIssuer.",
  },
  JWKS_URI_INSECURE: {
    severity: 'fail',
    probe: 'issuer',
    title: 'jwks_uri is not https',
    remediation:
      'STS fetches the JWKS over HTTPS only. Publish jwks_uri as an https:// URL (ccoctl uses {issuer}/keys.json).',
  },
  JWKS_HTTP_ERROR: {
    severity: 'fail',
    probe: 'issuer',
    title: 'JWKS cannot be fetched',
    remediation: `The jwks_uri must answer 200 to an anonymous GET from the internet. ${BUCKET_HINT}`,
  },
  JWKS_INVALID: {
    severity: 'fail',
    probe: 'issuer',
    title: 'JWKS is not usable by STS',
    remediation:
      'The JWKS must be JSON {"keys": [...]} with at least one key; every key needs a kid, RSA keys at least 2048 bits, alg one of RS256/384/512 or ES256/384/512, and at most 100 RSA and 100 EC keys. Regenerate keys.json from the cluster\'s public signing key (ccoctl create-identity-provider) and upload it.',
  },
} as const satisfies Record<string, FindingDef>;

export type FindingCode = keyof typeof FINDINGS;

export const FINDING_CODES = Object.keys(FINDINGS) as FindingCode[];

export function isFindingCode(code: string): code is FindingCode {
  return Object.hasOwn(FINDINGS, code);
}

/** A finding with the table's severity and remediation; a probe may raise or lower the severity per instance. */
export function finding(
  code: FindingCode,
  message: string,
  extra: { subject?: string; evidence?: Record<string, unknown>; severity?: Severity } = {},
): Finding {
  const def: FindingDef = FINDINGS[code];
  return {
    code,
    severity: extra.severity ?? def.severity,
    message,
    remediation: def.remediation,
    ...(extra.subject !== undefined ? { subject: extra.subject } : {}),
    ...(extra.evidence !== undefined ? { evidence: extra.evidence } : {}),
  };
}
