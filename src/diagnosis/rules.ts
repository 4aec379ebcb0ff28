// The diagnosis rule table, in priority order. Each rule names one cause from a cluster's latest findings, in the
// operator's words, with the evidence chain behind it (what breaks, why, who changed it). A rule declares its primary
// finding (whose remediation fixes the cause), the effects it explains (failing findings of other probes it produces,
// so a cause is never credited with a failure it does not produce) and the symptoms of the same fault it accounts for:
// what a cause covers is neither a second cause nor an undecided link. Order: what breaks every role first (hosting,
// documents, keys, provider), then what breaks single roles.
// Rule codes are stable API, like finding codes: rename nothing, add new rules where their priority puts them.
import type { FindingCode } from '../findings.ts';
import { changedBy, effectOf, plain, rolesFailing } from './evidence.ts';
import type { Evidence, Findings } from './evidence.ts';

export interface Cause {
  summary: string;
  evidence: Evidence[];
  /** How many failing findings of other probes the cause accounts for (its effects). */
  explained: number;
}

export interface DiagnosisRule {
  code: string;
  title: string;
  /** The finding whose remediation fixes the cause. */
  primary: FindingCode;
  /** Findings the cause accounts for besides its primary: its effects and the symptoms of the same fault. */
  covers: readonly FindingCode[];
  /** A role-level cause accounts for the roles it names only. */
  perRole?: boolean;
  match(f: Findings, rolesTested: number): Cause | undefined;
}

const sentence = (s: string): string => `${s.charAt(0).toUpperCase()}${s.slice(1).replace(/[.\s]+$/, '')}.`;

/** A hosting fault keeps STS from the issuer documents: these show it (docs/aws-facts.md 1.4; CloudTrail logs none). */
const UNREADABLE_ISSUER: FindingCode[] = ['ASSUME_KEY_RETRIEVAL_FAILED', 'ISSUER_HTTP_ERROR', 'JWKS_HTTP_ERROR'];
/** What a fault of the issuer documents themselves does to the pods (its own HTTP errors are symptoms, not effects). */
const BROKEN_DOCUMENTS: FindingCode[] = ['ASSUME_KEY_RETRIEVAL_FAILED'];
/**
 * The same hosting fault as the other probes see it (the bucket changed, the agent is locked out). The jwks probe's
 * JWKS_UNAVAILABLE is not among them: the cause explains it, but kid freshness stays undecided and is listed so.
 */
const HOSTING_SYMPTOMS: FindingCode[] = [
  'ISSUER_UNREACHABLE',
  'BUCKET_POLICY_CHANGED',
  'BUCKET_POLICY_CHANGED_BY',
  'BUCKET_POLICY_LOCKS_OUT_AGENT',
  'BUCKET_PREDICTION_MISMATCH',
];
const DOCUMENT_SYMPTOMS: FindingCode[] = ['TOKEN_VERIFY_FAILED'];

/** "<effect> because <cause>", or the cause alone when nothing shows the effect. */
function because(
  f: Findings,
  rolesTested: number,
  primary: FindingCode,
  cause: string,
  explains: readonly FindingCode[],
  extra: (Evidence | undefined)[] = [],
  subjects?: ReadonlySet<string>,
): Cause {
  const main = f.first(primary);
  const effect = effectOf(f, rolesTested, primary, explains, subjects);
  const summary = sentence(effect.clause ? `${effect.clause} because ${cause}` : cause);
  const chain = [...(main ? [plain(main)] : []), ...extra.filter((e): e is Evidence => e !== undefined)];
  return { summary, evidence: [...chain, ...effect.evidence], explained: effect.evidence.length };
}

/** A rule whose cause is one finding, in `lead`'s words followed by the finding's message. */
const simple = (
  code: string,
  title: string,
  primary: FindingCode,
  lead: string,
  explains: readonly FindingCode[] = [],
  symptoms: readonly FindingCode[] = [],
  /** A role-level cause explains the failures of its own roles only. */
  perRole = false,
): DiagnosisRule => ({
  code,
  title,
  primary,
  covers: [...explains, ...symptoms],
  perRole,
  match: (f, n) => {
    const e = f.first(primary);
    const subjects = perRole ? new Set(f.all(primary).map((x) => x.subject ?? '')) : undefined;
    return e && because(f, n, primary, `${lead}: ${e.message}`, explains, [], subjects);
  },
});

