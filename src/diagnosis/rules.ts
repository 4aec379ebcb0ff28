// The diagnosis rule table: ordered, first match wins. Each rule names one root cause from a cluster's latest
// findings, in the operator's words, with the evidence chain behind it (what breaks, why, who changed it).
// Rule codes are stable API, like finding codes: rename nothing, add new rules where their priority puts them.
import type { FindingCode } from '../findings.ts';
import { changedBy, effectOf, plain } from './evidence.ts';
import type { Evidence, Findings } from './evidence.ts';

export interface Cause {
  /** The finding whose remediation fixes the cause. */
  primary: FindingCode;
  summary: string;
  evidence: Evidence[];
}

export interface DiagnosisRule {
  code: string;
  title: string;
  match(f: Findings, rolesTested: number): Cause | undefined;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** "<effect> because <cause>", or the cause alone when nothing shows the effect yet. */
function because(f: Findings, rolesTested: number, primary: FindingCode, cause: string, extra: Evidence[] = []): Cause {
  const main = f.first(primary);
  const effect = effectOf(f, rolesTested, primary);
  const summary = effect.clause ? `${effect.clause} because ${cause}` : cause.charAt(0).toUpperCase() + cause.slice(1);
  return { primary, summary: `${summary}.`, evidence: [...(main ? [plain(main)] : []), ...extra, ...effect.evidence] };
}

/** A rule for a finding whose message is the cause. */
const simple = (code: string, title: string, primary: FindingCode, lead: string): DiagnosisRule => ({
  code,
  title,
  match: (f, n) => {
    const e = f.first(primary);
    return e && because(f, n, primary, `${lead}: ${e.message.replace(/\.$/, '')}`);
  },
});

export const RULES: DiagnosisRule[] = [
  {
    code: 'BUCKET_POLICY_DENIES_STS',
    title: 'The OIDC bucket policy denies STS',
    match: (f, n) => {
      const e = f.first('BUCKET_ANONYMOUS_READ_DENIED');
      if (!e) return undefined;
      const sid = text(e.facts?.statement);
      const who = changedBy(f, ['PutBucketPolicy']);
      const what = sid ? `statement ${sid}${who.clause} denies` : `the bucket policy${who.clause} does not allow`;
      const cause = `${what} anonymous reads of the issuer documents in ${e.subject ?? 'the bucket'}`;
      return because(f, n, 'BUCKET_ANONYMOUS_READ_DENIED', cause, who.evidence ? [who.evidence] : []);
    },
  },
  {
    code: 'PUBLIC_ACCESS_BLOCKED',
    title: 'Block Public Access cuts STS off',
    match: (f, n) => {
      const e = f.first('BUCKET_PUBLIC_ACCESS_BLOCKED');
      if (!e) return undefined;
      const level = text(e.facts?.level) ?? 'bucket';
      const names = level === 'account' ? ['PutAccountPublicAccessBlock'] : ['PutBucketPublicAccessBlock'];
      const who = changedBy(f, names);
      const cause = `${text(e.facts?.setting) ?? 'Block Public Access'} at the ${level} level${who.clause} voids the public read of the issuer documents`;
      return because(f, n, 'BUCKET_PUBLIC_ACCESS_BLOCKED', cause, who.evidence ? [who.evidence] : []);
    },
  },
  {
    code: 'BUCKET_POLICY_DELETED',
    title: 'The OIDC bucket has no policy',
    match: (f, n) => {
      const e = f.first('BUCKET_POLICY_MISSING');
      if (!e) return undefined;
      const who = changedBy(f, ['DeleteBucketPolicy']);
      const cause = `${e.subject ?? 'the bucket'} has no bucket policy${who.clause}, so nothing grants STS read access`;
      return because(f, n, 'BUCKET_POLICY_MISSING', cause, who.evidence ? [who.evidence] : []);
    },
  },
  {
    code: 'ORIGIN_ACCESS_DENIED',
    title: 'The private bucket does not admit CloudFront',
    match: (f, n) => {
      const e = f.first('BUCKET_ORIGIN_ACCESS_DENIED');
      if (!e) return undefined;
      const who = changedBy(f, ['PutBucketPolicy', 'DeleteBucketPolicy']);
      const cause = `the bucket behind the CloudFront issuer no longer admits the distribution${who.clause}`;
      return because(f, n, 'BUCKET_ORIGIN_ACCESS_DENIED', cause, who.evidence ? [who.evidence] : []);
    },
  },
  simple('BUCKET_MISSING', 'The OIDC bucket is gone', 'BUCKET_NOT_FOUND', 'the OIDC bucket is gone'),
  simple('ISSUER_UNREACHABLE', 'STS cannot reach the issuer', 'ISSUER_UNREACHABLE', 'STS cannot reach the issuer'),
  simple('ISSUER_TLS', 'The issuer certificate is not trusted', 'ISSUER_TLS_INVALID', 'its TLS certificate fails'),
  simple('ISSUER_HTTP_ERROR', 'The issuer answers with an error', 'ISSUER_HTTP_ERROR', 'the issuer answers an error'),
  simple(
    'ISSUER_MISMATCH',
    'The discovery document names another issuer',
    'DISCOVERY_ISSUER_MISMATCH',
    'the discovery document names another issuer',
  ),
  simple(
    'DISCOVERY_INVALID',
    'The discovery document is broken',
    'DISCOVERY_INVALID',
    'the discovery document is broken',
  ),
  simple('JWKS_URI_INSECURE', 'The jwks_uri is not https', 'JWKS_URI_INSECURE', 'STS refuses the jwks_uri'),
  simple('JWKS_UNREADABLE', 'The JWKS cannot be fetched', 'JWKS_HTTP_ERROR', 'the JWKS cannot be fetched'),
  simple('JWKS_INVALID', 'The JWKS is broken', 'JWKS_INVALID', 'the published JWKS is broken'),
  simple('ISSUER_TOO_SLOW', 'The issuer is too slow for STS', 'ISSUER_SLOW', 'the issuer is too slow for STS'),
  {
    code: 'SIGNING_KEY_UNPUBLISHED',
    title: 'The signing key rotated without the JWKS being republished',
    match: (f, n) => {
      const e = f.first('SIGNING_KEY_NOT_PUBLISHED');
      return (
        e &&
        because(
          f,
          n,
          'SIGNING_KEY_NOT_PUBLISHED',
          `the cluster signs tokens with key ${e.subject ?? '?'}, which the published JWKS lacks (the key rotated and keys.json was not republished)`,
        )
      );
    },
  },
  simple(
    'PROVIDER_MISSING',
    'The IAM OIDC provider is missing',
    'OIDC_PROVIDER_MISSING',
    'the IAM OIDC provider is missing',
  ),
  simple(
    'AUDIENCE_MISSING',
    'An audience is missing from the provider',
    'OIDC_PROVIDER_AUDIENCE_MISSING',
    'an audience is missing from the IAM OIDC provider',
  ),
  simple('ROLE_MISSING', 'A role is missing', 'ROLE_MISSING', 'a role the pods use is gone'),
  simple(
    'TRUST_SUBJECT_MISMATCH',
    'A trust policy names the wrong service account',
    'TRUST_POLICY_SUBJECT_MISMATCH',
    "a role's trust policy does not admit its service account",
  ),
  simple(
    'TRUST_PROVIDER_MISMATCH',
    'A trust policy names another provider',
    'TRUST_POLICY_PROVIDER_MISMATCH',
    "a role's trust policy names another identity provider",
  ),
  simple('ASSUME_DENIED', 'STS refuses a role', 'ASSUME_ACCESS_DENIED', 'STS refuses the role'),
  simple(
    'TOKEN_EXPIRED',
    'STS sees expired tokens',
    'ASSUME_TOKEN_EXPIRED',
    'STS sees the token as expired (clock skew?)',
  ),
  simple(
    'TOKEN_UNVERIFIABLE',
    'Tokens do not verify against the JWKS',
    'TOKEN_VERIFY_FAILED',
    'a fresh token does not verify against the published JWKS',
  ),
  simple(
    'KEY_RETRIEVAL_FAILS',
    "STS couldn't retrieve the verification key",
    'ASSUME_KEY_RETRIEVAL_FAILED',
    "STS couldn't retrieve the verification key",
  ),
  simple(
    'PODS_FAILING',
    'Pods fail to assume their roles',
    'ASSUME_FAILURES_RECENT',
    'CloudTrail shows failing assume-role calls',
  ),
];
