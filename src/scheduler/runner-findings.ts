// The runner's own finding codes: a probe run that timed out or failed in a way the probe does not classify.
import { z } from 'zod';
import { findingMaker } from '../core/findings.ts';
import type { FindingTable } from '../core/findings.ts';

export const RUNNER_FINDINGS = {
  PROBE_TIMEOUT: {
    severity: 'unknown',
    title: 'Probe run timed out',
    remediation:
      'The probe did not finish within its timeout, so nothing is known about this link. Check the agent can reach the issuer and AWS; raise schedules.<probe>.timeoutMs if the fleet is large.',
    evidence: z.strictObject({ timeoutMs: z.number() }),
  },
  PROBE_ERROR: {
    severity: 'unknown',
    title: 'Probe failed unexpectedly',
    remediation:
      'The probe raised an error it does not classify. The message and the agent log say what happened; please report it.',
    evidence: z.strictObject({ error: z.string(), code: z.string().optional() }),
  },
} satisfies FindingTable;

export const runnerFinding = findingMaker(RUNNER_FINDINGS);
