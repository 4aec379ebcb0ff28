// The roles probe's reading of trust policies (docs/aws-facts.md 2.2), table-driven, starting from ccoctl's real trust policy.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RoleToTest } from '../../../probes/roles/sources.ts';
import { evaluateTrust, providerOf, trustFindings, trustStatements } from '../../../probes/roles/trust.ts';

const CCOCTL = readFileSync(new URL('../../fixtures/ccoctl-role-trust-policy-example.json', import.meta.url), 'utf8');
const ISSUER = 'https://mycluster-oidc.s3.us-east-2.amazonaws.com';
const PROVIDER = providerOf(ISSUER, 'aws', '123456789012');
const URL_ = PROVIDER.providerUrl;
const sub = (ns: string, sa: string): string => `system:serviceaccount:${ns}:${sa}`;

const policy = (...statements: Record<string, unknown>[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (extra: Record<string, unknown>): Record<string, unknown> => ({
  Effect: 'Allow',
  Principal: { Federated: PROVIDER.providerArn },
  Action: 'sts:AssumeRoleWithWebIdentity',
  ...extra,
});
const EKS = policy(
  allow({
    Condition: {
      StringEquals: { [`${URL_}:aud`]: 'sts.amazonaws.com', [`${URL_}:sub`]: sub('default', 'assumer') },
    },
  }),
);
const NAMESPACE_WIDE = policy(allow({ Condition: { StringLike: { [`${URL_}:sub`]: sub('team-a', '*') } } }));

interface Case {
  name: string;
  policy: string;
  subject: string;
  audience?: string;
  issuer?: string;
  verdict: 'admitted' | 'provider' | 'subject';
}

const CASES: Case[] = [
  {
    name: 'ccoctl: first SA',
    policy: CCOCTL,
    subject: sub('openshift-image-registry', 'cluster-image-registry-operator'),
    verdict: 'admitted',
  },
  {
    name: 'ccoctl: second SA (list OR)',
    policy: CCOCTL,
    subject: sub('openshift-image-registry', 'registry'),
    verdict: 'admitted',
  },
  {
    name: 'ccoctl: no aud condition, any audience',
    policy: CCOCTL,
    subject: sub('openshift-image-registry', 'registry'),
    audience: 'sts.amazonaws.com',
    verdict: 'admitted',
  },
  {
    name: 'ccoctl: wrong SA',
    policy: CCOCTL,
    subject: sub('openshift-image-registry', 'registry-other'),
    verdict: 'subject',
  },
  { name: 'ccoctl: wrong namespace', policy: CCOCTL, subject: sub('default', 'registry'), verdict: 'subject' },
  {
    name: 'ccoctl: another cluster’s provider',
    policy: CCOCTL,
    subject: sub('openshift-image-registry', 'registry'),
    issuer: 'https://other-oidc.s3.us-east-2.amazonaws.com',
    verdict: 'provider',
  },
  {
    name: 'ccoctl: URL-encoded as GetRole returns it',
    policy: encodeURIComponent(CCOCTL),
    subject: sub('openshift-image-registry', 'registry'),
    verdict: 'admitted',
  },
  {
    name: 'EKS: sub and aud match',
    policy: EKS,
    subject: sub('default', 'assumer'),
    audience: 'sts.amazonaws.com',
    verdict: 'admitted',
  },
  {
    name: 'EKS: aud openshift not admitted',
    policy: EKS,
    subject: sub('default', 'assumer'),
    audience: 'openshift',
    verdict: 'subject',
  },
  {
    name: 'EKS: other SA',
    policy: EKS,
    subject: sub('default', 'other'),
    audience: 'sts.amazonaws.com',
    verdict: 'subject',
  },
  {
    name: 'StringLike namespace wildcard: in namespace',
    policy: NAMESPACE_WIDE,
    subject: sub('team-a', 'anything'),
    verdict: 'admitted',
  },
  {
    name: 'StringLike namespace wildcard: other namespace',
    policy: NAMESPACE_WIDE,
    subject: sub('team-b', 'anything'),
    verdict: 'subject',
  },
  {
    name: 'StringLike ? matches one character',
    policy: policy(allow({ Condition: { StringLike: { [`${URL_}:sub`]: sub('ns', 'sa-?') } } })),
    subject: sub('ns', 'sa-1'),
    verdict: 'admitted',
  },
  {
    name: 'StringLike ? does not match two',
    policy: policy(allow({ Condition: { StringLike: { [`${URL_}:sub`]: sub('ns', 'sa-?') } } })),
    subject: sub('ns', 'sa-12'),
    verdict: 'subject',
  },
  {
    name: 'StringLike: dots are literal',
    policy: policy(allow({ Condition: { StringLike: { [`${URL_}:aud`]: 'sts.amazonaws.com' } } })),
    subject: sub('ns', 'sa'),
    audience: 'stsXamazonawsXcom',
    verdict: 'subject',
  },
  {
    name: 'ForAnyValue:StringLike',
    policy: policy(
      allow({ Condition: { 'ForAnyValue:StringLike': { [`${URL_}:sub`]: [sub('x', '*'), sub('ns', '*')] } } }),
    ),
    subject: sub('ns', 'sa'),
    verdict: 'admitted',
  },
  {
    name: 'StringNotEquals excludes one SA',
    policy: policy(allow({ Condition: { StringNotEquals: { [`${URL_}:sub`]: sub('ns', 'bad') } } })),
    subject: sub('ns', 'bad'),
    verdict: 'subject',
  },
  {
    name: 'condition key names are case-insensitive',
    policy: policy(allow({ Condition: { StringEquals: { [`${URL_.toUpperCase()}:SUB`]: sub('ns', 'sa') } } })),
    subject: sub('ns', 'sa'),
    verdict: 'admitted',
  },
  {
    name: 'condition values are case-sensitive',
    policy: policy(allow({ Condition: { StringEquals: { [`${URL_}:sub`]: sub('ns', 'SA') } } })),
    subject: sub('ns', 'sa'),
    verdict: 'subject',
  },
  {
    name: 'StringEqualsIgnoreCase',
    policy: policy(allow({ Condition: { StringEqualsIgnoreCase: { [`${URL_}:sub`]: sub('ns', 'SA') } } })),
    subject: sub('ns', 'sa'),
    verdict: 'admitted',
  },
  {
    name: 'action sts:* is a wildcard',
    policy: policy(allow({ Action: 'sts:*' })),
    subject: sub('ns', 'sa'),
    verdict: 'admitted',
  },
  {
    name: 'action * and a list',
    policy: policy(allow({ Action: ['s3:GetObject', '*'] })),
    subject: sub('ns', 'sa'),
    verdict: 'admitted',
  },
  {
    name: 'missing action (sts:AssumeRole only)',
    policy: policy(allow({ Action: 'sts:AssumeRole' })),
    subject: sub('ns', 'sa'),
    verdict: 'provider',
  },
  {
    name: 'Principal * admits any provider',
    policy: policy({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRoleWithWebIdentity' }),
    subject: sub('ns', 'sa'),
    verdict: 'admitted',
  },
  {
    name: 'a Deny on the SA wins',
    policy: policy(allow({}), {
      ...allow({ Condition: { StringEquals: { [`${URL_}:sub`]: sub('ns', 'sa') } } }),
      Sid: 'NoSa',
      Effect: 'Deny',
    }),
    subject: sub('ns', 'sa'),
    verdict: 'subject',
  },
  {
    name: 'a Deny on another SA does not apply',
    policy: policy(allow({}), {
      ...allow({ Condition: { StringEquals: { [`${URL_}:sub`]: sub('ns', 'other') } } }),
      Effect: 'Deny',
    }),
    subject: sub('ns', 'sa'),
    verdict: 'admitted',
  },
  {
    name: 'a Deny conditioned on keys it cannot judge is not counted',
    policy: policy(allow({}), {
      ...allow({ Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }),
      Effect: 'Deny',
    }),
    subject: sub('ns', 'sa'),
    verdict: 'admitted',
  },
  { name: 'not a policy', policy: 'not json', subject: sub('ns', 'sa'), verdict: 'provider' },
];

describe('evaluateTrust', () => {
  it.each(CASES)('$name → $verdict', (c) => {
    const provider = c.issuer ? providerOf(c.issuer, 'aws', '123456789012') : PROVIDER;
    const v = evaluateTrust(trustStatements(c.policy), {
      ...provider,
      subject: c.subject,
      audience: c.audience ?? 'openshift',
    });
    expect(v.admitted ? 'admitted' : v.reason).toBe(c.verdict);
  });

  it('builds the provider ARN and condition-key prefix from the issuer', () => {
    expect(providerOf('https://oidc.eks.us-west-2.amazonaws.com/id/ABC', 'aws', '100000000002')).toEqual({
      providerUrl: 'oidc.eks.us-west-2.amazonaws.com/id/ABC',
      providerArn: 'arn:aws:iam::100000000002:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC',
    });
  });

  it('names the principals found on a provider mismatch and the conditions and Deny on a subject mismatch', () => {
    const other = providerOf('https://other.example', 'aws', '123456789012');
    expect(evaluateTrust(trustStatements(CCOCTL), { ...other, subject: 's', audience: 'a' })).toEqual({
      admitted: false,
      reason: 'provider',
      federated: [PROVIDER.providerArn],
    });
    const denied = policy(allow({}), { ...allow({}), Sid: 'Nobody', Effect: 'Deny' });
    expect(evaluateTrust(trustStatements(denied), { ...PROVIDER, subject: 's', audience: 'a' })).toMatchObject({
      reason: 'subject',
      deniedBy: 'Nobody',
    });
  });
});

describe('trustFindings', () => {
  const role = (serviceAccounts: string[]): RoleToTest => ({
    arn: 'arn:aws:iam::123456789012:role/mycluster-openshift-image-registry-installer-cloud-credentials',
    partition: 'aws',
    account: '123456789012',
    name: 'mycluster-openshift-image-registry-installer-cloud-credentials',
    serviceAccounts: serviceAccounts.map((name) => ({
      namespace: 'openshift-image-registry',
      name,
    })) as RoleToTest['serviceAccounts'],
    audience: 'openshift',
  });

  it('admits both image-registry service accounts under ccoctl’s policy', () => {
    expect(trustFindings(CCOCTL, ISSUER, role(['cluster-image-registry-operator', 'registry']))).toEqual([]);
  });

  it('names only the service accounts the policy refuses, with the conditions it has', () => {
    const [f, ...more] = trustFindings(CCOCTL, ISSUER, role(['cluster-image-registry-operator', 'registry', 'pruner']));
    expect(more).toEqual([]);
    expect(f?.code).toBe('TRUST_POLICY_SUBJECT_MISMATCH');
    expect(f?.subject).toBe(role([]).arn);
    expect(f?.evidence).toMatchObject({
      serviceAccounts: ['openshift-image-registry/pruner'],
      subjects: ['system:serviceaccount:openshift-image-registry:pruner'],
      audience: 'openshift',
      conditions: [
        { StringEquals: { [`${URL_}:sub`]: expect.arrayContaining([sub('openshift-image-registry', 'registry')]) } },
      ],
    });
  });

  it('reports a provider mismatch once, with the provider expected and the principals found', () => {
    const findings = trustFindings(CCOCTL, 'https://elsewhere.example', role(['registry']));
    expect(findings.map((f) => f.code)).toEqual(['TRUST_POLICY_PROVIDER_MISMATCH']);
    expect(findings[0]?.evidence).toMatchObject({
      providerArn: 'arn:aws:iam::123456789012:oidc-provider/elsewhere.example',
      federated: [PROVIDER.providerArn],
    });
  });
});
