// TRUST_POLICY_PROVIDER_MISMATCH against the lab: a trust policy rewritten (IAM UpdateAssumeRolePolicy, as alice) to
// trust another cluster's OIDC provider is named for that role, beside the AccessDenied its assume test gets.
import { GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRolesProbe } from '../../../probes/roles/probe.ts';
import type { Lab } from '../../../src/lab/index.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { ProbeOutcome } from '../../../src/core/model.ts';
import { sdkConfig, startTestLab } from '../../helpers/lab.ts';
import { labProbeTarget } from '../../helpers/probe-context.ts';

const CLUSTER = 'prod-east';
const OTHER = 'prod-west';
const INGRESS = `${CLUSTER}-openshift-ingress-operator-cloud-credentials`;
const probe = createRolesProbe();
let lab: Lab;
let target: Awaited<ReturnType<typeof labProbeTarget>>;
let iam: IAMClient;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }, { name: OTHER }], keyPool: 2 } });
  target = await labProbeTarget(lab, CLUSTER);
  iam = new IAMClient(sdkConfig(lab, 'alice'));
});
afterEach(() => lab.heal());
afterAll(async () => {
  iam?.destroy();
  await target?.close();
  await lab?.close();
});

const info = (name: string) => lab.info().clusters.find((c) => c.name === name)!;
const run = () => probe.run(target.cluster, target.ctx);
type RoleObservation = { arn: string; status: string; findings: string[] };
const codesByRole = (o: ProbeOutcome): Record<string, string[]> =>
  Object.fromEntries(
    (o.observations?.roles as RoleObservation[]).map((r): [string, string[]] => [r.arn.split('/').pop()!, r.findings]),
  );

/** Point the role's trust policy at OTHER's provider (principal and condition keys), through IAM as alice. */
async function trustOtherProvider(roleName: string): Promise<void> {
  const [ours, theirs] = [info(CLUSTER).oidcProviderArn, info(OTHER).oidcProviderArn];
  const url = (arn: string) => arn.split(':oidc-provider/')[1]!;
  const role = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  const policy = decodeURIComponent(role.Role!.AssumeRolePolicyDocument!);
  expect(policy).toContain(ours);
  const rewritten = policy.replaceAll(ours, theirs).replaceAll(url(ours), url(theirs));
  await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: rewritten }));
}

describe('roles probe: trust policy naming another provider', () => {
  it('TRUST_POLICY_PROVIDER_MISMATCH on that role, and its assume test is denied', async () => {
    await trustOtherProvider(INGRESS);
    const outcome = await run();
    const byRole = codesByRole(outcome);
    expect(byRole[INGRESS]).toEqual(['ASSUME_ACCESS_DENIED', 'TRUST_POLICY_PROVIDER_MISMATCH']);
    expect(Object.entries(byRole).filter(([name]) => name !== INGRESS)).toEqual(
      info(CLUSTER)
        .roles.filter((arn) => !arn.endsWith(`/${INGRESS}`))
        .map((arn) => [arn.split('/').pop(), []]),
    );
    const roleArn = info(CLUSTER).roles.find((arn) => arn.endsWith(`/${INGRESS}`));
    const mismatch = outcome.findings.find((f) => f.code === 'TRUST_POLICY_PROVIDER_MISMATCH');
    expect(mismatch).toMatchObject({
      subject: roleArn,
      evidence: { roleArn, providerArn: info(CLUSTER).oidcProviderArn, federated: [info(OTHER).oidcProviderArn] },
    });
    expect(outcome.findings.find((f) => f.code === 'ASSUME_ACCESS_DENIED')?.evidence).toMatchObject({
      awsError: 'AccessDenied',
      awsMessage: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    });
    expect(statusOf(outcome.findings)).toBe('fail');
  });

  it('after lab.heal() the role trusts its own provider again', async () => {
    await trustOtherProvider(INGRESS);
    await lab.heal();
    expect((await run()).findings).toEqual([]);
  });
});
