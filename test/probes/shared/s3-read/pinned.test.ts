// Facts pinned by the differential test (differential.test.ts): every place where the probes' evaluator and the lab
// disagreed, with the outcome AWS documents (or, where AWS's text is ambiguous, the reading chosen for both) and its
// source. Each fact is checked against both readings (readings.ts), for the reader that matters most: STS, an anonymous
// caller from an unknown public address.
import { describe, expect, it } from 'vitest';
import { evaluateRead } from '../../../../probes/shared/s3-read/eval.ts';
import { BUCKET, READERS } from './arbitraries.ts';
import type { DiffReader } from './arbitraries.ts';
import { factsOf, labBucket, probePublic, probeRead, settings } from './readings.ts';
import type { Setup } from './readings.ts';

const [INTERNET, VPCE, , CORP] = READERS as [DiffReader, DiffReader, DiffReader, DiffReader];
const KEY = 'keys.json';
const OBJECTS = `arn:aws:s3:::${BUCKET}/*`;

type Statement = Record<string, unknown>;
const policy = (...Statement: Statement[]) => ({ Version: '2012-10-17', Statement });
const allowIf = (Condition: Record<string, unknown>, extra: Statement = {}): Statement => ({
  Sid: 'Read',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: OBJECTS,
  Condition,
  ...extra,
});
const PUBLIC_READ: Statement = {
  Sid: 'Public',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: OBJECTS,
};
const denyIf = (Condition: Record<string, unknown>): Statement => ({
  ...allowIf(Condition),
  Sid: 'Deny',
  Effect: 'Deny',
});

interface Fact {
  name: string;
  source: string;
  setup: Setup;
  reader?: DiffReader;
  /** The anonymous GET of keys.json is allowed. */
  allowed?: boolean;
  /** GetBucketPolicyStatus IsPublic. */
  isPublic?: boolean;
}

const RE_POST =
  're:Post "ForAnyValue:StringEqualsIfExists behaving unexpectedly" (repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w): ' +
  'an Allow with ForAnyValue:StringEqualsIfExists on a key the request lacks did not allow; accepted answer: "if there ' +
  'is no matching context key or the dataset is null, the condition returns false"';
const MULTI = 'IAM UG single-valued vs multivalued context keys, ForAnyValue / ForAllValues';
const KEYS = 'IAM UG AWS global condition context keys';
const S3_PUBLIC = 'S3 UG Blocking public access, "The meaning of public", bucket policies';

