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
  // jwks (kid freshness)
  SIGNING_KEY_NOT_PUBLISHED: {
    severity: 'fail',
    probe: 'jwks',
    title: "The cluster's signing key is not in the published JWKS",
    remediation:
      "STS finds the token's kid in the issuer's JWKS or fails every AssumeRoleWithWebIdentity with \"Couldn't retrieve verification key\". Publish the current public key: add it to keys.json (keep the old key until every token signed with it has expired), e.g. ccoctl create-identity-provider with the cluster's serviceaccount-signer.public, or for OpenShift follow the OIDC key rotation procedure (publish old and new keys together).",
  },
  NEXT_SIGNING_KEY_NOT_PUBLISHED: {
    severity: 'warn',
    probe: 'jwks',
    title: 'The staged next signing key is not published yet',
    remediation:
      'A rotation is under way (next-bound-service-account-signing-key exists). Add the next key to keys.json now, next to the current one, before the API servers switch to it; otherwise every role breaks at the switch.',
  },
  STALE_KEY_PUBLISHED: {
    severity: 'warn',
    probe: 'jwks',
    title: 'The JWKS publishes a key the cluster no longer uses',
    remediation:
      'Once no unexpired token signed with the old key remains (tokens live at most 24 h, usually 1 h), remove it from keys.json. Publishing it is harmless but keeps a retired key trusted.',
  },
  JWKS_CHANGED: {
    severity: 'info',
    probe: 'jwks',
    title: 'The published JWKS or discovery document changed',
    remediation:
      'Informational: confirm the change was intended (a key rotation, a republish). The evidence lists the kids added and removed.',
  },
  TOKEN_VERIFY_FAILED: {
    severity: 'fail',
    probe: 'jwks',
    title: 'A freshly minted token does not verify against the published JWKS',
    remediation:
      "A token the cluster just signed must verify against the issuer's JWKS with the issuer and audience STS requires. Check that the published key matches the cluster's signing key and that the cluster's serviceAccountIssuer equals the issuer URL exactly.",
  },
  OIDC_PROVIDER_MISSING: {
    severity: 'fail',
    probe: 'jwks',
    title: 'No IAM OIDC identity provider for the issuer',
    remediation:
      'STS answers "No OpenIDConnect provider found in your account" without one. Create it for the issuer URL with the audiences the pods use (ccoctl create-identity-provider, or aws iam create-open-id-connect-provider --url <issuer> --client-id-list openshift sts.amazonaws.com).',
  },
  OIDC_PROVIDER_AUDIENCE_MISSING: {
    severity: 'fail',
    probe: 'jwks',
    title: "The IAM OIDC provider does not list an audience the pods' tokens use",
    remediation:
      'STS rejects tokens whose aud is not among the provider\'s client IDs with "Incorrect token audience". Add it: aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn <arn> --client-id <audience>.',
  },
  SIGNING_KEYS_UNAVAILABLE: {
    severity: 'unknown',
    probe: 'jwks',
    title: "The cluster's signing keys could not be read",
    remediation:
      "Configure a source of the cluster's signing keys (signingKeys: the cluster API via kube, publicKeyFiles, or fromTokenOf) and check the agent can reach the cluster API with its kubeconfig context.",
  },
  JWKS_UNAVAILABLE: {
    severity: 'unknown',
    probe: 'jwks',
    title: 'The published JWKS could not be read, so key freshness is not known',
    remediation:
      "The jwks probe could not fetch or parse the issuer's discovery document or JWKS, so it cannot tell whether the cluster's keys are published. The issuer probe of this cluster names the cause (unreachable issuer, HTTP error, bucket policy, invalid JWKS) and how to fix it.",
  },
  // shared by the AWS-facing probes
  AWS_PERMISSION_MISSING: {
    severity: 'unknown',
    probe: 'runner',
    title: "The agent's AWS identity lacks a permission it needs",
    remediation:
      "Grant the agent's identity the read-only action named in the finding (config/iam-policy.json lists every action irsa-sentinel calls). Until then this link cannot be judged.",
  },
  AWS_UNAVAILABLE: {
    severity: 'unknown',
    probe: 'runner',
    title: 'An AWS API call failed (throttling, network, service error)',
    remediation:
      "Transient or environmental: the probe retries on its next run. If it persists, check network access to the AWS endpoints and the account's API rate limits.",
  },
  // roles (per-role assume tests)
  ASSUME_KEY_RETRIEVAL_FAILED: {
    severity: 'fail',
    probe: 'roles',
    title: "STS couldn't retrieve the verification key",
    remediation:
      "STS could not fetch the discovery document or JWKS, or found no key with the token's kid. See the issuer and jwks probes of this cluster for which: bucket policy or Block Public Access blocking anonymous reads, a slow or unreachable issuer, or a signing key not published.",
  },
  ASSUME_NO_PROVIDER: {
    severity: 'fail',
    probe: 'roles',
    title: "STS found no IAM OIDC provider for the token's issuer",
    remediation:
      "Create the IAM OIDC provider for the issuer in the role's account (cross-account providers are not supported), with exactly the issuer URL the tokens carry.",
  },
  ASSUME_AUDIENCE_REJECTED: {
    severity: 'fail',
    probe: 'roles',
    title: "STS rejected the token's audience",
    remediation:
      "Add the audience the pods use (openshift on OpenShift, sts.amazonaws.com on EKS) to the IAM OIDC provider's client IDs.",
  },
  ASSUME_THUMBPRINT_REJECTED: {
    severity: 'fail',
    probe: 'roles',
    title: "The issuer's certificate does not match the provider's thumbprint",
    remediation:
      "The issuer's TLS certificate is not from a CA AWS trusts, so STS falls back to the provider's thumbprints, and none matches. Update the thumbprint list (aws iam update-open-id-connect-provider-thumbprint) or serve the issuer with a publicly trusted certificate.",
  },
  ASSUME_TOKEN_EXPIRED: {
    severity: 'fail',
    probe: 'roles',
    title: 'STS says the token has expired',
    remediation:
      "Check the clocks of the cluster's API servers (STS allows 5 minutes of skew) and that pods use projected tokens that the kubelet refreshes.",
  },
  ASSUME_ACCESS_DENIED: {
    severity: 'fail',
    probe: 'roles',
    title: 'The role does not trust this service account',
    remediation:
      "The role's trust policy must name the provider ARN as Federated principal, allow sts:AssumeRoleWithWebIdentity and match the token's sub (system:serviceaccount:<ns>:<sa>) and aud. The trust-policy findings of this run say which part does not match; ccoctl create-iam-roles regenerates it.",
  },
  ASSUME_IDP_ERROR: {
    severity: 'unknown',
    probe: 'roles',
    title: 'STS could not use the identity provider this time',
    remediation:
      'IDPCommunicationError or IDPRejectedClaim: STS could not reach or was refused by the provider. Usually transient; if it persists, check the issuer probe.',
  },
  ASSUME_UNAVAILABLE: {
    severity: 'unknown',
    probe: 'roles',
    title: 'The assume test could not run',
    remediation:
      'No token could be obtained for the service account (cluster API unreachable, service account missing), or STS throttled or failed. The finding names what failed; the test runs again next cycle.',
  },
  TRUST_POLICY_SUBJECT_MISMATCH: {
    severity: 'fail',
    probe: 'roles',
    title: "The role's trust policy does not admit the service account",
    remediation:
      "The trust policy's <provider>:sub (and :aud) conditions must match system:serviceaccount:<namespace>:<name> of the pods that use the role. Fix the condition (ccoctl create-iam-roles writes StringEquals on <provider>:sub).",
  },
  TRUST_POLICY_PROVIDER_MISMATCH: {
    severity: 'fail',
    probe: 'roles',
    title: "The role's trust policy names another identity provider",
    remediation:
      "The Federated principal must be this cluster's IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer without https://>), and the condition keys must start with that provider's URL.",
  },
  ROLE_MISSING: {
    severity: 'fail',
    probe: 'roles',
    title: 'The role does not exist',
    remediation:
      "The role named in the credentials secret or config was deleted or never created. Recreate it (ccoctl create-iam-roles with the release's CredentialsRequests) or fix the role ARN.",
  },
  ROLES_SOURCE_INVALID: {
    severity: 'unknown',
    probe: 'roles',
    title: 'The roles to test could not be determined',
    remediation:
      "Configure roles (roles.list, roles.credentialsRequestsDir, or roles.fromCluster with kube access) and check that the cluster's CredentialsRequests and their secrets are readable.",
  },
  SIGNING_KEYS_NOT_CONFIGURED: {
    severity: 'info',
    probe: 'jwks',
    title: "The cluster's signing keys are not checked",
    remediation:
      "Without kube access (signingKeys.fromCluster), a public key file (signingKeys.publicKeyFiles: ccoctl's serviceaccount-signer.public) or signingKeys.fromTokenOf, the jwks probe cannot tell whether the key the cluster signs with is published; it still checks the JWKS and the IAM OIDC provider. Configure one of them to catch a rotation that was not republished.",
  },
  // bucket
  BUCKET_ANONYMOUS_READ_DENIED: {
    severity: 'fail',
    probe: 'bucket',
    title: 'The bucket policy denies anonymous reads of the issuer documents',
    remediation:
      'STS reads the discovery document and keys.json anonymously from the internet, never through your VPC endpoint or VPC. Remove the statement named in the finding (a Deny unless aws:SourceVpce, aws:SourceVpc or aws:SourceIp also denies STS), or exclude the two issuer objects from it. To keep the bucket private, serve the issuer through CloudFront (ccoctl --create-private-s3-bucket). Check a new policy first with `irsa-sentinel check-policy`.',
  },
  BUCKET_PUBLIC_ACCESS_BLOCKED: {
    severity: 'fail',
    probe: 'bucket',
    title: 'Block Public Access voids the public read of the issuer documents',
    remediation:
      "RestrictPublicBuckets (at the bucket or the account level; the most restrictive wins) limits a public bucket policy to the bucket owner's account, so STS gets AccessDenied. Turn it off for the OIDC bucket (ccoctl sets BlockPublicAcls and IgnorePublicAcls only) or, if your organisation requires it on, move the issuer behind CloudFront with a private bucket (ccoctl --create-private-s3-bucket).",
  },
  BUCKET_POLICY_MISSING: {
    severity: 'fail',
    probe: 'bucket',
    title: 'The OIDC bucket has no policy that grants anonymous reads',
    remediation:
      'Without a bucket policy nothing lets STS read the issuer documents (ACLs are disabled on new buckets). Put back ccoctl\'s policy: Allow, Principal "*", s3:GetObject on arn:aws:s3:::<bucket>/* (Sid AllowReadPublicAccess).',
  },
  BUCKET_POLICY_CHANGED: {
    severity: 'warn',
    probe: 'bucket',
    title: 'The OIDC bucket policy changed since the last run',
    remediation:
      'Someone changed the policy of the bucket that serves the issuer. Review the diff in the finding; the cloudtrail probe names who did it (BUCKET_POLICY_CHANGED_BY). If the change was intended and the issuer is still readable, nothing else is needed.',
  },
  BUCKET_ACCESS_UNKNOWN: {
    severity: 'unknown',
    probe: 'bucket',
    title: "The bucket's policy or settings could not be read",
    remediation:
      "Grant the agent the read-only actions named in the finding (config/iam-policy.json lists every action it needs): s3:GetBucketPolicy, s3:GetBucketPolicyStatus, s3:GetBucketPublicAccessBlock, s3:GetAccountPublicAccessBlock, s3:GetBucketAcl. A bucket in another account needs a bucket policy that lets the agent's role read them.",
  },
  BUCKET_PREDICTION_MISMATCH: {
    severity: 'warn',
    probe: 'bucket',
    title: "The anonymous GET disagrees with the evaluator's verdict",
    remediation:
      "The agent's reading of the bucket policy and Block Public Access predicted one answer and S3 gave another, so a rule it does not model is in play (an SCP or resource control policy, an access point, a new S3 setting). Trust the observed answer (the issuer probe measures it too) and please report the policy in the finding's evidence.",
  },
  BUCKET_ORIGIN_ACCESS_DENIED: {
    severity: 'fail',
    probe: 'bucket',
    title: 'The private bucket does not admit the CloudFront distribution',
    remediation:
      'With a CloudFront issuer the bucket stays private and its policy must allow s3:GetObject to the distribution: the origin access identity (Principal {"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <ID>"}, as ccoctl --create-private-s3-bucket writes it) or, with origin access control, Principal {"Service": "cloudfront.amazonaws.com"} with AWS:SourceArn of the distribution. Put the grant back.',
  },
  BUCKET_NOT_FOUND: {
    severity: 'fail',
    probe: 'bucket',
    title: 'The OIDC bucket does not exist',
    remediation:
      "The bucket named by the issuer URL (or the cluster's bucket setting) is gone, so the issuer documents are too. Recreate it and upload the discovery document and keys.json (ccoctl create-identity-provider), or fix the bucket setting.",
  },
  // cloudtrail
  ASSUME_FAILURES_RECENT: {
    severity: 'warn',
    probe: 'cloudtrail',
    title: 'AssumeRoleWithWebIdentity calls failed recently',
    remediation:
      "Pods of the cluster are failing to get credentials (grouped by role, subject and AWS error code). AccessDenied means the role's trust policy does not admit the service account or audience; see the roles probe for the role's own assume test. Note that CloudTrail does not log \"Couldn't retrieve verification key\" failures: the issuer and bucket probes watch those.",
  },
  BUCKET_POLICY_CHANGED_BY: {
    severity: 'info',
    probe: 'cloudtrail',
    title: "Someone changed the OIDC bucket's policy or Block Public Access",
    remediation:
      "CloudTrail recorded a change to the bucket that serves the issuer, or to the account's Block Public Access, naming who made it, when and from where. If the bucket probe fails at the same time, this change is the likely cause: ask its author, and revert it (or move the issuer behind CloudFront if the bucket must be private).",
  },
  CLOUDTRAIL_THROTTLED: {
    severity: 'unknown',
    probe: 'cloudtrail',
    title: 'CloudTrail throttled the scan',
    remediation:
      'LookupEvents allows two calls a second per account and region, shared with every other tool that calls it. The agent backs off and tries again next run; if this persists, find the other callers or lower probes.cloudtrail.maxPages.',
  },
  CLOUDTRAIL_UNAVAILABLE: {
    severity: 'unknown',
    probe: 'cloudtrail',
    title: 'CloudTrail could not be scanned',
    remediation:
      'LookupEvents failed for a reason other than throttling (network, service error, or missing permission cloudtrail:LookupEvents, named in the finding). Grant the permission (config/iam-policy.json) and check the agent reaches the CloudTrail endpoint of the region.',
  },
  CLOUDTRAIL_INCOMPLETE: {
    severity: 'info',
    probe: 'cloudtrail',
    title: 'The CloudTrail scan did not see every event',
    remediation:
      'The page cap stopped a scan before CloudTrail ran out of events, or some records could not be parsed; counts are then lower bounds. Raise probes.cloudtrail.maxPages for a busy account.',
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
