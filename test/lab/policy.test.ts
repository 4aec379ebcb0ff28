// The lab's IAM policy evaluator, case by case from the IAM User Guide (policy evaluation logic, JSON policy
// elements, condition operators) and docs/aws-facts.md sections 2.2, 4.1 and 4.2b.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { evaluatePolicy, MalformedPolicyError, parsePolicy, statementsOf } from '../../src/lab/policy.ts';
import type { EvalContext, EvalResult, PrincipalContext } from '../../src/lab/policy.ts';
import type { PolicyDocument, PolicyStatement } from '../../src/lab/state.ts';

const ANON: PrincipalContext = { type: 'anonymous' };
const ALICE_ARN = 'arn:aws:iam::111122223333:user/alice';
const ALICE: PrincipalContext = { type: 'AWS', arn: ALICE_ARN, accountId: '111122223333' };
const MALLORY: PrincipalContext = {
  type: 'AWS',
  arn: 'arn:aws:iam::444455556666:user/mallory',
  accountId: '444455556666',
};
const PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/mycluster-oidc.s3.us-east-2.amazonaws.com';
const SUB = 'mycluster-oidc.s3.us-east-2.amazonaws.com:sub';
const OBJECT = 'arn:aws:s3:::mycluster-oidc/keys.json';