/** A rule for an STS error no other rule explains: how many roles it breaks, and STS's words. */
const assumeError = (code: string, title: string, primary: FindingCode, what: string): DiagnosisRule => ({
  code,
  title,
  primary,
  covers: [],
  match: (f, n) => {
    const { who, evidence } = rolesFailing(f, primary, n);
    if (!who) return undefined;
    return { summary: sentence(`${who}: ${what}`), evidence, explained: 0 };
  },
});

/** Who put the policy and when: the cloudtrail probe's record, else the bucket probe's source for a locked-out read. */
function policyChange(f: Findings, source: { actor?: string; time?: string } | undefined) {
  const who = changedBy(f, ['PutBucketPolicy']);
  if (who.evidence || source?.actor === undefined) return who;
  return { clause: ` (changed by ${source.actor} at ${source.time ?? '?'})`, evidence: undefined };
}

const bucketRules: DiagnosisRule[] = [
  {
    code: 'BUCKET_POLICY_DENIES_STS',
    title: 'The OIDC bucket policy denies STS',
    primary: 'BUCKET_ANONYMOUS_READ_DENIED',
    covers: [...UNREADABLE_ISSUER, ...HOSTING_SYMPTOMS],
    match: (f, n) => {
      const e = f.first('BUCKET_ANONYMOUS_READ_DENIED');
      if (!e) return undefined;
      const sid = e.facts?.statement;
      const source = e.facts?.source;
      const who = policyChange(f, source);
      const where = e.subject ?? 'the bucket';
      const cause =
        source?.kind === 'inferred'
          ? `a Deny in the policy of ${where}, which refuses the agent's own reads too, most likely denies anonymous reads of the issuer documents${who.clause} (no CloudTrail record names the statement)`
          : `${sid ? `statement ${sid}${who.clause} denies` : `the bucket policy${who.clause} does not allow`} anonymous reads of the issuer documents in ${where}`;
      return because(f, n, 'BUCKET_ANONYMOUS_READ_DENIED', cause, UNREADABLE_ISSUER, [who.evidence]);
    },
  },
  {
    code: 'PUBLIC_ACCESS_BLOCKED',
    title: 'Block Public Access cuts STS off',
    primary: 'BUCKET_PUBLIC_ACCESS_BLOCKED',
    covers: [...UNREADABLE_ISSUER, ...HOSTING_SYMPTOMS],
    match: (f, n) => {
      const e = f.first('BUCKET_PUBLIC_ACCESS_BLOCKED');
      if (!e) return undefined;
      const given = e.facts?.levels;
      const levels = given && given.length > 0 ? given : [e.facts?.level ?? 'bucket'];
      const events = levels.map((l) =>
        l === 'account' ? 'PutAccountPublicAccessBlock' : 'PutBucketPublicAccessBlock',
      );
      const who = changedBy(f, events);
      const where = levels.length > 1 ? `the ${levels.join(' and ')} levels` : `the ${levels[0] ?? 'bucket'} level`;
      const cause = `${e.facts?.setting ?? 'Block Public Access'} at ${where}${who.clause} voids the public read of the issuer documents`;
      return because(f, n, 'BUCKET_PUBLIC_ACCESS_BLOCKED', cause, UNREADABLE_ISSUER, [who.evidence]);
    },
  },
  {
    code: 'BUCKET_POLICY_DELETED',
    title: 'The OIDC bucket has no policy',
    primary: 'BUCKET_POLICY_MISSING',
    covers: [...UNREADABLE_ISSUER, ...HOSTING_SYMPTOMS],
    match: (f, n) => {
      const e = f.first('BUCKET_POLICY_MISSING');
      if (!e) return undefined;
      const who = changedBy(f, ['DeleteBucketPolicy'], 'deleted');
      const cause = `the bucket ${e.subject ?? ''} has no policy${who.clause}, so nothing grants STS read access`;
      return because(f, n, 'BUCKET_POLICY_MISSING', cause, UNREADABLE_ISSUER, [who.evidence]);
    },
  },
  {
    code: 'ORIGIN_ACCESS_DENIED',
    title: 'The private bucket does not admit CloudFront',
    primary: 'BUCKET_ORIGIN_ACCESS_DENIED',
    covers: [...UNREADABLE_ISSUER, ...HOSTING_SYMPTOMS],
    match: (f, n) => {
      const e = f.first('BUCKET_ORIGIN_ACCESS_DENIED');
      if (!e) return undefined;
      const who = changedBy(f, ['PutBucketPolicy', 'DeleteBucketPolicy']);
      const cause = `the bucket behind the CloudFront issuer no longer admits the distribution${who.clause}`;
      return because(f, n, 'BUCKET_ORIGIN_ACCESS_DENIED', cause, UNREADABLE_ISSUER, [who.evidence]);
    },
  },
  simple(
    'BUCKET_MISSING',
    'The OIDC bucket is gone',
    'BUCKET_NOT_FOUND',
    'the OIDC bucket is gone',
    UNREADABLE_ISSUER,
    HOSTING_SYMPTOMS,
  ),
];

