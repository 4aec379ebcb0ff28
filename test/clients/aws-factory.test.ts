// The AWS client factory against the lab: each credentials source, the endpoint override with the lab CA, the S3 and
// S3 Control quirks (STACK.md 5), unsigned AssumeRoleWithWebIdentity, caching and close.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import { GetBucketPolicyStatusCommand } from '@aws-sdk/client-s3';
import { GetPublicAccessBlockCommand } from '@aws-sdk/client-s3-control';
import { AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsAccountConfigError, createAwsClientFactory } from '../../src/clients/aws-factory.ts';
import type { AwsClientFactory, AwsClients } from '../../src/clients/aws.ts';
import type { AccountConfig, AwsCredentialsConfig } from '../../src/config/types.ts';
import { signServiceAccountToken } from '../../src/lab/clusters.ts';
import type { Lab } from '../../src/lab/index.ts';
import { startTestLab, userKeys } from '../helpers/lab.ts';

const CLUSTER = 'fa';
let lab: Lab;
const factories: AwsClientFactory[] = [];

beforeAll(async () => {
  lab = await startTestLab({ fleet: { clusters: [{ name: CLUSTER }], keyPool: 1 } });
});
afterEach(() => {
  vi.unstubAllEnvs();
  for (const f of factories.splice(0)) f.close();
});
afterAll(async () => {
  await lab.close();
});

function account(credentials: AwsCredentialsConfig, extra: Partial<AccountConfig> = {}): AccountConfig {
  const info = lab.info();
  return { name: 'lab', id: info.accountId, credentials, endpoint: info.endpoint, caFile: info.caFile, ...extra };
}

const sentinel = (): AwsCredentialsConfig => ({ source: 'static', ...userKeys(lab.info(), 'sentinel') });

function clientsFor(credentials: AwsCredentialsConfig = sentinel()): AwsClients {
  const factory = createAwsClientFactory([account(credentials)]);
  factories.push(factory);
  return factory.forAccount('lab', lab.info().region)!;
}

