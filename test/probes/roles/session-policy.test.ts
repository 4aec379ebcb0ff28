// The credentials the roles probe obtains can do nothing (docs/aws-facts.md 1.8): every assume test passes a deny-all session
// policy, so a role that may read S3 and IAM yields a session that may not, while GetCallerIdentity still proves it.
import { IAMClient, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetBucketPolicyCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRolesProbe } from '../../../probes/roles/probe.ts';
import type { Lab } from '../../../src/lab/index.ts';
import type { LabSession } from '../../../src/lab/state.ts';
import { assumeIngressRole, sdkConfig, sessionConfig, startTestLab } from '../../helpers/lab.ts';
import { labProbeTarget } from '../../helpers/probe-context.ts';

const CLUSTER = 'prod-east';
const BUCKET = `${CLUSTER}-oidc`;
/** What the test gives every role of the cluster: reads that a session without a session policy may then make. */
const ROLE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:ListAllMyBuckets', 's3:GetBucketPolicy', 'iam:ListRoles'], Resource: '*' },
  ],
});

let lab: Lab;
let target: Awaited<ReturnType<typeof labProbeTarget>>;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
  target = await labProbeTarget(lab, CLUSTER);
  const iam = new IAMClient(sdkConfig(lab, 'alice'));
  for (const arn of lab.info().clusters[0]!.roles)
    await iam.send(
      new PutRolePolicyCommand({ RoleName: arn.split('/').pop(), PolicyName: 'reads', PolicyDocument: ROLE_POLICY }),
    );
});
afterAll(async () => {
  await target?.close();
  await lab?.close();
});

/** SDK clients signing with a lab session's credentials. */
function clientsOf(session: Pick<LabSession, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>) {
  const config = sessionConfig(lab, {
    AccessKeyId: session.accessKeyId,
    SecretAccessKey: session.secretAccessKey,
    SessionToken: session.sessionToken,
    Expiration: new Date(),
  });
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    iam: new IAMClient(config),
    sts: new STSClient(config),
  };
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'allowed',
    (err: unknown) => `${(err as Error).name}: ${(err as Error).message}`,
  );

describe('roles probe credentials', () => {
  it('without a session policy the roles may read S3 and IAM (what the probe must not inherit)', async () => {
    const out = await assumeIngressRole(lab, { cluster: CLUSTER });
    const c = clientsOf({
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    });
    expect(await refusal(c.s3.send(new ListBucketsCommand({})))).toBe('allowed');
    expect(await refusal(c.iam.send(new ListRolesCommand({})))).toBe('allowed');
  });

  it('every session the probe obtains is refused S3 and IAM, answers GetCallerIdentity, and lasts 900 s', async () => {
    const before = new Set(lab.state.sessions.keys());
    const started = Date.now();
    const cluster = { ...target.cluster, roles: { ...target.cluster.roles, verifyCredentials: true } };
    const outcome = await createRolesProbe().run(cluster, target.ctx);
    expect(outcome.findings).toEqual([]);
    const sessions = [...lab.state.sessions.values()].filter((s) => !before.has(s.accessKeyId));
    expect(sessions.map((s) => s.roleArn).sort()).toEqual([...lab.info().clusters[0]!.roles].sort());
    for (const session of sessions) {
      const c = clientsOf(session);
      const denied = `with an explicit deny in a session policy`;
      expect(await refusal(c.s3.send(new ListBucketsCommand({})))).toMatch(new RegExp(`^AccessDenied: .*${denied}$`));
      expect(await refusal(c.s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET })))).toMatch(
        new RegExp(`^AccessDenied: .*${denied}$`),
      );
      expect(await refusal(c.iam.send(new ListRolesCommand({})))).toMatch(new RegExp(`^AccessDenied: .*${denied}$`));
      expect((await c.sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(session.assumedRoleArn);
      // The shortest session STS allows (docs/aws-facts.md 1.2), measured loosely against the wall clock.
      const lifetime = (session.expiration.getTime() - started) / 1000;
      expect(lifetime).toBeGreaterThan(850);
      expect(lifetime).toBeLessThanOrEqual(905);
    }
  });
});
