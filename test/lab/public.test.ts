// S3's "meaning of public" for bucket policies: docs/aws-facts.md 4.1 and the S3 User Guide "Blocking public access to your
// Amazon S3 storage" > "The meaning of public" (its own examples are marked "S3 UG example").
import { describe, it, expect } from 'vitest';
import { bucketPolicyPublicity } from '../../src/lab/public.ts';
import type { PolicyDocument, PolicyStatement } from '../../src/lab/state.ts';

const put = { Resource: '*', Action: 's3:PutObject', Effect: 'Allow' } as const;
const anyone = (Condition?: PolicyStatement['Condition']): PolicyStatement => ({
  ...put,
  Principal: '*',
  ...(Condition && { Condition }),
});
const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });

interface Case {
  name: string;
  policy: PolicyDocument;
  isPublic: boolean;
}

const cases: Case[] = [
  // The S3 User Guide's own examples
  {
    name: 'S3 UG example: Principal {"Federated": "graph.facebook.com"} is public',
    policy: doc({ ...put, Principal: { Federated: 'graph.facebook.com' } }),
    isPublic: true,
  },
  { name: 'S3 UG example: Principal "*" is public', policy: doc(anyone()), isPublic: true },
  {
    name: 'S3 UG example: Principal "*" with StringLike aws:SourceVpc vpc-* is public',
    policy: doc(anyone({ StringLike: { 'aws:SourceVpc': 'vpc-*' } })),
    isPublic: true,
  },
  {
    name: 'S3 UG example: Principal "*" with StringEquals aws:SourceVpc vpc-91237329 is non-public',
    policy: doc(anyone({ StringEquals: { 'aws:SourceVpc': 'vpc-91237329' } })),
    isPublic: false,
  },
  {
    name: 'S3 UG example: a CloudTrail service principal and a fixed account are non-public',
    policy: doc(
      { ...put, Principal: { Service: 'cloudtrail.amazonaws.com' } },
      { ...put, Principal: { AWS: 'arn:aws:iam::444455556666:root' } },
    ),
    isPublic: false,
  },
  // Principals
  {
    name: 'Fixed principals: a CloudFront origin access identity ARN is non-public',
    policy: doc({
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2ABCD' },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::mycluster-oidc/*',
    }),
    isPublic: false,
  },
  {
    name: 'Fixed principals: account ids, users and roles are non-public',
    policy: doc({
      ...put,
      Principal: { AWS: ['111122223333', 'arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:role/r'] },
    }),
    isPublic: false,
  },
  {
    name: 'Wildcard principal: {"AWS": "*"} is public',
    policy: doc({ ...put, Principal: { AWS: '*' } }),
    isPublic: true,
  },
  {
    name: 'Wildcard principal: a role ARN with * is public',
    policy: doc({ ...put, Principal: { AWS: ['111122223333', 'arn:aws:iam::111122223333:role/*'] } }),
    isPublic: true,
  },
  {
    name: 'Policy variable: a principal built from ${aws:username} is not fixed',
    policy: doc({ ...put, Principal: { AWS: 'arn:aws:iam::111122223333:user/${aws:username}' } }),
    isPublic: true,
  },
  {
    name: 'NotPrincipal on an Allow grants everyone else: public',
    policy: doc({ ...put, NotPrincipal: { AWS: '111122223333' } }),
    isPublic: true,
  },
  {
    name: 'Deny statements never make a policy public',
    policy: doc({ ...anyone(), Effect: 'Deny' }, { ...put, Principal: { AWS: '111122223333' } }),
    isPublic: false,
  },
  // aws:SourceIp
  {
    name: 'aws:SourceIp: a /24 is a fixed set of CIDRs, non-public',
    policy: doc(anyone({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '198.51.100.7'] } })),
    isPublic: false,
  },
  {
    name: 'aws:SourceIp: 0.0.0.0/1 is "very broad", public',
    policy: doc(anyone({ IpAddress: { 'aws:SourceIp': '0.0.0.0/1' } })),
    isPublic: true,
  },
  {
    name: 'aws:SourceIp: /8 is not broader than /8, non-public',
    policy: doc(anyone({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })),
    isPublic: false,
  },
  {
    name: 'aws:SourceIp: a /7 is broader than /8, public',
    policy: doc(anyone({ IpAddress: { 'aws:SourceIp': '44.0.0.0/7' } })),
    isPublic: true,
  },
  {
    name: 'aws:SourceIp: one broad CIDR among narrow ones makes it public',
    policy: doc(anyone({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '0.0.0.0/0'] } })),
    isPublic: true,
  },
  {
    name: 'aws:SourceIp: an IPv6 /32 is non-public',
    policy: doc(anyone({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } })),
    isPublic: false,
  },
  {
    name: 'aws:SourceIp: an IPv6 /31 is broader than /32, public',
    policy: doc(anyone({ IpAddress: { 'aws:SourceIp': '2001:db8::/31' } })),
    isPublic: true,
  },
  {
    name: 'aws:SourceIp: NotIpAddress restricts nothing, public',
    policy: doc(anyone({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } })),
    isPublic: true,
  },
  // The other fixed-value keys
  {
    name: 'aws:SourceArn: ArnEquals on a fixed ARN is non-public',
    policy: doc(anyone({ ArnEquals: { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1' } })),
    isPublic: false,
  },
  {
    name: 'aws:SourceArn: ArnLike with a wildcard is public',
    policy: doc(anyone({ ArnLike: { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/*' } })),
    isPublic: true,
  },
  {
    name: 'aws:SourceVpce: StringEquals fixed is non-public',
    policy: doc(anyone({ StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
    isPublic: false,
  },
  {
    name: 'aws:SourceVpce: StringNotEquals restricts nothing, public',
    policy: doc(anyone({ StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
    isPublic: true,
  },
  {
    name: 'aws:SourceVpce: StringEqualsIfExists lets requests without the key in, public',
    policy: doc(anyone({ StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
    isPublic: true,
  },
  {
    name: 'aws:SourceOwner and aws:SourceAccount: fixed values are non-public',
    policy: doc(
      anyone({ StringEquals: { 'aws:SourceOwner': '111122223333' } }),
      anyone({ StringEquals: { 'aws:SourceAccount': '111122223333' } }),
    ),
    isPublic: false,
  },
  {
    name: 'aws:PrincipalOrgID: a fixed organization id is non-public',
    policy: doc(anyone({ StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } })),
    isPublic: false,
  },
  {
    name: 'aws:PrincipalOrgID: a policy variable is not a fixed value, public',
    policy: doc(anyone({ StringEquals: { 'aws:PrincipalOrgID': '${aws:ResourceOrgID}' } })),
    isPublic: true,
  },
  {
    name: 's3:x-amz-server-side-encryption-aws-kms-key-id: a fixed key ARN is non-public',
    policy: doc(
      anyone({
        StringEquals: {
          's3:x-amz-server-side-encryption-aws-kms-key-id':
            'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
      }),
    ),
    isPublic: false,
  },
  {
    name: 'aws:userid: a fixed user id is non-public',
    policy: doc(anyone({ StringEquals: { 'aws:userid': 'AIDAJQABLZS4A3QDU576Q' } })),
    isPublic: false,
  },
  {
    name: 'aws:userid: the pattern AROLEID:* (one role, any session) is non-public',
    policy: doc(anyone({ StringLike: { 'aws:userid': 'AROAEXAMPLEROLEID:*' } })),
    isPublic: false,
  },
  {
    name: 'aws:userid: any other wildcard is public',
    policy: doc(anyone({ StringLike: { 'aws:userid': '*:alice' } })),
    isPublic: true,
  },
  {
    name: 's3:DataAccessPointArn: a wildcard access point name with a fixed account is non-public',
    policy: doc(anyone({ StringLike: { 's3:DataAccessPointArn': 'arn:aws:s3:us-west-2:123456789012:accesspoint/*' } })),
    isPublic: false,
  },
  {
    name: 's3:DataAccessPointArn: a wildcard account is public',
    policy: doc(anyone({ StringLike: { 's3:DataAccessPointArn': 'arn:aws:s3:us-west-2:*:accesspoint/*' } })),
    isPublic: true,
  },
  {
    name: 's3:DataAccessPointAccount: a fixed account is non-public',
    policy: doc(anyone({ StringEquals: { 's3:DataAccessPointAccount': '123456789012' } })),
    isPublic: false,
  },
  {
    name: 'Keys outside the list (aws:SecureTransport) do not restrict, public',
    policy: doc(anyone({ Bool: { 'aws:SecureTransport': 'true' } })),
    isPublic: true,
  },
  {
    name: 'Condition key names are case-insensitive: AWS:SOURCEVPC fixed is non-public',
    policy: doc(anyone({ StringEquals: { 'AWS:SOURCEVPC': 'vpc-91237329' } })),
    isPublic: false,
  },
  {
    name: 'One restricting key is enough (conditions are AND-ed)',
    policy: doc(
      anyone({ StringEquals: { 'aws:SourceVpc': 'vpc-91237329' }, IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }),
    ),
    isPublic: false,
  },
  {
    name: 'ForAllValues holds when the key is absent, so it restricts nothing: public',
    policy: doc(anyone({ 'ForAllValues:StringEquals': { 'aws:SourceVpc': 'vpc-91237329' } })),
    isPublic: true,
  },
];

describe('bucketPolicyPublicity', () => {
  it.each(cases)('$name', ({ policy, isPublic }) => {
    const verdict = bucketPolicyPublicity(policy);
    expect(verdict.isPublic).toBe(isPublic);
    expect(verdict.publicStatements.length > 0).toBe(isPublic);
  });

  it('docs/aws-facts.md 4.1: ccoctl’s public-read policy is public, and the verdict names its statement', () => {
    const ccoctl: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowReadPublicAccess',
          Principal: '*',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: ['arn:aws:s3:::mycluster-oidc/*'],
        },
      ],
    };
    const verdict = bucketPolicyPublicity(ccoctl);
    expect(verdict.isPublic).toBe(true);
    expect(verdict.publicStatements).toHaveLength(1);
    expect(verdict.publicStatements[0]).toMatchObject({ index: 0, sid: 'AllowReadPublicAccess' });
    expect(verdict.publicStatements[0]?.reason).toMatch(/Principal "\*"/);
  });

  it('S3 UG: adding a Principal "*" statement to fixed grants makes the policy public, and only it is listed', () => {
    const verdict = bucketPolicyPublicity(
      doc(
        { ...put, Principal: { Service: 'cloudtrail.amazonaws.com' } },
        { ...put, Principal: { AWS: '444455556666' } },
        anyone(),
      ),
    );
    expect(verdict.isPublic).toBe(true);
    expect(verdict.publicStatements.map((s) => s.index)).toEqual([2]);
    expect(verdict.publicStatements[0]).not.toHaveProperty('sid');
  });

  it('explains a broad aws:SourceIp as a public grant with no fixed restriction', () => {
    const verdict = bucketPolicyPublicity(
      doc({ ...anyone({ IpAddress: { 'aws:SourceIp': '0.0.0.0/1' } }), Sid: 'Wide' }),
    );
    expect(verdict.publicStatements).toHaveLength(1);
    expect(verdict.publicStatements[0]).toMatchObject({ index: 0, sid: 'Wide' });
    expect(verdict.publicStatements[0]?.reason).toMatch(/fixed values/);
  });

  it('a single Statement object is read like a one-element list', () => {
    const [only, ...rest] = bucketPolicyPublicity({ Statement: anyone() }).publicStatements;
    expect(rest).toEqual([]);
    expect(only?.index).toBe(0);
    expect(only).not.toHaveProperty('sid');
  });
});
