// Finding codes every AWS-facing probe may emit: a read-only call the agent's identity may not make, the agent's own
// credentials refused, or a call that failed for another reason. All are `unknown`, never `fail`.
import { z } from 'zod';
import { findingMaker } from '../../src/core/findings.ts';
import type { FindingTable } from '../../src/core/findings.ts';

/** The action called, the AWS error name and message, the request id, and the region of a regional scan. */
const awsCallEvidence = z.strictObject({
  action: z.string(),
  awsError: z.string().optional(),
  awsMessage: z.string().optional(),
  requestId: z.string().optional(),
  region: z.string().optional(),
  /** How many times the SDK tried the call (retries on throttling, 5xx, network errors). */
  attempts: z.number().optional(),
});

export const SHARED_FINDINGS = {
  AWS_PERMISSION_MISSING: {
    severity: 'unknown',
    title: "The agent's AWS identity lacks a permission it needs",
    remediation:
      "Grant the agent's identity the read-only action named in the finding (config/iam-policy.json lists every action irsa-sentinel calls). Until then this link cannot be judged.",
    evidence: awsCallEvidence,
  },
  AWS_UNAVAILABLE: {
    severity: 'unknown',
    title: 'An AWS API call failed (throttling, network, service error)',
    remediation:
      "Transient or environmental: the probe retries on its next run. If it persists, check network access to the AWS endpoints and the account's API rate limits.",
    evidence: awsCallEvidence,
  },
  AWS_CREDENTIALS_REJECTED: {
    severity: 'unknown',
    title: "AWS refused the agent's own credentials (expired, invalid, its web identity refused, or the clock is off)",
    remediation:
      "The agent's AWS identity, not the cluster, is the problem: its credentials expired (ExpiredToken), are unknown or wrong (InvalidClientTokenId, SignatureDoesNotMatch), the agent's clock is too far off to sign (RequestExpired, RequestTimeTooSkewed), or STS refused the agent's own web identity (InvalidIdentityToken, IDPCommunicationError, IDPRejectedClaim). With IRSA or OpenShift STS, Couldn't retrieve verification key means the issuer of the cluster the agent's own identity comes from is broken: give the agent an identity outside the chains it watches (another cluster's issuer, EKS Pod Identity, an instance role). Otherwise renew what the account's `credentials` source gives (the profile, the role the agent assumes and the credentials it assumes it with, the agent pod's projected token) and check the host's clock (NTP). Until then the links this account's calls check cannot be judged.",
    evidence: awsCallEvidence,
  },
} satisfies FindingTable;

export const sharedFinding = findingMaker(SHARED_FINDINGS);
