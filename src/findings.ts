// Every finding code, in one table: the runner's, the codes shared by the AWS-facing probes, then each probe's own
// (declared in probes/<name>/findings.ts). Codes are stable API: rename nothing. docs/findings.md and
// `irsa-sentinel explain` come from here.
import { PROBES } from '../probes/index.ts';
import { SHARED_FINDINGS } from '../probes/shared/findings.ts';
import { evidenceProblem, findingMaker } from './core/findings.ts';
import type { EvidenceOf as TableEvidenceOf, FindingDef as CodeDef } from './core/findings.ts';
import type { Finding, ProbeName } from './core/model.ts';
import { RUNNER_FINDINGS } from './scheduler/runner-findings.ts';

type Probes = typeof PROBES;
type AllTables = typeof RUNNER_FINDINGS &
  typeof SHARED_FINDINGS &
  Probes['issuer']['findings'] &
  Probes['jwks']['findings'] &
  Probes['bucket']['findings'] &
  Probes['cloudtrail']['findings'] &
  Probes['roles']['findings'];

/** A code's definition with the probe that emits it ('runner' for the runner's and the shared AWS codes). */
export type FindingDef = CodeDef & { probe: ProbeName | 'runner' };

const withProbe = <T extends Record<string, CodeDef>>(table: T, probe: ProbeName | 'runner') =>
  Object.fromEntries(Object.entries(table).map(([code, def]) => [code, { ...def, probe }])) as {
    [C in keyof T]: T[C] & { probe: ProbeName | 'runner' };
  };

export const FINDINGS = {
  ...withProbe(RUNNER_FINDINGS, 'runner'),
  ...withProbe(SHARED_FINDINGS, 'runner'),
  ...withProbe(PROBES.issuer.findings, 'issuer'),
  ...withProbe(PROBES.jwks.findings, 'jwks'),
  ...withProbe(PROBES.bucket.findings, 'bucket'),
  ...withProbe(PROBES.cloudtrail.findings, 'cloudtrail'),
  ...withProbe(PROBES.roles.findings, 'roles'),
} satisfies Record<string, FindingDef>;

export type FindingCode = keyof AllTables;

/** The evidence a code carries, typed: what the diagnosis and the API read. */
export type EvidenceOf<C extends FindingCode> = TableEvidenceOf<AllTables, C>;

export const FINDING_CODES = Object.keys(FINDINGS) as FindingCode[];

export function isFindingCode(code: string): code is FindingCode {
  return Object.hasOwn(FINDINGS, code);
}

/** A finding of any code with the table's severity and remediation; a probe may raise or lower the severity. */
export const finding = findingMaker(FINDINGS);

/** Why a finding does not match its code's declaration (an unknown code, evidence of the wrong shape), or undefined. */
export function findingProblem(f: Finding): string | undefined {
  if (!isFindingCode(f.code)) return `unknown finding code ${f.code}`;
  const problem = evidenceProblem(FINDINGS[f.code], f.evidence);
  return problem && `${f.code} evidence: ${problem}`;
}
