// roles.verifyCredentials against the lab: each issued session is proven with exactly one GetCallerIdentity signed by
// that session (none when off), and a failing proof becomes AWS_UNAVAILABLE naming sts:GetCallerIdentity.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRolesProbe } from '../../../probes/roles/probe.ts';
import type { Lab } from '../../../src/lab/index.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { ProbeOutcome } from '../../../src/core/model.ts';
import { startTestLab } from '../../helpers/lab.ts';
import { labProbeTarget } from '../../helpers/probe-context.ts';
import { stsSpy } from '../../helpers/sts-spy.ts';
import type { StsCall, StsSpy } from '../../helpers/sts-spy.ts';

const CLUSTER = 'prod-east';
const probe = createRolesProbe();
let lab: Lab;
let target: Awaited<ReturnType<typeof labProbeTarget>>;
const spies: StsSpy[] = [];

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }] } });
  target = await labProbeTarget(lab, CLUSTER);
});
afterEach(async () => {
  for (const s of spies.splice(0)) s.sts.destroy();
  await lab.heal();
});
afterAll(async () => {
  await target?.close();
  await lab?.close();
});

const labRoles = (): string[] => [...(lab.info().clusters[0]?.roles ?? [])].sort();
const roleStatuses = (o: ProbeOutcome) =>
  ((o.observations?.roles ?? []) as { arn: string; status: string; findings: string[] }[]).map((r) => r.status);

/** One roles run with verifyCredentials set, its STS traffic seen by a spy (`before` runs ahead of each request). */
async function run(verifyCredentials: boolean, before?: (call: StsCall) => void) {
  const spy = stsSpy(lab, 'sentinel', before);
  spies.push(spy);
  const cluster = { ...target.cluster, roles: { ...target.cluster.roles, verifyCredentials } };
  const outcome = await probe.run(cluster, { ...target.ctx, aws: { ...target.ctx.aws!, sts: spy.sts } });
  return { outcome, calls: spy.calls };
}
const proofs = (calls: StsCall[]) => calls.filter((c) => c.action === 'GetCallerIdentity');

describe('roles probe, verifyCredentials', () => {
  it('on: every role ok, each session proven once with its own credentials', async () => {
    const { outcome, calls } = await run(true);
    expect(outcome.findings).toEqual([]);
    expect(roleStatuses(outcome)).toEqual(Array(7).fill('ok'));
    expect(calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity')).toHaveLength(7);
    const proven = proofs(calls).map((c) => lab.state.sessions.get(c.accessKeyId ?? '')?.roleArn);
    // Signed by a lab-issued session (not the agent's user), one per role.
    expect(proofs(calls).every((c) => c.accessKeyId?.startsWith('ASIA'))).toBe(true);
    expect(proven.sort()).toEqual(labRoles());
  });

  it('off: no GetCallerIdentity at all', async () => {
    const { outcome, calls } = await run(false);
    expect(outcome.findings).toEqual([]);
    expect(calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity')).toHaveLength(7);
    expect(proofs(calls)).toEqual([]);
  });

  it('a proof the lab refuses (session expired) is AWS_UNAVAILABLE naming sts:GetCallerIdentity', async () => {
    const expire = (call: StsCall) => {
      const session = call.action === 'GetCallerIdentity' ? lab.state.sessions.get(call.accessKeyId ?? '') : undefined;
      if (session) session.expiration = new Date(Date.now() - 1000);
    };
    const { outcome, calls } = await run(true, expire);
    expect(proofs(calls)).toHaveLength(7);
    expect(outcome.findings.map((f) => f.code)).toEqual(Array(7).fill('AWS_UNAVAILABLE'));
    expect(outcome.findings.map((f) => f.subject).sort()).toEqual(labRoles());
    expect(outcome.findings[0]?.message).toContain('sts:GetCallerIdentity');
    expect(outcome.findings[0]?.evidence).toMatchObject({
      action: 'sts:GetCallerIdentity',
      awsError: expect.stringMatching(/^ExpiredToken/),
      awsMessage: 'The security token included in the request is expired',
    });
    expect(statusOf(outcome.findings)).toBe('unknown');
    expect(roleStatuses(outcome)).toEqual(Array(7).fill('unknown'));
  });
});
