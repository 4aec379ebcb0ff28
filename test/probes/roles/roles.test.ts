// The roles probe against the lab: each fault of the chain shows up as the finding AWS's own error leads to.
import { IAMClient } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ExpiredTokenException,
  IDPCommunicationErrorException,
  IDPRejectedClaimException,
  InvalidIdentityTokenException,
} from '@aws-sdk/client-sts';
import { assumeErrorFinding } from '../../../probes/roles/errors.ts';
import { createRolesProbe } from '../../../probes/roles/probe.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';
import type { Lab } from '../../../src/lab/index.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { ProbeOutcome } from '../../../src/core/model.ts';
import type { ProbeContext } from '../../../src/core/probe.ts';
import { sdkConfig, startTestLab } from '../../helpers/lab.ts';
import { labProbeTarget } from '../../helpers/probe-context.ts';

const CLUSTER = 'prod-east';
const INGRESS = `${CLUSTER}-openshift-ingress-operator-cloud-credentials`;
const probe = createRolesProbe();

interface RoleObservation {
  arn: string;
  serviceAccount: string;
  status: string;
  findings: string[];
  subject?: string;
  audience?: string;
  assumedRoleArn?: string;
}

let lab: Lab;
let target: Awaited<ReturnType<typeof labProbeTarget>>;

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }] } });
  target = await labProbeTarget(lab, CLUSTER);
});
afterEach(() => lab.heal());
afterAll(async () => {
  await target?.close();
  await lab?.close();
});

const run = (cluster: Partial<ClusterConfig> = {}, ctx: Partial<ProbeContext> = {}): Promise<ProbeOutcome> =>
  probe.run({ ...target.cluster, ...cluster }, { ...target.ctx, ...ctx });
const rolesOf = (o: ProbeOutcome): RoleObservation[] => (o.observations?.roles ?? []) as RoleObservation[];
const labRoles = (): string[] => lab.info().clusters[0]?.roles ?? [];
const roleArn = (name: string): string => labRoles().find((arn) => arn.endsWith(`/${name}`)) as string;
/** Each role's finding codes, by role name. */
const codesByRole = (o: ProbeOutcome): Record<string, string[]> =>
  Object.fromEntries(rolesOf(o).map((r): [string, string[]] => [r.arn.split('/').pop() ?? r.arn, r.findings]));
const everyRole = (codes: string[]): Record<string, string[]> =>
  Object.fromEntries(labRoles().map((arn): [string, string[]] => [arn.split('/').pop() ?? arn, codes]));

