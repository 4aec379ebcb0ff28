// What a finding code is: its severity, title, remediation and the shape of its evidence. Every probe declares its
// codes in a table of these (probes/<name>/findings.ts); src/findings.ts joins them into the one table of every code.
import { z } from 'zod';
import type { Finding, Severity } from './model.ts';

export interface FindingDef<E extends z.ZodType = z.ZodType> {
  severity: Severity;
  title: string;
  remediation: string;
  /** The evidence this code carries (a zod object schema), or `noEvidence`. Evidence is always optional. */
  evidence: E;
}

export type FindingTable = Readonly<Record<string, FindingDef>>;

/** For codes that never carry evidence. */
export const noEvidence = z.never();

/** The evidence a code takes, as the probe writes it. */
export type EvidenceInput<T extends FindingTable, C extends keyof T> = z.input<T[C]['evidence']>;
/** The evidence a code carries, as the diagnosis and the API read it. */
export type EvidenceOf<T extends FindingTable, C extends keyof T> = z.output<T[C]['evidence']>;

export interface FindingOptions<E> {
  subject?: string;
  evidence?: E;
  /** Overrides the code's severity (e.g. an aborted fetch is `unknown`, a slow issuer over STS's budget `fail`). */
  severity?: Severity;
}

/** A finding constructor for one table: the code picks the severity, the remediation and the evidence type. */
export function findingMaker<T extends FindingTable>(table: T) {
  return <C extends keyof T & string>(
    code: C,
    message: string,
    opts: FindingOptions<EvidenceInput<T, C>> = {},
  ): Finding => {
    const def = table[code]!;
    return {
      code,
      severity: opts.severity ?? def.severity,
      message,
      remediation: def.remediation,
      ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
      ...(opts.evidence !== undefined ? { evidence: opts.evidence as Record<string, unknown> } : {}),
    };
  };
}

/** Why a finding's evidence does not match its code's declared type (JSON form, as stored), or undefined. */
export function evidenceProblem(def: FindingDef, evidence: unknown): string | undefined {
  if (evidence === undefined) return undefined;
  const parsed = def.evidence.safeParse(JSON.parse(JSON.stringify(evidence)));
  if (parsed.success) return undefined;
  return parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(evidence)'}: ${i.message}`).join('; ');
}