const issuerRules: DiagnosisRule[] = [
  simple(
    'ISSUER_UNREACHABLE',
    'STS cannot reach the issuer',
    'ISSUER_UNREACHABLE',
    'STS cannot reach the issuer',
    BROKEN_DOCUMENTS,
    HOSTING_SYMPTOMS,
  ),
  simple(
    'ISSUER_TLS',
    'The issuer certificate is not trusted',
    'ISSUER_TLS_INVALID',
    "the issuer's TLS certificate is not trusted",
    [...BROKEN_DOCUMENTS, 'ASSUME_THUMBPRINT_REJECTED'],
    DOCUMENT_SYMPTOMS,
  ),
  simple(
    'ISSUER_HTTP_ERROR',
    'The issuer answers with an error',
    'ISSUER_HTTP_ERROR',
    'the issuer answers an error',
    BROKEN_DOCUMENTS,
    ['JWKS_HTTP_ERROR', ...HOSTING_SYMPTOMS],
  ),
  simple(
    'ISSUER_MISMATCH',
    'The discovery document names another issuer',
    'DISCOVERY_ISSUER_MISMATCH',
    'the discovery document names another issuer',
    [...BROKEN_DOCUMENTS, 'ASSUME_NO_PROVIDER'],
    DOCUMENT_SYMPTOMS,
  ),
  simple(
    'DISCOVERY_INVALID',
    'The discovery document is broken',
    'DISCOVERY_INVALID',
    'the discovery document is broken',
    BROKEN_DOCUMENTS,
    DOCUMENT_SYMPTOMS,
  ),
  simple(
    'JWKS_URI_INSECURE',
    'The jwks_uri is not https',
    'JWKS_URI_INSECURE',
    'STS refuses the jwks_uri',
    BROKEN_DOCUMENTS,
    DOCUMENT_SYMPTOMS,
  ),
  simple(
    'JWKS_URI_REFUSED',
    'The jwks_uri points at an address STS cannot reach',
    'JWKS_URI_REFUSED',
    'the jwks_uri points where STS cannot fetch it',
    BROKEN_DOCUMENTS,
  ),
  simple(
    'JWKS_UNREADABLE',
    'The JWKS cannot be fetched',
    'JWKS_HTTP_ERROR',
    'the JWKS cannot be fetched',
    BROKEN_DOCUMENTS,
    HOSTING_SYMPTOMS,
  ),
  simple(
    'JWKS_INVALID',
    'The JWKS is broken',
    'JWKS_INVALID',
    'the published JWKS is broken',
    BROKEN_DOCUMENTS,
    DOCUMENT_SYMPTOMS,
  ),
  simple(
    'ISSUER_TOO_SLOW',
    'The issuer is too slow for STS',
    'ISSUER_SLOW',
    'the issuer is too slow for STS',
    BROKEN_DOCUMENTS,
  ),
];

