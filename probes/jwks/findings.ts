// The jwks probe's finding codes: severity, title, remediation and the evidence each carries. Codes are stable API.
import { z } from 'zod';
import { findingMaker, noEvidence } from '../../src/core/findings.ts';
import type { FindingTable } from '../../src/core/findings.ts';

/** A kid the cluster signs with (or has staged), and what the JWKS publishes. */
const missingKey = z.strictObject({ kid: z.string(), publishedKids: z.array(z.string()) });

export const JWKS_FINDINGS = {
  SIGNING_KEY_NOT_PUBLISHED: {
    severity: 'fail',
    title: "The cluster's signing key is not in the published JWKS",
    remediation:
      "STS finds the token's kid in the issuer's JWKS or fails every AssumeRoleWithWebIdentity with \"Couldn't retrieve verification key\". Publish the current public key: add it to keys.json (keep the old key until every token signed with it has expired), e.g. ccoctl create-identity-provider with the cluster's serviceaccount-signer.public, or for OpenShift follow the OIDC key rotation procedure (publish old and new keys together).",
    evidence: missingKey,
  },
  NEXT_SIGNING_KEY_NOT_PUBLISHED: {
    severity: 'warn',
    title: 'The staged next signing key is not published yet',
    remediation:
      'A rotation is under way (next-bound-service-account-signing-key exists). Add the next key to keys.json now, next to the current one, before the API servers switch to it; otherwise every role breaks at the switch.',
    evidence: missingKey,
  },
  STALE_KEY_PUBLISHED: {
    severity: 'warn',
    title: 'The JWKS publishes a key the cluster no longer uses',
    remediation:
      'Once no unexpired token signed with the old key remains (tokens live at most 24 h, usually 1 h), remove it from keys.json. Publishing it is harmless but keeps a retired key trusted.',
    evidence: z.strictObject({ kid: z.string(), clusterKids: z.array(z.string()) }),
  },
  JWKS_CHANGED: {
    severity: 'info',
    title: 'The published JWKS or discovery document changed',
    remediation:
      'Informational: confirm the change was intended (a key rotation, a republish). The evidence lists the kids added and removed.',
    evidence: z.strictObject({
      added: z.array(z.string()),
      removed: z.array(z.string()),
      discoveryChanged: z.boolean(),
    }),
  },
  TOKEN_VERIFY_FAILED: {
    severity: 'fail',
    title: 'A freshly minted token does not verify against the published JWKS',
    remediation:
      "A token the cluster just signed must verify against the issuer's JWKS with the issuer and audience STS requires. Check that the published key matches the cluster's signing key and that the cluster's serviceAccountIssuer equals the issuer URL exactly.",
    evidence: z.strictObject({
      serviceAccount: z.string(),
      issuer: z.string(),
      audience: z.string(),
      kid: z.string().optional(),
      /** jose's error code, e.g. ERR_JWKS_NO_MATCHING_KEY. */
      code: z.string(),
      reason: z.string(),
    }),
  },
  OIDC_PROVIDER_MISSING: {
    severity: 'fail',
    title: 'No IAM OIDC identity provider for the issuer',
    remediation:
      'STS answers "No OpenIDConnect provider found in your account" without one. Create it for the issuer URL with the audiences the pods use (ccoctl create-identity-provider, or aws iam create-open-id-connect-provider --url <issuer> --client-id-list openshift sts.amazonaws.com).',
    evidence: z.strictObject({ providerArn: z.string() }),
  },
  OIDC_PROVIDER_AUDIENCE_MISSING: {
    severity: 'fail',
    title: "The IAM OIDC provider does not list an audience the pods' tokens use",
    remediation:
      'STS rejects tokens whose aud is not among the provider\'s client IDs with "Incorrect token audience". Add it: aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn <arn> --client-id <audience>.',
    evidence: z.strictObject({ providerArn: z.string(), clientIds: z.array(z.string()) }),
  },
  SIGNING_KEYS_UNAVAILABLE: {
    severity: 'unknown',
    title: "The cluster's signing keys could not be read",
    remediation:
      "Configure a source of the cluster's signing keys (signingKeys: the cluster API via kube, publicKeyFiles, or fromTokenOf) and check the agent can reach the cluster API with its kubeconfig context.",
    evidence: noEvidence,
  },
  JWKS_UNAVAILABLE: {
    severity: 'unknown',
    title: 'The published JWKS could not be read, so key freshness is not known',
    remediation:
      "The jwks probe could not fetch or parse the issuer's discovery document or JWKS, so it cannot tell whether the cluster's keys are published. The issuer probe of this cluster names the cause (unreachable issuer, HTTP error, bucket policy, invalid JWKS) and how to fix it.",
    evidence: noEvidence,
  },
  SIGNING_KEYS_NOT_CONFIGURED: {
    severity: 'info',
    title: "The cluster's signing keys are not checked",
    remediation:
      "Without kube access (signingKeys.fromCluster), a public key file (signingKeys.publicKeyFiles: ccoctl's serviceaccount-signer.public) or signingKeys.fromTokenOf, the jwks probe cannot tell whether the key the cluster signs with is published; it still checks the JWKS and the IAM OIDC provider. Configure one of them to catch a rotation that was not republished.",
    evidence: noEvidence,
  },
} satisfies FindingTable;

export const finding = findingMaker(JWKS_FINDINGS);