describe('roles probe against the lab', () => {
  it('healthy: assumes all seven OpenShift roles, named as ccoctl names them', async () => {
    const outcome = await run();
    expect(outcome.findings).toEqual([]);
    const roles = rolesOf(outcome);
    expect(roles.map((r) => r.arn).sort()).toEqual([...labRoles()].sort());
    expect(roles).toHaveLength(7);
    expect(roles.map((r) => r.status)).toEqual(Array(7).fill('ok'));
    const ingress = roles.find((r) => r.arn.endsWith(`/${INGRESS}`));
    expect(ingress).toMatchObject({
      serviceAccount: 'openshift-ingress-operator/ingress-operator',
      subject: 'system:serviceaccount:openshift-ingress-operator:ingress-operator',
      audience: 'openshift',
      findings: [],
    });
    expect(ingress?.assumedRoleArn).toMatch(new RegExp(`:assumed-role/${INGRESS}/irsa-sentinel-[\\w]+$`));
  });

  it('rotate-key-unpublished: ASSUME_KEY_RETRIEVAL_FAILED for every role', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'rotate-key-unpublished' });
    const outcome = await run();
    expect(codesByRole(outcome)).toEqual(everyRole(['ASSUME_KEY_RETRIEVAL_FAILED']));
    expect(statusOf(outcome.findings)).toBe('fail');
    expect(outcome.findings[0]?.evidence).toMatchObject({
      awsError: 'InvalidIdentityTokenException',
      awsMessage: expect.stringContaining("Couldn't retrieve verification key"),
      requestId: expect.any(String),
    });
  });

  it('stage-next-key: roles still ok', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'stage-next-key' });
    const outcome = await run();
    expect(outcome.findings).toEqual([]);
    expect(codesByRole(outcome)).toEqual(everyRole([]));
  });

  it('drop-audience: ASSUME_AUDIENCE_REJECTED for every role', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'drop-audience' });
    expect(codesByRole(await run())).toEqual(everyRole(['ASSUME_AUDIENCE_REJECTED']));
  });

  it('trust-subject-mismatch: AccessDenied with its reason on that role only', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'trust-subject-mismatch', role: INGRESS });
    const outcome = await run();
    expect(codesByRole(outcome)).toEqual({
      ...everyRole([]),
      [INGRESS]: ['ASSUME_ACCESS_DENIED', 'TRUST_POLICY_SUBJECT_MISMATCH'],
    });
    const mismatch = outcome.findings.find((f) => f.code === 'TRUST_POLICY_SUBJECT_MISMATCH');
    expect(mismatch?.subject).toBe(roleArn(INGRESS));
    expect(mismatch?.evidence).toMatchObject({
      serviceAccounts: ['openshift-ingress-operator/ingress-operator'],
      subjects: ['system:serviceaccount:openshift-ingress-operator:ingress-operator'],
    });
    expect(JSON.stringify(mismatch?.evidence)).toContain('ingress-operator-other');
    expect(rolesOf(outcome).find((r) => r.arn === roleArn(INGRESS))?.status).toBe('fail');
  });

  it('delete-oidc-provider: ASSUME_NO_PROVIDER for every role', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'delete-oidc-provider' });
    expect(codesByRole(await run())).toEqual(everyRole(['ASSUME_NO_PROVIDER']));
  });

  it('delete-role: ROLE_MISSING on that role, without a misleading AccessDenied', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'delete-role', role: INGRESS });
    const outcome = await run();
    expect(codesByRole(outcome)).toEqual({ ...everyRole([]), [INGRESS]: ['ROLE_MISSING'] });
    expect(outcome.findings[0]?.subject).toBe(roleArn(INGRESS));
  });

  it('without iam:GetRole the trust check is unknown and names the action; the assume test still runs', async () => {
    const iam = new IAMClient(sdkConfig(lab, 'nobody'));
    const aws = target.ctx.aws;
    if (!aws) throw new Error('the lab target has AWS clients');
    const outcome = await run({}, { aws: { ...aws, iam } });
    iam.destroy();
    expect(codesByRole(outcome)).toEqual(everyRole(['AWS_PERMISSION_MISSING']));
    expect(statusOf(outcome.findings)).toBe('unknown');
    expect(outcome.findings[0]?.evidence).toMatchObject({ action: 'iam:GetRole' });
  });

  it('a service account the cluster lacks: ASSUME_UNAVAILABLE naming it', async () => {
    const list = [{ arn: roleArn(INGRESS), serviceAccount: 'openshift-ingress-operator/not-there' }];
    const outcome = await run({ roles: { ...target.cluster.roles, fromCluster: false, list } });
    expect(outcome.findings.map((f) => [f.code, f.severity])).toEqual([
      ['ASSUME_UNAVAILABLE', 'unknown'],
      ['TRUST_POLICY_SUBJECT_MISMATCH', 'fail'],
    ]);
    expect(outcome.findings[0]?.message).toContain('openshift-ingress-operator/not-there');
  });

  it('stops when its run is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run timed out'));
    await expect(run({}, { signal: controller.signal })).rejects.toThrow('run timed out');
  });

  it('keeps no token and no credential in its result, with verifyCredentials on or off', async () => {
    await lab.applyFault({ cluster: CLUSTER, fault: 'trust-subject-mismatch', role: INGRESS });
    for (const verifyCredentials of [false, true]) {
      const outcome = await run({ roles: { ...target.cluster.roles, verifyCredentials } });
      expect(rolesOf(outcome).filter((r) => r.status === 'ok')).toHaveLength(6);
      const text = JSON.stringify(outcome);
      expect(text).not.toMatch(/eyJ[\w-]+\.eyJ/);
      expect(text).not.toMatch(/ASIA[A-Z2-7]{16}/);
      expect(text).not.toMatch(/SecretAccessKey|SessionToken|secretAccessKey|sessionToken/);
    }
  });
});

describe('assume error mapping (docs/aws-facts.md 1.3, 1.4)', () => {
  const meta = { $metadata: { requestId: 'req-1' } };
  const invalid = (message: string) => new InvalidIdentityTokenException({ message, ...meta });
  const plain = (name: string, message: string, code?: string) =>
    Object.assign(new Error(message), name === 'Error' ? { code } : { name });
  const CASES: [string, unknown, string, string][] = [
    [
      'thumbprint',
      invalid("OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"),
      'ASSUME_THUMBPRINT_REJECTED',
      'fail',
    ],
    [
      'expired',
      new ExpiredTokenException({
        message: 'Token expired: current date/time 1 must be before the expiration date/time 0',
        ...meta,
      }),
      'ASSUME_TOKEN_EXPIRED',
      'fail',
    ],
    [
      'IDPRejectedClaim',
      new IDPRejectedClaimException({ message: 'rejected', ...meta }),
      'ASSUME_IDP_ERROR',
      'unknown',
    ],
    [
      'IDPCommunicationError',
      new IDPCommunicationErrorException({ message: 'unreachable', ...meta }),
      'ASSUME_IDP_ERROR',
      'unknown',
    ],
    ['other InvalidIdentityToken', invalid('Token is not a valid JWT'), 'ASSUME_UNAVAILABLE', 'unknown'],
    ['Throttling', plain('Throttling', 'Rate exceeded'), 'ASSUME_UNAVAILABLE', 'unknown'],
    ['network', plain('Error', 'connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), 'ASSUME_UNAVAILABLE', 'unknown'],
  ];
  it.each(CASES)('%s → %s', (_, err, code, severity) => {
    const f = assumeErrorFinding(err, 'arn:aws:iam::111122223333:role/r', 'ns/sa');
    expect([f.code, f.severity]).toEqual([code, severity]);
    expect(f.subject).toBe('arn:aws:iam::111122223333:role/r');
    expect(f.evidence).toMatchObject({ roleArn: 'arn:aws:iam::111122223333:role/r', serviceAccount: 'ns/sa' });
  });

  it('keeps the network error code as the error name', () => {
    const f = assumeErrorFinding(plain('Error', 'connect ECONNREFUSED', 'ECONNREFUSED'), 'arn', 'ns/sa');
    expect(f.evidence).toMatchObject({ awsError: 'ECONNREFUSED', awsMessage: 'connect ECONNREFUSED' });
  });
});
