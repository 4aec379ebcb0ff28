// The roles probe: for every role, a fresh token of its service account goes to STS AssumeRoleWithWebIdentity as a
// pod's would; the credentials are dropped at once, an error is mapped to its cause, and the trust policy is read
// (IAM GetRole) so that a refusal comes with its reason. The token is never logged, stored or put in a finding. The
// session is asked for with a session policy that denies everything: the credentials prove the chain works and can do
// nothing else, whatever the role may do.
import { declared } from '../../src/core/probe.ts';
import { rolesProbe as declaration } from './index.ts';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Credentials } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';
import type { AwsClients } from '../../src/clients/aws.ts';
import type { ClusterConfig } from '../../src/core/cluster.ts';
import { awsCallFinding, isAwsError } from '../shared/aws-errors.ts';
import { finding } from './findings.ts';
import { statusOf } from '../../src/core/model.ts';
import type { Finding } from '../../src/core/model.ts';
import type { Probe, ProbeContext } from '../../src/core/probe.ts';
import { assumeErrorFinding, roleMissingFinding, tokenUnavailableFinding } from './errors.ts';
import { rolesToTest, serviceAccountName, tokenFor } from './sources.ts';
import type { RoleToTest } from './sources.ts';
import { trustFindings } from './trust.ts';

/** Roles tested at once per cluster: bounded so a cluster's run does not burst STS and IAM. */
const PARALLEL_ROLES = 4;

/**
 * The inline session policy of every assume test (docs/aws-facts.md 1.8): a session may do only what both its role and its
 * session policy allow, so these credentials can do nothing that needs a permission; GetCallerIdentity needs none.
 */
export const DENY_ALL_SESSION_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
});

type Observed = { subject?: string; audience?: string; assumedRoleArn?: string };

/** One GetCallerIdentity with the returned credentials, through a throwaway client on the STS client's endpoint. */
async function prove(aws: AwsClients, creds: Credentials, roleArn: string, signal: AbortSignal): Promise<Finding[]> {
  const { region, endpoint, requestHandler } = aws.sts.config;
  const { AccessKeyId: accessKeyId = '', SecretAccessKey: secretAccessKey = '', SessionToken: sessionToken } = creds;
  // The handler is shared with aws.sts, so this client is never destroy()ed (that would close its sockets).
  const client = new STSClient({
    region,
    endpoint,
    requestHandler,
    maxAttempts: 1,
    credentials: { accessKeyId, secretAccessKey, sessionToken },
  });
  return client.send(new GetCallerIdentityCommand({}), { abortSignal: signal }).then(
    () => [],
    // Signed with the session just obtained: its refusal is about that session, not the agent's credentials.
    (err: unknown) => [awsCallFinding(err, 'sts:GetCallerIdentity', roleArn, { signer: 'session' })],
  );
}

async function assume(
  cluster: ClusterConfig,
  role: RoleToTest,
  ctx: ProbeContext,
  aws: AwsClients,
): Promise<{ findings: Finding[]; observed?: Observed }> {
  const who = serviceAccountName(role.serviceAccounts[0]);
  let token: string;
  try {
    token = await tokenFor(role, ctx);
  } catch (err) {
    return { findings: [tokenUnavailableFinding(role.arn, who, (err as Error).message)] };
  }
  const command = new AssumeRoleWithWebIdentityCommand({
    RoleArn: role.arn,
    RoleSessionName: `irsa-sentinel-${ctx.now().getTime().toString(36)}`,
    WebIdentityToken: token,
    DurationSeconds: cluster.roles.sessionDurationSeconds,
    Policy: DENY_ALL_SESSION_POLICY,
  });
  try {
    const out = await aws.sts.send(command, { abortSignal: ctx.signal });
    const proof = cluster.roles.verifyCredentials && out.Credentials;
    const findings = proof ? await prove(aws, proof, role.arn, ctx.signal) : [];
    const { SubjectFromWebIdentityToken: subject, Audience: audience, AssumedRoleUser: user } = out;
    return { findings, observed: { subject, audience, assumedRoleArn: user?.Arn } };
  } catch (err) {
    return { findings: [assumeErrorFinding(err, role.arn, who)] };
  }
}

async function trust(cluster: ClusterConfig, role: RoleToTest, aws: AwsClients, signal: AbortSignal) {
  // Only the cluster's own account's IAM is readable; a role elsewhere is judged by its assume test alone.
  if (role.account !== aws.accountId) return [];
  try {
    const out = await aws.iam.send(new GetRoleCommand({ RoleName: role.name }), { abortSignal: signal });
    return trustFindings(out.Role?.AssumeRolePolicyDocument ?? '', cluster.issuer, role);
  } catch (err) {
    return [
      isAwsError(err, 'NoSuchEntity') ? roleMissingFinding(role.arn) : awsCallFinding(err, 'iam:GetRole', role.arn),
    ];
  }
}

async function testRole(cluster: ClusterConfig, role: RoleToTest, ctx: ProbeContext, aws: AwsClients) {
  ctx.signal.throwIfAborted();
  const [assumed, trusted] = await Promise.all([
    assume(cluster, role, ctx, aws),
    trust(cluster, role, aws, ctx.signal),
  ]);
  // STS answers AccessDenied for a role that does not exist; ROLE_MISSING is the whole story then.
  const missing = trusted.some((f) => f.code === 'ROLE_MISSING');
  const findings = [...assumed.findings.filter((f) => !(missing && f.code === 'ASSUME_ACCESS_DENIED')), ...trusted];
  const serviceAccount = serviceAccountName(role.serviceAccounts[0]);
  return {
    findings,
    observation: {
      arn: role.arn,
      serviceAccount,
      status: statusOf(findings),
      findings: findings.map((f) => f.code),
      ...assumed.observed,
    },
  };
}

export function createRolesProbe(): Probe {
  return {
    ...declared(declaration),
    async run(cluster, ctx) {
      const { aws } = ctx;
      if (!aws)
        return {
          findings: [finding('ASSUME_UNAVAILABLE', 'The cluster names no AWS account, so no role can be assumed.')],
        };
      const { roles, findings } = await rolesToTest(cluster, {
        accountId: aws.accountId,
        ...(ctx.kube && { kube: ctx.kube }),
      });
      const limit = pLimit(PARALLEL_ROLES);
      const tested = await Promise.all(roles.map((role) => limit(() => testRole(cluster, role, ctx, aws))));
      return {
        findings: [...findings, ...tested.flatMap((t) => t.findings)],
        observations: { roles: tested.map((t) => t.observation) },
      };
    },
  };
}