const FACTS: Fact[] = [
  // The known disagreement of issue 9: the probe said no grant, the lab said Allow. The lab now agrees.
  {
    name: 'ForAnyValue:StringEqualsIfExists on an absent key is false: the Allow does not grant',
    source: `${RE_POST}; ${MULTI}`,
    setup: { policy: policy(allowIf({ 'ForAnyValue:StringEqualsIfExists': { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })) },
    allowed: false,
  },
  {
    name: 'ForAnyValue:StringNotEqualsIfExists on an absent key is false too: the Deny does not apply',
    source: `${RE_POST}; ${MULTI}`,
    setup: {
      policy: policy(
        PUBLIC_READ,
        denyIf({ 'ForAnyValue:StringNotEqualsIfExists': { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
      ),
    },
    allowed: true,
  },
  {
    name: 'ForAllValues:StringEqualsIfExists on an absent key is true: the Allow grants',
    source: `${MULTI}: ForAllValues "also returns true if there are no context keys in the request"`,
    setup: { policy: policy(allowIf({ 'ForAllValues:StringEqualsIfExists': { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })) },
    allowed: true,
  },
  {
    name: 'ForAnyValue:StringEqualsIfExists with the key present is the plain operator',
    source: MULTI,
    setup: { policy: policy(allowIf({ 'ForAnyValue:StringEqualsIfExists': { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })) },
    reader: VPCE,
    allowed: true,
  },
  // Keys an anonymous request has or lacks (the probe had aws:PrincipalIsAWSService; the lab lacked aws:ViaAWSService).
  {
    name: 'an anonymous request has no aws:PrincipalIsAWSService',
    source: `${KEYS}, aws:PrincipalIsAWSService: "Anonymous requests do not include this key"`,
    setup: { policy: policy(PUBLIC_READ, denyIf({ Null: { 'aws:PrincipalIsAWSService': 'true' } })) },
    allowed: false,
  },
  {
    name: 'every request has aws:ViaAWSService, false unless a service forwards it',
    source: `${KEYS}, aws:ViaAWSService: "This key is always included in the request context"`,
    setup: { policy: policy(allowIf({ Bool: { 'aws:ViaAWSService': 'false' } })) },
    allowed: true,
  },
  {
    name: 'an anonymous request has aws:PrincipalAccount "anonymous"',
    source: `${KEYS}, aws:PrincipalAccount: "For anonymous requests, the request context returns anonymous"`,
    setup: { policy: policy(allowIf({ StringEquals: { 'aws:PrincipalAccount': 'anonymous' } })) },
    allowed: true,
  },
  {
    name: "every request has aws:UserAgent: STS's is present, and no policy's value names it",
    source: `${KEYS}, aws:UserAgent: "This key is always included in the request context"; STS's User-Agent: NOT FOUND`,
    setup: { policy: policy(PUBLIC_READ, denyIf({ Null: { 'aws:UserAgent': 'true' } })) },
    allowed: true,
  },
  {
    name: 'StringEqualsIfExists aws:UserAgent with a value STS does not send: no grant',
    source: `${KEYS}, aws:UserAgent`,
    setup: { policy: policy(allowIf({ StringEqualsIfExists: { 'aws:UserAgent': 'aws-sdk-go/1.44' } })) },
    allowed: false,
  },
  {
    name: "every request has aws:RequestedRegion, the bucket's region for an S3 read",
    source: `${KEYS}, aws:RequestedRegion: "This key is always included in the request context"`,
    setup: { policy: policy(PUBLIC_READ, denyIf({ StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } })) },
    allowed: true,
  },
  // The unknown public address (the probe matched it with ::/0 and matched IPv4 addresses with IPv6 ranges).
  {
    name: 'the unknown public address is IPv4: 0.0.0.0/0 holds it',
    source:
      'S3 UG Making requests over IPv6: "To make a request to an S3 bucket over IPv6, you need to use a dual-stack endpoint"',
    setup: { policy: policy(allowIf({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } })) },
    allowed: true,
  },
  {
    name: '::/0 does not hold the unknown public address (ccoctl issuers are standard, IPv4-only S3 endpoints)',
    source: 'S3 UG Making requests over IPv6; docs/aws-facts.md 5 (issuer https://<bucket>.s3.<region>.amazonaws.com)',
    setup: { policy: policy(allowIf({ IpAddress: { 'aws:SourceIp': '::/0' } })) },
    allowed: false,
  },
  {
    name: 'NotIpAddress ::/0 denies the unknown public address',
    source: 'S3 UG Making requests over IPv6',
    setup: { policy: policy(PUBLIC_READ, denyIf({ NotIpAddress: { 'aws:SourceIp': '::/0' } })) },
    allowed: false,
  },
  {
    name: 'an IPv6 range does not hold an IPv4 address',
    source: `${KEYS}, aws:SourceIp: networks with both families list "the IPv4 and IPv6 address or ranges"`,
    setup: { policy: policy(allowIf({ IpAddress: { 'aws:SourceIp': '::/0' } })) },
    reader: CORP,
    allowed: false,
  },
  // The meaning of public.
  {
    name: 'NotPrincipal with Allow and a fixed aws:SourceVpce is non-public, like Principal "*" with it',
    source: `${S3_PUBLIC}: "You can make these policies non-public by including any of the condition keys listed previously, using a fixed value"`,
    setup: {
      policy: policy({
        ...allowIf({ StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
        Principal: undefined,
        NotPrincipal: { AWS: 'arn:aws:iam::111122223333:role/reader' },
      }),
      bucketBlock: settings({ RestrictPublicBuckets: true }),
    },
    reader: VPCE,
    isPublic: false,
    allowed: true,
  },
  {
    // Ambiguous text, reading chosen for both: aws:PrincipalServiceName is the key that names a service principal.
    name: 'a fixed aws:PrincipalServiceName makes a statement non-public',
    source: `${S3_PUBLIC}: fixed values of "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)"`,
    setup: { policy: policy(allowIf({ StringEquals: { 'aws:PrincipalServiceName': 'cloudfront.amazonaws.com' } })) },
    isPublic: false,
    allowed: false,
  },
  {
    // Ambiguous text, reading chosen for both: the pattern names one role's sessions, so it is a fixed principal.
    name: 'aws:userid AROAEXAMPLEID:* (one role, any session) is a fixed value',
    source: `${S3_PUBLIC}: "aws:userid, outside the pattern AROLEID:*"`,
    setup: { policy: policy(allowIf({ StringLike: { 'aws:userid': 'AROAEXAMPLEID:*' } })) },
    isPublic: false,
    allowed: false,
  },
  {
    name: 'aws:userid AIDA*:* is not',
    source: `${S3_PUBLIC}: values with a wildcard are not fixed`,
    setup: { policy: policy(allowIf({ StringLike: { 'aws:userid': 'AIDA*' } })) },
    isPublic: true,
    allowed: false,
  },
  {
    name: 'under Version 2008-10-17 "${aws:SourceVpce}" is literal text, a fixed value',
    source:
      `${S3_PUBLIC}: fixed = no wildcard and no "IAM Policy Variable"; IAM UG policy variables: under 2008-10-17 ` +
      '"variables like ${aws:username} are treated as literal strings"',
    setup: {
      policy: {
        Version: '2008-10-17',
        Statement: [allowIf({ StringEquals: { 'aws:SourceVpce': '${aws:SourceVpce}' } })],
      },
    },
    isPublic: false,
    allowed: false,
  },
  {
    name: 'under Version 2012-10-17 it is a policy variable, not a fixed value',
    source: S3_PUBLIC,
    setup: { policy: policy(allowIf({ StringEquals: { 'aws:SourceVpce': '${aws:SourceVpce}' } })) },
    reader: VPCE,
    isPublic: true,
    allowed: true,
  },
];

describe('facts pinned by the differential test hold in both readings', () => {
  it.each(FACTS)('$name', (f) => {
    const reader = f.reader ?? INTERNET;
    const lab = labBucket(f.setup);
    expect(lab.refused).toBeUndefined();
    const probe = probeRead(f.setup, KEY, reader);
    expect(probe.reason).not.toBe('policy-invalid');
    if (f.allowed !== undefined) {
      expect({ probe: probe.allowed, lab: lab.allows(reader, KEY) }).toEqual({ probe: f.allowed, lab: f.allowed });
    }
    if (f.isPublic !== undefined) {
      expect({ probe: probePublic(f.setup), lab: lab.isPublic() }).toEqual({ probe: f.isPublic, lab: f.isPublic });
    }
    expect(f.source).not.toBe('');
  });
});

describe("the probe without the bucket's region", () => {
  it('leaves aws:RequestedRegion out, so a Deny StringNotEquals on it denies', () => {
    const setup: Setup = {
      policy: policy(PUBLIC_READ, denyIf({ StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } })),
    };
    const { region: _, ...facts } = factsOf(setup);
    expect(evaluateRead(facts, KEY, INTERNET.probe).reason).toBe('explicit-deny');
  });
});