const identityRules: DiagnosisRule[] = [
  {
    code: 'SIGNING_KEY_UNPUBLISHED',
    title: 'The signing key rotated without the JWKS being republished',
    primary: 'SIGNING_KEY_NOT_PUBLISHED',
    covers: ['ASSUME_KEY_RETRIEVAL_FAILED', 'TOKEN_VERIFY_FAILED', 'JWKS_CHANGED'],
    match: (f, n) => {
      const e = f.first('SIGNING_KEY_NOT_PUBLISHED');
      const cause = `the cluster signs tokens with key ${e?.subject ?? '?'}, which the published JWKS lacks (the key rotated and keys.json was not republished)`;
      return (
        e && because(f, n, 'SIGNING_KEY_NOT_PUBLISHED', cause, ['ASSUME_KEY_RETRIEVAL_FAILED', 'TOKEN_VERIFY_FAILED'])
      );
    },
  },
  simple(
    'PROVIDER_MISSING',
    'The IAM OIDC provider is missing',
    'OIDC_PROVIDER_MISSING',
    'the IAM OIDC provider is missing',
    ['ASSUME_NO_PROVIDER'],
  ),
  simple(
    'AUDIENCE_MISSING',
    'An audience is missing from the provider',
    'OIDC_PROVIDER_AUDIENCE_MISSING',
    'an audience is missing from the IAM OIDC provider',
    ['ASSUME_AUDIENCE_REJECTED'],
  ),
  simple(
    'TOKEN_UNVERIFIABLE',
    'Tokens do not verify against the JWKS',
    'TOKEN_VERIFY_FAILED',
    'a fresh token does not verify against the published JWKS',
    ['ASSUME_NO_PROVIDER', 'ASSUME_KEY_RETRIEVAL_FAILED'],
  ),
  assumeError(
    'KEY_RETRIEVAL_FAILS',
    "STS couldn't retrieve the verification key",
    'ASSUME_KEY_RETRIEVAL_FAILED',
    "STS couldn't retrieve the verification key, and no probe here finds the issuer, its bucket or the keys broken: check the issuer from the internet, outside any VPC endpoint or proxy",
  ),
  assumeError(
    'NO_PROVIDER',
    'STS finds no OIDC provider',
    'ASSUME_NO_PROVIDER',
    'STS finds no IAM OIDC provider for the issuer',
  ),
  assumeError(
    'AUDIENCE_REJECTED',
    'STS rejects the token audience',
    'ASSUME_AUDIENCE_REJECTED',
    "STS rejects the tokens' audience (Incorrect token audience)",
  ),
  assumeError(
    'THUMBPRINT_REJECTED',
    "STS rejects the issuer's certificate",
    'ASSUME_THUMBPRINT_REJECTED',
    "STS rejects the issuer's certificate against the provider's thumbprints",
  ),
];

const roleRules: DiagnosisRule[] = [
  simple('ROLE_MISSING', 'A role is missing', 'ROLE_MISSING', 'a role the pods use is gone', [], [], true),
  simple(
    'TRUST_SUBJECT_MISMATCH',
    'A trust policy names the wrong service account',
    'TRUST_POLICY_SUBJECT_MISMATCH',
    "a role's trust policy does not admit its service account",
    ['ASSUME_ACCESS_DENIED'],
    [],
    true,
  ),
  simple(
    'TRUST_PROVIDER_MISMATCH',
    'A trust policy names another provider',
    'TRUST_POLICY_PROVIDER_MISMATCH',
    "a role's trust policy names another identity provider",
    ['ASSUME_ACCESS_DENIED'],
    [],
    true,
  ),
  assumeError(
    'ASSUME_DENIED',
    'STS refuses a role',
    'ASSUME_ACCESS_DENIED',
    'STS refuses AssumeRoleWithWebIdentity (AccessDenied)',
  ),
  assumeError(
    'TOKEN_EXPIRED',
    'STS sees expired tokens',
    'ASSUME_TOKEN_EXPIRED',
    "STS sees the token as expired (check the agent's and the cluster's clocks)",
  ),
  simple(
    'PODS_FAILING',
    'Pods fail to assume their roles',
    'ASSUME_FAILURES_RECENT',
    'CloudTrail shows failing assume-role calls',
  ),
];

export const RULES: DiagnosisRule[] = [...bucketRules, ...issuerRules, ...identityRules, ...roleRules];