/** ccoctl's bucket policy (docs/aws-facts.md 4.1; shared/reference/samples/ccoctl-bucket-policy-public-read.json). */
const CCOCTL: PolicyDocument = {
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

const allowAll: PolicyStatement = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' };
const policy = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
/** An Allow for everyone whose only gate is `Condition`. */
const allowIf = (Condition: PolicyStatement['Condition']) => policy({ ...allowAll, Condition });
/** ccoctl-style public read plus a Deny gated by `Condition` (statement 1). */
const denyIf = (Condition: PolicyStatement['Condition']) =>
  policy(allowAll, { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition });

const get = (principal: PrincipalContext, keys: EvalContext['keys'] = {}, resource = OBJECT): EvalContext => ({
  principal,
  action: 's3:GetObject',
  resource,
  keys,
});

interface Case {
  name: string;
  doc: PolicyDocument;
  ctx: EvalContext;
  decision: EvalResult['decision'];
  index?: number;
}

const cases: Case[] = [
  // --- docs/aws-facts.md 4.1: the ccoctl bucket
  {
    name: 'docs/aws-facts.md 4.1: ccoctl public-read lets an anonymous caller GetObject',
    doc: CCOCTL,
    ctx: get(ANON),
    decision: 'Allow',
    index: 0,
  },
  {
    name: 'Action element: ccoctl policy grants no s3:ListBucket',
    doc: CCOCTL,
    ctx: { ...get(ANON), action: 's3:ListBucket', resource: 'arn:aws:s3:::mycluster-oidc' },
    decision: 'NotApplicable',
  },
  {
    name: 'Resource element: arn:aws:s3:::b/* does not match the bucket ARN arn:aws:s3:::b',
    doc: CCOCTL,
    ctx: get(ANON, {}, 'arn:aws:s3:::mycluster-oidc'),
    decision: 'NotApplicable',
  },
  {
    name: 'Resource element: another bucket is not covered',
    doc: CCOCTL,
    ctx: get(ANON, {}, 'arn:aws:s3:::other-oidc/keys.json'),
    decision: 'NotApplicable',
  },
  {
    name: 'Resource element: ARNs are case-sensitive',
    doc: CCOCTL,
    ctx: get(ANON, {}, 'arn:aws:s3:::MyCluster-oidc/keys.json'),
    decision: 'NotApplicable',
  },
  // --- docs/aws-facts.md 4.2b: missing keys
  {
    name: 'docs/aws-facts.md 4.2b: Deny StringNotEquals aws:SourceVpce denies an internet caller (key absent -> true)',
    doc: denyIf({ StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ctx: get(ANON),
    decision: 'Deny',
    index: 1,
  },
  {
    name: 'docs/aws-facts.md 4.2b: the same Deny lets the matching VPC endpoint through to the Allow',
    doc: denyIf({ StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-1a2b3c4d' }),
    decision: 'Allow',
    index: 0,
  },
  {
    name: 'docs/aws-facts.md 4.2b: the same Deny denies a different VPC endpoint',
    doc: denyIf({ StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-99999999' }),
    decision: 'Deny',
  },
  {
    name: 'docs/aws-facts.md 4.2b: StringNotLike with the key absent is true',
    doc: denyIf({ StringNotLike: { 'aws:SourceVpc': 'vpc-*' } }),
    ctx: get(ANON),
    decision: 'Deny',
  },
  {
    name: 'docs/aws-facts.md 4.2b: positive operator with the key absent is false',
    doc: allowIf({ StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ctx: get(ANON),
    decision: 'NotApplicable',
  },
  {
    name: 'docs/aws-facts.md 4.2b: Deny + StringNotEqualsIfExists still denies when the key is missing',
    doc: denyIf({ StringNotEqualsIfExists: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ctx: get(ANON),
    decision: 'Deny',
  },
  {
    name: 'Condition operators ...IfExists: StringNotEqualsIfExists with an equal value does not hold',
    doc: denyIf({ StringNotEqualsIfExists: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-1a2b3c4d' }),
    decision: 'Allow',
  },
  {
    name: 'Condition operators ...IfExists: StringEqualsIfExists holds when the key is absent',
    doc: allowIf({ StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ctx: get(ANON),
    decision: 'Allow',
  },
  {
    name: 'Condition operators ...IfExists: StringEqualsIfExists with a present, different value is false',
    doc: allowIf({ StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-00000000' }),
    decision: 'NotApplicable',
  },
  {
    name: 'Null check: {"key": "true"} holds when the key is absent',
    doc: allowIf({ Null: { 'aws:SourceVpce': 'true' } }),
    ctx: get(ANON),
    decision: 'Allow',
  },
  {
    name: 'Null check: {"key": "true"} is false when the key is present',
    doc: allowIf({ Null: { 'aws:SourceVpce': 'true' } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-1a2b3c4d' }),
    decision: 'NotApplicable',
  },
  {
    name: 'Null check: {"key": false} (JSON boolean) holds when the key is present',
    doc: allowIf({ Null: { 'aws:SourceVpce': false } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-1a2b3c4d' }),
    decision: 'Allow',
  },
  // --- IP address operators
  {
    name: 'IpAddress: an IPv4 caller inside the CIDR matches',
    doc: allowIf({ IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] } }),
    ctx: get(ANON, { 'aws:SourceIp': '203.0.113.7' }),
    decision: 'Allow',
  },
  {
    name: 'IpAddress: an IPv4 caller outside every CIDR does not match',
    doc: allowIf({ IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] } }),
    ctx: get(ANON, { 'aws:SourceIp': '198.51.100.7' }),
    decision: 'NotApplicable',
  },
  {
    name: 'IpAddress: a bare address means that one address',
    doc: allowIf({ IpAddress: { 'aws:SourceIp': '203.0.113.7' } }),
    ctx: get(ANON, { 'aws:SourceIp': '203.0.113.8' }),
    decision: 'NotApplicable',
  },
  {
    name: 'IpAddress: IPv6 CIDR matches an IPv6 caller',
    doc: allowIf({ IpAddress: { 'aws:SourceIp': '2001:DB8:1234:5678::/64' } }),
    ctx: get(ANON, { 'aws:SourceIp': '2001:db8:1234:5678::abcd' }),
    decision: 'Allow',
  },
  {
    name: 'IpAddress: IPv6 CIDR does not match an IPv6 caller elsewhere',
    doc: allowIf({ IpAddress: { 'aws:SourceIp': '2001:DB8:1234:5678::/64' } }),
    ctx: get(ANON, { 'aws:SourceIp': '2001:db8:1234:5679::1' }),
    decision: 'NotApplicable',
  },
  {
    name: 'NotIpAddress: Deny for callers outside the range denies an outsider',
    doc: denyIf({ NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } }),
    ctx: get(ANON, { 'aws:SourceIp': '198.51.100.7' }),
    decision: 'Deny',
  },
  {
    name: 'NotIpAddress: the same Deny does not apply to an IPv6 caller inside the range',
    doc: denyIf({ NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } }),
    ctx: get(ANON, { 'aws:SourceIp': '2001:db8:ffff::1' }),
    decision: 'Allow',
  },
  {
    name: 'docs/aws-facts.md 4.2b: NotIpAddress with aws:SourceIp absent (VPC endpoint caller) is true',
    doc: denyIf({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-1a2b3c4d' }),
    decision: 'Deny',
  },
  // --- Bool
  {
    name: 'Bool: Deny aws:SecureTransport "false" denies a plain-HTTP request',
    doc: denyIf({ Bool: { 'aws:SecureTransport': 'false' } }),
    ctx: get(ANON, { 'aws:SecureTransport': 'false' }),
    decision: 'Deny',
  },
  {
    name: 'Bool: the value may be a JSON boolean',
    doc: denyIf({ Bool: { 'aws:SecureTransport': false } }),
    ctx: get(ANON, { 'aws:SecureTransport': 'false' }),
    decision: 'Deny',
  },
  {
    name: 'Bool: aws:SecureTransport "false" does not match an HTTPS request',
    doc: denyIf({ Bool: { 'aws:SecureTransport': false } }),
    ctx: get(ANON, { 'aws:SecureTransport': 'true' }),
    decision: 'Allow',
  },
  // --- Principal / NotPrincipal
  {
    name: 'Principal: {"AWS": "*"} is everyone, anonymous included',
    doc: policy({ ...allowAll, Principal: { AWS: '*' } }),
    ctx: get(ANON),
    decision: 'Allow',
  },
  {
    name: 'Principal: a user ARN does not match an anonymous caller',
    doc: policy({ ...allowAll, Principal: { AWS: ALICE_ARN } }),
    ctx: get(ANON),
    decision: 'NotApplicable',
  },
  {
    name: 'Principal: a 12-digit account id matches any principal of that account',
    doc: policy({ ...allowAll, Principal: { AWS: '111122223333' } }),
    ctx: get(ALICE),
    decision: 'Allow',
  },
  {
    name: 'Principal: the account root ARN matches any principal of that account',
    doc: policy({ ...allowAll, Principal: { AWS: ['arn:aws:iam::111122223333:root'] } }),
    ctx: get(ALICE),
    decision: 'Allow',
  },
  {
    name: 'Principal: the account root ARN does not match another account',
    doc: policy({ ...allowAll, Principal: { AWS: 'arn:aws:iam::111122223333:root' } }),
    ctx: get(MALLORY),
    decision: 'NotApplicable',
  },
  {
    name: 'Principal: a role ARN covers that role’s assumed-role sessions',
    doc: policy({ ...allowAll, Principal: { AWS: 'arn:aws:iam::111122223333:role/ops/reader' } }),
    ctx: get({ type: 'AWS', arn: 'arn:aws:sts::111122223333:assumed-role/reader/s1', accountId: '111122223333' }),
    decision: 'Allow',
  },
  {
    name: 'Principal: a CloudFront OAI is an AWS principal ARN',
    doc: policy({
      ...allowAll,
      Principal: { AWS: 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2ABCD' },
    }),
    ctx: get({
      type: 'AWS',
      arn: 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2ABCD',
      accountId: 'cloudfront',
    }),
    decision: 'Allow',
  },
  {
    name: 'Principal: a CloudFront OAI principal does not let anonymous callers in',
    doc: policy({
      ...allowAll,
      Principal: { AWS: 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2ABCD' },
    }),
    ctx: get(ANON),
    decision: 'NotApplicable',
  },
  {
    name: 'Principal: {"Service": ...} matches that service principal only',
    doc: policy({ ...allowAll, Principal: { Service: 'cloudfront.amazonaws.com' } }),
    ctx: get({ type: 'Service', id: 'cloudfront.amazonaws.com' }),
    decision: 'Allow',
  },
  {
    name: 'NotPrincipal: a Deny with NotPrincipal denies everyone except the listed principal',
    doc: policy(allowAll, { Effect: 'Deny', NotPrincipal: { AWS: '111122223333' }, Action: '*', Resource: '*' }),
    ctx: get(MALLORY),
    decision: 'Deny',
  },
  {
    name: 'NotPrincipal: the listed principal is exempt from the Deny',
    doc: policy(allowAll, { Effect: 'Deny', NotPrincipal: { AWS: '111122223333' }, Action: '*', Resource: '*' }),
    ctx: get(ALICE),
    decision: 'Allow',
  },
  // --- Action / NotAction / NotResource (identity policies: no Principal applies to the caller)
  {
    name: 'Action wildcard: s3:Get* covers s3:GetObject, matched case-insensitively',
    doc: policy({ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }),
    ctx: { ...get(ALICE), action: 'S3:getobject' },
    decision: 'Allow',
  },
  {
    name: 'Action wildcard: s3:Get* does not cover s3:PutObject',
    doc: policy({ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }),
    ctx: { ...get(ALICE), action: 's3:PutObject' },
    decision: 'NotApplicable',
  },
  {
    name: 'Action wildcard: ? matches one character',
    doc: policy({ Effect: 'Allow', Action: 's3:GetObjec?', Resource: '*' }),
    ctx: get(ALICE),
    decision: 'Allow',
  },
  {
    name: 'NotAction: Allow NotAction iam:* allows s3:GetObject',
    doc: policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
    ctx: get(ALICE),
    decision: 'Allow',
  },
  {
    name: 'NotAction: Allow NotAction iam:* does not allow iam:CreateUser',
    doc: policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
    ctx: { ...get(ALICE), action: 'iam:CreateUser', resource: 'arn:aws:iam::111122223333:user/x' },
    decision: 'NotApplicable',
  },
  {
    name: 'NotResource: Deny on everything but one bucket denies another bucket',
    doc: policy(
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::mycluster-oidc', 'arn:aws:s3:::mycluster-oidc/*'] },
    ),
    ctx: get(ALICE, {}, 'arn:aws:s3:::payroll/x'),
    decision: 'Deny',
    index: 1,
  },
  {
    name: 'NotResource: the excluded bucket is allowed',
    doc: policy(
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::mycluster-oidc', 'arn:aws:s3:::mycluster-oidc/*'] },
    ),
    ctx: get(ALICE),
    decision: 'Allow',
    index: 0,
  },
  // --- Evaluation logic
  {
    name: 'Evaluation logic: an explicit Deny wins over an earlier Allow',
    doc: policy(allowAll, { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: OBJECT }),
    ctx: get(ANON),
    decision: 'Deny',
    index: 1,
  },
  {
    name: 'Evaluation logic: the first matching Allow is reported',
    doc: policy({ ...allowAll, Action: 's3:PutObject' }, allowAll, { ...allowAll, Sid: 'later' }),
    ctx: get(ANON),
    decision: 'Allow',
    index: 1,
  },
  {
    name: 'Evaluation logic: default (implicit) deny when nothing matches',
    doc: policy({ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }),
    ctx: get(ALICE),
    decision: 'NotApplicable',
  },
  // --- docs/aws-facts.md 2.2: trust policies
  ...(['cluster-image-registry-operator', 'registry'] as const).map((sa): Case => ({
    name: `docs/aws-facts.md 2.2: ccoctl trust policy, StringEquals list of subs is OR (${sa})`,
    doc: trust({
      StringEquals: { [SUB]: subs('openshift-image-registry', 'cluster-image-registry-operator', 'registry') },
    }),
    ctx: assume({ [SUB]: `system:serviceaccount:openshift-image-registry:${sa}` }),
    decision: 'Allow',
  })),
  {
    name: 'docs/aws-facts.md 2.2: trust policy refuses a service account not in the list',
    doc: trust({ StringEquals: { [SUB]: subs('openshift-image-registry', 'registry') } }),
    ctx: assume({ [SUB]: 'system:serviceaccount:default:registry' }),
    decision: 'NotApplicable',
  },
  {
    name: 'docs/aws-facts.md 2.2: trust policy refuses a different OIDC provider',
    doc: trust({ StringEquals: { [SUB]: subs('openshift-image-registry', 'registry') } }),
    ctx: {
      ...assume({ [SUB]: 'system:serviceaccount:openshift-image-registry:registry' }),
      principal: { type: 'Federated', id: 'arn:aws:iam::123456789012:oidc-provider/other.example.com' },
    },
    decision: 'NotApplicable',
  },
  {
    name: 'docs/aws-facts.md 2.2: StringLike system:serviceaccount:<ns>:* scopes a namespace',
    doc: trust({ StringLike: { [SUB]: 'system:serviceaccount:payments:*' } }),
    ctx: assume({ [SUB]: 'system:serviceaccount:payments:api' }),
    decision: 'Allow',
  },
  {
    name: 'docs/aws-facts.md 2.2: StringLike system:serviceaccount:<ns>:* refuses another namespace',
    doc: trust({ StringLike: { [SUB]: 'system:serviceaccount:payments:*' } }),
    ctx: assume({ [SUB]: 'system:serviceaccount:payments-dev:api' }),
    decision: 'NotApplicable',
  },
  {
    name: 'Condition element: keys of one operator are AND-ed (sub matches, aud does not)',
    doc: trust({
      StringEquals: {
        [SUB]: 'system:serviceaccount:a:b',
        'mycluster-oidc.s3.us-east-2.amazonaws.com:aud': 'sts.amazonaws.com',
      },
    }),
    ctx: assume({ [SUB]: 'system:serviceaccount:a:b', 'mycluster-oidc.s3.us-east-2.amazonaws.com:aud': 'openshift' }),
    decision: 'NotApplicable',
  },
  {
    name: 'Condition element: operators are AND-ed',
    doc: allowIf({ StringEquals: { 'aws:SourceVpce': 'vpce-1' }, Bool: { 'aws:SecureTransport': 'true' } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-1', 'aws:SecureTransport': 'false' }),
    decision: 'NotApplicable',
  },
  // --- Condition keys and values
  {
    name: 'Condition element: key names are case-insensitive',
    doc: allowIf({ StringEquals: { 'AWS:SOURCEVPCE': 'vpce-1a2b3c4d' } }),
    ctx: get(ANON, { 'aws:sourceVpce': 'vpce-1a2b3c4d' }),
    decision: 'Allow',
  },
  {
    name: 'String operators: StringEquals values are case-sensitive',
    doc: allowIf({ StringEquals: { 'aws:SourceVpce': 'VPCE-1A2B3C4D' } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-1a2b3c4d' }),
    decision: 'NotApplicable',
  },
  {
    name: 'String operators: StringEqualsIgnoreCase ignores case',
    doc: allowIf({ StringEqualsIgnoreCase: { 'aws:SourceVpce': 'VPCE-1A2B3C4D' } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-1a2b3c4d' }),
    decision: 'Allow',
  },
  {
    name: 'String operators: StringEquals treats * literally',
    doc: allowIf({ StringEquals: { 'aws:SourceVpc': 'vpc-*' } }),
    ctx: get(ANON, { 'aws:SourceVpc': 'vpc-123' }),
    decision: 'NotApplicable',
  },
  {
    name: 'Set operators: ForAnyValue holds when one request value matches',
    doc: allowIf({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team', 'cost'] } }),
    ctx: get(ANON, { 'aws:TagKeys': ['owner', 'cost'] }),
    decision: 'Allow',
  },
  {
    name: 'Set operators: ForAnyValue with the key absent is false',
    doc: allowIf({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team', 'cost'] } }),
    ctx: get(ANON),
    decision: 'NotApplicable',
  },
  {
    name: 'Set operators: ForAllValues holds when every request value is listed',
    doc: allowIf({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'cost'] } }),
    ctx: get(ANON, { 'aws:TagKeys': ['cost', 'team'] }),
    decision: 'Allow',
  },
  {
    name: 'Set operators: ForAllValues is false when one request value is not listed',
    doc: allowIf({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'cost'] } }),
    ctx: get(ANON, { 'aws:TagKeys': ['cost', 'owner'] }),
    decision: 'NotApplicable',
  },
  {
    name: 'Set operators: ForAllValues with the key absent is true',
    doc: allowIf({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'cost'] } }),
    ctx: get(ANON),
    decision: 'Allow',
  },
  {
    name: 'ARN operators: ArnLike matches each ARN field with wildcards',
    doc: allowIf({ ArnLike: { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/*' } }),
    ctx: get(
      { type: 'Service', id: 'cloudfront.amazonaws.com' },
      { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1' },
    ),
    decision: 'Allow',
  },
  {
    name: 'ARN operators: ArnLike * does not span ARN fields',
    doc: allowIf({ ArnLike: { 'aws:SourceArn': 'arn:aws:cloudfront::*:distribution/*' } }),
    ctx: get(ANON, { 'aws:SourceArn': 'arn:aws:cloudfront::1:2:distribution/E1' }),
    decision: 'NotApplicable',
  },
  {
    name: 'ARN operators: ArnNotEquals with a different ARN holds',
    doc: denyIf({ ArnNotEquals: { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1' } }),
    ctx: get(ANON, { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E2' }),
    decision: 'Deny',
  },
  {
    name: 'Numeric operators: NumericLessThan compares numbers',
    doc: allowIf({ NumericLessThan: { 's3:max-keys': '10' } }),
    ctx: get(ANON, { 's3:max-keys': '9' }),
    decision: 'Allow',
  },
  {
    name: 'Numeric operators: NumericLessThan is false for an equal number',
    doc: allowIf({ NumericLessThan: { 's3:max-keys': 10 } }),
    ctx: get(ANON, { 's3:max-keys': '10' }),
    decision: 'NotApplicable',
  },
  {
    name: 'Date operators: DateLessThan compares ISO 8601 times',
    doc: allowIf({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }),
    ctx: get(ANON, { 'aws:CurrentTime': '2026-11-23T10:00:00Z' }),
    decision: 'Allow',
  },
  {
    name: 'Date operators: DateGreaterThan accepts epoch seconds',
    doc: allowIf({ DateGreaterThan: { 'aws:EpochTime': '1700000000' } }),
    ctx: get(ANON, { 'aws:EpochTime': '1600000000' }),
    decision: 'NotApplicable',
  },
  // --- Policy variables
  {
    name: 'Policy variables: ${aws:username} in a Resource is the caller’s user name',
    doc: policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/*' }),
    ctx: get(ALICE, { 'aws:username': 'alice' }, 'arn:aws:s3:::home/alice/notes'),
    decision: 'Allow',
  },
  {
    name: 'Policy variables: ${aws:username} does not open another user’s folder',
    doc: policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/*' }),
    ctx: get(ALICE, { 'aws:username': 'alice' }, 'arn:aws:s3:::home/bob/notes'),
    decision: 'NotApplicable',
  },
  {
    name: 'Policy variables: an absent variable matches nothing',
    doc: policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/*' }),
    ctx: get(ANON, {}, 'arn:aws:s3:::home/${aws:username}/x'),
    decision: 'NotApplicable',
  },
  {
    name: 'Policy variables: StringEquals ${aws:PrincipalAccount} in a condition value',
    doc: allowIf({ StringEquals: { 'aws:ResourceAccount': '${aws:PrincipalAccount}' } }),
    ctx: get(ALICE, { 'aws:ResourceAccount': '111122223333', 'aws:PrincipalAccount': '111122223333' }),
    decision: 'Allow',
  },
  {
    name: 'Policy variables: not substituted under Version 2008-10-17 (literal text)',
    doc: {
      Version: '2008-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/*' }],
    },
    ctx: get(ALICE, { 'aws:username': 'alice' }, 'arn:aws:s3:::home/alice/notes'),
    decision: 'NotApplicable',
  },
  {
    name: 'Condition operators: an unknown operator never matches (IAM refuses it at PUT)',
    doc: allowIf({ StringEqualz: { 'aws:SourceVpce': 'vpce-1' } }),
    ctx: get(ANON, { 'aws:SourceVpce': 'vpce-1' }),
    decision: 'NotApplicable',
  },
];

function subs(ns: string, ...names: string[]): string[] {
  return names.map((n) => `system:serviceaccount:${ns}:${n}`);
}

function trust(Condition: PolicyStatement['Condition']): PolicyDocument {
  return policy({
    Effect: 'Allow',
    Principal: { Federated: PROVIDER },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition,
  });
}

function assume(keys: EvalContext['keys']): EvalContext {
  return {
    principal: { type: 'Federated', id: PROVIDER },
    action: 'sts:AssumeRoleWithWebIdentity',
    resource: 'arn:aws:iam::123456789012:role/mycluster-openshift-image-registry-installer-cloud-credentials',
    keys,
  };
}

describe('evaluatePolicy', () => {
  it.each(cases)('$name', ({ doc, ctx, decision, index }) => {
    const result = evaluatePolicy(doc, ctx);
    expect(result.decision).toBe(decision);
    if (index !== undefined) {
      expect(result.index).toBe(index);
      expect(result.statement).toBe(statementsOf(doc)[index]);
    }
    if (decision === 'NotApplicable') expect(result.statement).toBeUndefined();
  });

  it('Evaluation logic: an unconditioned explicit Deny wins whatever other statements say (property)', () => {
    const action = fc.constantFrom('s3:GetObject', 's3:*', '*', 's3:Get*', 's3:PutObject');
    const principal = fc.constantFrom<PolicyStatement['Principal']>('*', { AWS: '*' }, { AWS: '111122223333' });
    const statement = fc.record({
      Effect: fc.constantFrom<'Allow' | 'Deny'>('Allow', 'Deny'),
      Principal: principal,
      Action: action,
      Resource: fc.constantFrom('*', OBJECT, 'arn:aws:s3:::mycluster-oidc/*'),
    });
    const deny: PolicyStatement = { Effect: 'Deny', Principal: '*', Action: ['s3:GetObject'], Resource: '*' };
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 6 }), fc.nat(), fc.constantFrom(ANON, ALICE), (others, at, who) => {
        const list: PolicyStatement[] = [...others];
        list.splice(at % (list.length + 1), 0, deny);
        const result = evaluatePolicy(policy(...list), get(who));
        expect(result.decision).toBe('Deny');
        expect(result.statement?.Effect).toBe('Deny');
      }),
      { numRuns: 200 },
    );
  });
});

describe('statementsOf', () => {
  it('Statement element: a single statement object is normalised to a list', () => {
    const only: PolicyStatement = { Effect: 'Allow', Action: '*', Resource: '*' };
    expect(statementsOf({ Statement: only })).toEqual([only]);
    expect(evaluatePolicy({ Statement: only }, get(ALICE))).toMatchObject({ decision: 'Allow', index: 0 });
  });
});

describe('parsePolicy', () => {
  const ccoctlText = JSON.stringify(CCOCTL);

  it('accepts ccoctl’s bucket policy and trust policy as written', () => {
    expect(parsePolicy(ccoctlText, 'resource')).toEqual(CCOCTL);
    const trustText = JSON.stringify(trust({ StringEquals: { [SUB]: subs('a', 'b') } }));
    expect(statementsOf(parsePolicy(trustText, 'trust'))).toHaveLength(1);
  });

  const errors: { name: string; text: string; kind: 'resource' | 'identity' | 'trust'; message: RegExp }[] = [
    { name: 'bad JSON', text: '{"Statement": [', kind: 'resource', message: /not valid JSON/ },
    {
      name: 'missing Effect, named by statement index',
      text: JSON.stringify({ Statement: [allowAll, { Principal: '*', Action: '*', Resource: '*' }] }),
      kind: 'resource',
      message: /^Statement\[1\]\.Effect must be "Allow" or "Deny"$/,
    },
    {
      name: 'Principal in an identity policy',
      text: JSON.stringify({ Statement: [allowAll] }),
      kind: 'identity',
      message: /^Statement\[0\] must not specify a Principal$/,
    },
    {
      name: 'a bucket policy statement without Principal',
      text: JSON.stringify({ Statement: { Effect: 'Allow', Action: '*', Resource: '*' } }),
      kind: 'resource',
      message: /^Statement must have Principal or NotPrincipal$/,
    },
    {
      name: 'unknown condition operator (IAM: "Invalid Condition type")',
      text: JSON.stringify({
        Statement: [allowAll, { ...allowAll, Condition: { stringEquals: { 'aws:SourceVpce': 'v' } } }],
      }),
      kind: 'resource',
      message: /^Statement\[1\]\.Condition: Invalid Condition type : stringEquals$/,
    },
    {
      name: 'IfExists on Null',
      text: JSON.stringify({ Statement: [{ ...allowAll, Condition: { NullIfExists: { 'aws:SourceVpce': 'true' } } }] }),
      kind: 'resource',
      message: /Statement\[0\]\.Condition: Invalid Condition type : NullIfExists/,
    },
    {
      name: 'a trust policy with Resource',
      text: JSON.stringify({ Statement: [{ ...allowAll, Action: 'sts:AssumeRoleWithWebIdentity' }] }),
      kind: 'trust',
      message: /^Statement\[0\] has prohibited field Resource$/,
    },
    {
      name: 'Action and NotAction together',
      text: JSON.stringify({ Statement: [{ ...allowAll, NotAction: 's3:PutObject' }] }),
      kind: 'resource',
      message: /^Statement\[0\] must not have both Action and NotAction$/,
    },
    {
      name: 'an IpAddress value that is not a CIDR',
      text: JSON.stringify({
        Statement: [{ ...allowAll, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } }],
      }),
      kind: 'resource',
      message: /Statement\[0\]\.Condition\.IpAddress\["aws:SourceIp"\]: "10\.0\.0\.0\/33" is not an IP address or CIDR/,
    },
    {
      name: 'an unknown principal type',
      text: JSON.stringify({ Statement: [{ ...allowAll, Principal: { Users: 'alice' } }] }),
      kind: 'resource',
      message: /^Statement\[0\]\.Principal has an unknown principal type "Users"$/,
    },
    {
      name: 'an unsupported Version',
      text: JSON.stringify({ Version: '2012-10-18', Statement: [allowAll] }),
      kind: 'resource',
      message: /Version/,
    },
    {
      name: 'an empty Statement list',
      text: '{"Statement": []}',
      kind: 'resource',
      message: /Statement must not be empty/,
    },
  ];

  it.each(errors)('rejects $name', ({ text, kind, message }) => {
    expect(() => parsePolicy(text, kind)).toThrow(MalformedPolicyError);
    expect(() => parsePolicy(text, kind)).toThrow(message);
  });
});
