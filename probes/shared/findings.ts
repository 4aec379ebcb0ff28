// Finding codes every AWS-facing probe may emit: a read-only call the agent's identity may not make, or one that
// failed for another reason. Both are `unknown`, never `fail`.
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
} satisfies FindingTable;

export const sharedFinding = findingMaker(SHARED_FINDINGS);
