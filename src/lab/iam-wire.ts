// What every IAM operation shares: the call it receives, the error it throws, parameter validation, and XML pieces.
import { MalformedPolicyError, parsePolicy } from './policy.ts';
import type { LabState } from './state.ts';
import type { LabContext, LabRequest } from './wire.ts';

export type Tag = { Key: string; Value: string };

/** An AWS error raised inside an operation; the handler turns it into the awsQuery error body. */
export class IamError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface IamCall {
  ctx: LabContext;
  state: LabState;
  req: LabRequest;
  form: Record<string, string>;
}

export interface IamOperation {
  /** Writes are recorded in CloudTrail. */
  write: boolean;
  /** The ARN the `iam:<Action>` permission is checked against (may raise validation errors first). */
  resource(call: IamCall): string;
  /** The `<Action>Result` content (undefined for operations without one) and CloudTrail's responseElements. */
  run(call: IamCall): { result?: Record<string, unknown>; responseElements?: Record<string, unknown> };
}

// -------------------------------------------------------------------------------------------------------------------
// Parameters. Not in docs/aws-facts.md: the validation-layer wording below is AWS's usual "N validation error(s) detected" form.

export const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

export function validationError(value: string | null, member: string, constraint: string): IamError {
  const shown = value === null ? 'null' : `'${value}'`;
  return new IamError(
    400,
    'ValidationError',
    `1 validation error detected: Value ${shown} at '${lowerFirst(member)}' failed to satisfy constraint: Member must ${constraint}`,
  );
}

export function required(form: Record<string, string>, name: string): string {
  const value = form[name];
  if (value === undefined) throw validationError(null, name, 'not be null');
  return value;
}

export function checkName(value: string, member: string, max: number): string {
  if (value.length < 1) throw validationError(value, member, 'have length greater than or equal to 1');
  if (value.length > max) throw validationError(value, member, `have length less than or equal to ${max}`);
  if (!/^[\w+=,.@-]+$/.test(value)) {
    throw validationError(value, member, 'satisfy regular expression pattern: [\\w+=,.@-]+');
  }
  return value;
}

export function integerParam(form: Record<string, string>, name: string, min: number, max: number): number | undefined {
  const raw = form[name];
  if (raw === undefined) return undefined;
  const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (Number.isNaN(n)) throw validationError(raw, name, 'be an integer');
  if (n < min) throw validationError(raw, name, `have value greater than or equal to ${min}`);
  if (n > max) throw validationError(raw, name, `have value less than or equal to ${max}`);
  return n;
}

/** Tags.member.N.Key / Tags.member.N.Value */
export function tagsParam(form: Record<string, string>): Tag[] {
  const tags: Tag[] = [];
  for (let i = 1; form[`Tags.member.${i}.Key`] !== undefined; i++) {
    tags.push({ Key: form[`Tags.member.${i}.Key`] as string, Value: form[`Tags.member.${i}.Value`] ?? '' });
  }
  if (tags.length > 50) throw validationError(null, 'Tags', 'have length less than or equal to 50');
  return tags;
}

/** Tags are unique by key; later values replace earlier ones. IAM lists them sorted by key (docs/aws-facts.md 2.1). */
export function mergeTags(current: Tag[], added: Tag[]): Tag[] {
  const byKey = new Map(current.map((t) => [t.Key, t.Value]));
  for (const t of added) byKey.set(t.Key, t.Value);
  return [...byKey]
    .map(([Key, Value]) => ({ Key, Value }))
    .sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
}

export function policyParam(form: Record<string, string>, name: string, kind: 'identity' | 'trust'): string {
  const text = required(form, name);
  try {
    parsePolicy(text, kind);
  } catch (err) {
    if (err instanceof MalformedPolicyError) throw new IamError(400, 'MalformedPolicyDocument', err.message);
    throw err;
  }
  return text;
}

// -------------------------------------------------------------------------------------------------------------------
// XML pieces: lists are <member> elements (docs/aws-facts.md 2.1); an empty list is an empty element.

export const members = (items: unknown[]): unknown => (items.length > 0 ? { member: items } : '');
export const isoMillis = (d: Date): string => d.toISOString();
