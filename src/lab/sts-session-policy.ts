// The inline session policy of AssumeRoleWithWebIdentity (`Policy`, docs/aws-facts.md 1.2 and 1.8): its constraints, its
// grammar, and its packed size.
import { deflateRawSync } from 'node:zlib';
import { MalformedPolicyError, parsePolicy } from './policy.ts';
import type { PolicyDocument } from './state.ts';

/** docs/aws-facts.md 1.2 and the STS model's sessionPolicyDocumentType: 1..2048 characters of this set. */
const MAX_CHARS = 2048;
const allowedChar = (c: number): boolean => c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c <= 0xff);

/** The model's constraints the text breaks, worded as STS's validation layer words them (see sts.ts). */
export function sessionPolicyViolations(text: string): string[] {
  const out: string[] = [];
  if (text.length < 1) out.push('have length greater than or equal to 1');
  if (text.length > MAX_CHARS) out.push(`have length less than or equal to ${MAX_CHARS}`);
  if (text.length > 0 && ![...text].every((ch) => allowedChar(ch.codePointAt(0) ?? 0))) {
    out.push('satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+');
  }
  return out;
}

/**
 * PackedPolicySize: "a percentage value that indicates the packed size of the session policies and session tags
 * combined"; over 100 the request fails (STS model; docs/aws-facts.md 1.4 PackedPolicyTooLarge). AWS's packing is not
 * documented: the lab takes the raw-DEFLATE size over 2048 bytes, which gives the STS API reference's example policy
 * (`s3:ListAllMyBuckets` on `*`) its documented 6.
 */
export function packedPolicySize(text: string): number {
  let size = packedSizes.get(text);
  if (size === undefined) {
    size = Math.ceil((deflateRawSync(Buffer.from(text, 'utf8')).length * 100) / 2048);
    if (packedSizes.size >= PACKED_SIZES_MAX) packedSizes.clear();
    packedSizes.set(text, size);
  }
  return size;
}

/** Sizes by policy text (at most 2048 characters each): a client sends the same session policy call after call. */
const packedSizes = new Map<string, number>();
const PACKED_SIZES_MAX = 1000;

export type SessionPolicy = { doc: PolicyDocument; packedPolicySize: number } | { code: string; message: string };

/** A session policy that passed the model's constraints: its grammar (an identity policy), then its packed size. */
export function parseSessionPolicy(text: string): SessionPolicy {
  let doc: PolicyDocument;
  try {
    doc = parsePolicy(text, 'identity');
  } catch (err) {
    // docs/aws-facts.md 1.4: MalformedPolicyDocument, "the error message describes the specific error".
    if (err instanceof MalformedPolicyError) return { code: 'MalformedPolicyDocument', message: err.message };
    throw err;
  }
  const size = packedPolicySize(text);
  if (size > 100) {
    // Not in docs/aws-facts.md: worded like STS's observed session-tags message ("Packed size of session tags consumes N%…").
    return {
      code: 'PackedPolicyTooLarge',
      message: `Packed size of session policies consumes ${size}% of allotted space.`,
    };
  }
  return { doc, packedPolicySize: size };
}
