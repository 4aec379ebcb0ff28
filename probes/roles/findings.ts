// The roles probe's finding codes: severity, title, remediation and the evidence each carries. Codes are stable API.
import { z } from 'zod';
import { findingMaker } from '../../src/core/findings.ts';
import type { FindingTable } from '../../src/core/findings.ts';

/** What STS answered AssumeRoleWithWebIdentity for a role and service account (never the token). */
const stsError = z.strictObject({
  roleArn: z.string(),
  serviceAccount: z.string(),
  awsError: z.string(),
  awsMessage: z.string(),
  requestId: z.string().optional(),
});

export const ROLES_FINDINGS = {
  ASSUME_KEY_RETRIEVAL_FAILED: {
    severity: 'fail',
    title: "STS couldn't retrieve the verification key",
    remediation:
      "STS could not fetch the discovery document or JWKS, or found no key with the token's kid. See the issuer and jwks probes of this cluster for which: bucket policy or Block Public Access blocking anonymous reads, a slow or unreachable issuer, or a signing key not published.",
    evidence: stsError,
  },
  ASSUME_NO_PROVIDER: {
    severity: 'fail',
    title: "STS found no IAM OIDC provider for the token's issuer",
    remediation:
      "Create the IAM OIDC provider for the issuer in the role's account (cross-account providers are not supported), with exactly the issuer URL the tokens carry.",
    evidence: stsError,
  },
  ASSUME_AUDIENCE_REJECTED: {
    severity: 'fail',
    title: "STS rejected the token's audience",
    remediation:
      "Add the audience the pods use (openshift on OpenShift, sts.amazonaws.com on EKS) to the IAM OIDC provider's client IDs.",
    evidence: stsError,
  },
  ASSUME_THUMBPRINT_REJECTED: {
    severity: 'fail',
    title: "The issuer's certificate does not match the provider's thumbprint",
    remediation:
      "The issuer's TLS certificate is not from a CA AWS trusts, so STS falls back to the provider's thumbprints, and none matches. Update the thumbprint list (aws iam update-open-id-connect-provider-thumbprint) or serve the issuer with a publicly trusted certificate.",
    evidence: stsError,
  },
  ASSUME_TOKEN_EXPIRED: {
    severity: 'fail',
    title: 'STS says the token has expired',
    remediation:
      "Check the clocks of the cluster's API servers (STS allows 5 minutes of skew) and that pods use projected tokens that the kubelet refreshes.",
    evidence: stsError,
  },
  ASSUME_ACCESS_DENIED: {
    severity: 'fail',
    title: 'The role does not trust this service account',
    remediation:
      "The role's trust policy must name the provider ARN as Federated principal, allow sts:AssumeRoleWithWebIdentity and match the token's sub (system:serviceaccount:<ns>:<sa>) and aud. The trust-policy findings of this run say which part does not match; ccoctl create-iam-roles regenerates it.",
    evidence: stsError,
  },
  ASSUME_IDP_ERROR: {
    severity: 'unknown',
    title: 'STS could not use the identity provider this time',
    remediation:
      'IDPCommunicationError or IDPRejectedClaim: STS could not reach or was refused by the provider. Usually transient; if it persists, check the issuer probe.',
    evidence: stsError,
  },
  ASSUME_UNAVAILABLE: {
    severity: 'unknown',
    title: 'The assume test could not run',
    remediation:
      'No token could be obtained for the service account (cluster API unreachable, service account missing), or STS throttled or failed. The finding names what failed; the test runs again next cycle.',
    evidence: stsError.partial({ awsError: true, awsMessage: true }),
  },
  TRUST_POLICY_SUBJECT_MISMATCH: {
    severity: 'fail',
    title: "The role's trust policy does not admit the service account",
    remediation:
      "The trust policy's <provider>:sub (and :aud) conditions must match system:serviceaccount:<namespace>:<name> of the pods that use the role. Fix the condition (ccoctl create-iam-roles writes StringEquals on <provider>:sub).",
    evidence: z.strictObject({
      roleArn: z.string(),
      serviceAccounts: z.array(z.string()),
      subjects: z.array(z.string()),
      audience: z.string(),
      /** Per Allow statement for the provider: its sub/aud conditions, operator -> key -> values. */
      conditions: z.array(z.record(z.string(), z.record(z.string(), z.unknown()))),
      deniedBy: z.string().optional(),
    }),
  },
  TRUST_POLICY_PROVIDER_MISMATCH: {
    severity: 'fail',
    title: "The role's trust policy names another identity provider",
    remediation:
      "The Federated principal must be this cluster's IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer without https://>), and the condition keys must start with that provider's URL.",
    evidence: z.strictObject({ roleArn: z.string(), providerArn: z.string(), federated: z.array(z.string()) }),
  },
  ROLE_MISSING: {
    severity: 'fail',
    title: 'The role does not exist',
    remediation:
      "The role named in the credentials secret or config was deleted or never created. Recreate it (ccoctl create-iam-roles with the release's CredentialsRequests) or fix the role ARN.",
    evidence: z.strictObject({ roleArn: z.string() }),
  },
  ROLES_SOURCE_INVALID: {
    severity: 'unknown',
    title: 'The roles to test could not be determined',
    remediation:
      "Configure roles (roles.list, roles.credentialsRequestsDir, or roles.fromCluster with kube access) and check that the cluster's CredentialsRequests and their secrets are readable.",
    evidence: z.strictObject({
      roleArn: z.string().optional(),
      secret: z.string().optional(),
      credentialsRequest: z.string().optional(),
    }),
  },
} satisfies FindingTable;

export const finding = findingMaker(ROLES_FINDINGS);