const providerArns = async (aws: AwsClients): Promise<string[]> =>
  ((await aws.iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).map(
    (p) => p.Arn ?? '',
  );

const rejection = async (p: Promise<unknown>): Promise<Error & { $metadata?: { attempts?: number } }> => {
  const outcome = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(Error);
  return outcome as Error;
};

describe('createAwsClientFactory against the lab', () => {
  it('builds IAM, S3, S3 Control and CloudTrail clients that work as the read-only sentinel user', async () => {
    const aws = clientsFor();
    const info = lab.info();
    expect(aws.accountId).toBe(info.accountId);
    expect(aws.region).toBe(info.region);
    expect(await providerArns(aws)).toEqual([info.clusters[0]!.oidcProviderArn]);

    const status = await aws.s3(info.region).send(new GetBucketPolicyStatusCommand({ Bucket: `${CLUSTER}-oidc` }));
    expect(status.PolicyStatus?.IsPublic).toBe(true);

    // The endpoint provider keeps S3 Control on the lab's host; no account-level BPA is set in a fresh lab.
    const pab = await rejection(aws.s3control.send(new GetPublicAccessBlockCommand({ AccountId: info.accountId })));
    expect(pab.name).toBe('NoSuchPublicAccessBlockConfiguration');

    const events = await aws.cloudtrail(info.region).send(new LookupEventsCommand({ MaxResults: 5 }));
    expect(Array.isArray(events.Events)).toBe(true);
  });

  it('calls AssumeRoleWithWebIdentity unsigned, so it works whatever the account keys', async () => {
    const aws = clientsFor({ source: 'static', accessKeyId: 'AKIAWRONGWRONGWRONG1', secretAccessKey: 'wrong' });
    const cluster = lab.state.clusters.get(CLUSTER)!;
    const { token } = await signServiceAccountToken(cluster, {
      namespace: 'openshift-ingress-operator',
      serviceAccount: 'ingress-operator',
      audiences: ['openshift'],
      expirationSeconds: 600,
      now: new Date(),
    });
    const roleArn = cluster.roleArns.find((r) => r.endsWith('openshift-ingress-operator-cloud-credentials'))!;
    const out = await aws.sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: 'factory-test',
        WebIdentityToken: token,
      }),
    );
    expect(out.SubjectFromWebIdentityToken).toBe('system:serviceaccount:openshift-ingress-operator:ingress-operator');
    // The same wrong keys are refused on a signed call, and a client error is not retried.
    const denied = await rejection(providerArns(aws));
    expect(denied.name).toBe('InvalidClientTokenId');
    expect(denied.$metadata?.attempts).toBe(1);
  });

  it('reads the default provider chain (environment keys)', async () => {
    const keys = userKeys(lab.info(), 'sentinel');
    vi.stubEnv('AWS_ACCESS_KEY_ID', keys.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', keys.secretAccessKey);
    vi.stubEnv('AWS_PROFILE', undefined);
    expect(await providerArns(clientsFor({ source: 'default' }))).toHaveLength(1);
  });

  it('reads a named profile from the shared credentials file', async () => {
    const keys = userKeys(lab.info(), 'sentinel');
    const dir = mkdtempSync(join(tmpdir(), 'irsa-aws-'));
    writeFileSync(
      join(dir, 'credentials'),
      `[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\naws_secret_access_key = x\n\n[watch]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`,
    );
    writeFileSync(join(dir, 'config'), '');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
    vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
    expect(await providerArns(clientsFor({ source: 'profile', profile: 'watch' }))).toHaveLength(1);
  });

  it('assumes the configured role through STS on the endpoint override, from the default chain', async () => {
    const keys = userKeys(lab.info(), 'sentinel');
    vi.stubEnv('AWS_ACCESS_KEY_ID', keys.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', keys.secretAccessKey);
    const aws = clientsFor({ source: 'assumeRole', roleArn: 'arn:aws:iam::111122223333:role/watch', externalId: 'x' });
    // The lab's STS has no AssumeRole: its answer proves the call went to the lab, signed, over the lab CA.
    const err = await rejection(providerArns(aws));
    expect(err.message).toContain('Could not find operation AssumeRole');
  });

  it('caches clients per account and region, answers undefined for an unknown account, and closes', () => {
    const factory = createAwsClientFactory([account(sentinel())]);
    factories.push(factory);
    const a = factory.forAccount('lab', 'us-east-1')!;
    expect(factory.forAccount('lab', 'us-east-1')).toBe(a);
    expect(a.s3('eu-west-1')).toBe(a.s3('eu-west-1'));
    expect(a.s3('eu-west-1')).not.toBe(a.s3('us-east-1'));
    expect(factory.forAccount('lab', 'eu-west-1')).not.toBe(a);
    expect(factory.forAccount('nope', 'us-east-1')).toBeUndefined();
    expect(factory.forAccount(undefined, 'us-east-1')).toBeUndefined();
    factory.close();
    expect(factory.forAccount('lab', 'us-east-1')).not.toBe(a);
  });

  it('uses S3 path style and the lab endpoint for every service', async () => {
    const aws = clientsFor();
    expect(aws.s3('us-east-1').config.forcePathStyle).toBe(true);
    for (const client of [aws.iam, aws.sts, aws.s3('us-east-1'), aws.cloudtrail('us-east-1')]) {
      const endpoint = await client.config.endpoint?.();
      expect(`${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`).toBe(lab.info().endpoint);
    }
  });

  it('refuses an unreadable CA file at start, naming the account and file', () => {
    const bad = account(sentinel(), { caFile: '/nonexistent/ca.pem' });
    expect(() => createAwsClientFactory([bad])).toThrow(AwsAccountConfigError);
    expect(() => createAwsClientFactory([bad])).toThrow(/account lab: cannot read caFile \/nonexistent\/ca\.pem/);
  });
});
