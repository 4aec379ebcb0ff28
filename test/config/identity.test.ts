// A cluster's identity-chain settings: flavor defaults, public key files, CredentialsRequests folders, and the
// settings that need kube.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledCredentialsRequests } from '../../src/ccoctl/credentials-requests.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadError, loadText, textError, writeFiles } from './temp-config.ts';

const SAMPLES = join(import.meta.dirname, '..', '..', 'src', 'lab', 'samples');
const ISSUER = 'issuer: https://a-oidc.s3.us-east-1.amazonaws.com';
const KUBE = 'kube: {context: a}';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/a-openshift-ingress-operator-cloud-credentials';

/** A config with one cluster `a` whose extra fields are `fields` (YAML, cluster-level indentation). */
const cluster = (...fields: string[]) =>
  `clusters:\n  - name: a\n${[ISSUER, ...fields].join('\n').replace(/^/gm, '    ')}\n`;

const identity = (text: string) => {
  const { flavor, audiences, signingKeys, roles } = loadText(text).clusters[0]!;
  return { flavor, audiences, signingKeys, roles };
};

const ROLE_DEFAULTS = {
  list: [],
  credentialsRequests: [],
  fromCluster: false,
  sessionDurationSeconds: 900,
  verifyCredentials: false,
};

describe('identity-chain defaults', () => {
  it('openshift without kube: both audiences, the next key, no cluster sources', () => {
    expect(identity(cluster())).toEqual({
      flavor: 'openshift',
      audiences: ['openshift', 'sts.amazonaws.com'],
      signingKeys: { fromCluster: false, publicKeyFiles: [], publicKeyPems: [], nextKey: true },
      roles: ROLE_DEFAULTS,
    });
  });

  it('openshift with kube reads the signing keys from the cluster', () => {
    expect(identity(cluster(KUBE)).signingKeys).toEqual({
      fromCluster: true,
      publicKeyFiles: [],
      publicKeyPems: [],
      nextKey: true,
    });
  });

  it('eks: sts.amazonaws.com only and no next key', () => {
    expect(identity(cluster('flavor: eks', KUBE))).toEqual({
      flavor: 'eks',
      audiences: ['sts.amazonaws.com'],
      signingKeys: { fromCluster: true, publicKeyFiles: [], publicKeyPems: [], nextKey: false },
      roles: ROLE_DEFAULTS,
    });
  });

  it('keeps given values over the defaults', () => {
    const got = identity(
      cluster(
        'flavor: eks',
        KUBE,
        'audiences: [sts.amazonaws.com, extra]',
        'signingKeys: {fromCluster: false, nextKey: true, fromTokenOf: kube-system/probe, verifyServiceAccount: app/web}',
        'roles: {fromCluster: true, ccoctlName: prod, sessionDurationSeconds: 3600, verifyCredentials: true}',
      ),
    );
    expect(got.audiences).toEqual(['sts.amazonaws.com', 'extra']);
    expect(got.signingKeys).toEqual({
      fromCluster: false,
      publicKeyFiles: [],
      publicKeyPems: [],
      nextKey: true,
      fromTokenOf: 'kube-system/probe',
      verifyServiceAccount: 'app/web',
    });
    expect(got.roles).toEqual({
      ...ROLE_DEFAULTS,
      fromCluster: true,
      ccoctlName: 'prod',
      sessionDurationSeconds: 3600,
      verifyCredentials: true,
    });
  });
});

describe('roles.list', () => {
  it("keeps each role and resolves a token file against the config file's directory without requiring it", () => {
    const dir = writeFiles({
      'conf/config.yaml': cluster(
        'flavor: eks',
        'roles:',
        '  list:',
        `    - {arn: '${ROLE_ARN}', serviceAccount: app/web, tokenFile: token}`,
        `    - {arn: '${ROLE_ARN}', serviceAccount: app/api, tokenFile: /var/run/secrets/eks/token, audience: custom}`,
      ),
    });
    expect(loadConfig(join(dir, 'conf', 'config.yaml'), {}).clusters[0]!.roles.list).toEqual([
      { arn: ROLE_ARN, serviceAccount: 'app/web', tokenFile: join(dir, 'conf', 'token') },
      { arn: ROLE_ARN, serviceAccount: 'app/api', tokenFile: '/var/run/secrets/eks/token', audience: 'custom' },
    ]);
  });
});

describe('signingKeys.publicKeyFiles', () => {
  const { publicKey: spki, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const pkcs1 = createPublicKey(spki).export({ type: 'pkcs1', format: 'pem' }).toString();
  const keys = (...files: string[]) => cluster(`signingKeys: {publicKeyFiles: [${files.join(', ')}]}`);

  it("reads each key relative to the config file's directory, as SPKI PEM", () => {
    const dir = writeFiles({
      'config.yaml': keys('keys/signer.public', 'rsa.pem'),
      'keys/signer.public': spki,
      'rsa.pem': pkcs1,
    });
    const { signingKeys } = loadConfig(join(dir, 'config.yaml'), {}).clusters[0]!;
    expect(signingKeys.publicKeyFiles).toEqual([join(dir, 'keys', 'signer.public'), join(dir, 'rsa.pem')]);
    expect(pkcs1).toMatch(/BEGIN RSA PUBLIC KEY/);
    expect(signingKeys.publicKeyPems).toEqual([spki, spki]);
  });

  it('names the key path and file of a file that is not a PEM public key', () => {
    const dir = writeFiles({ 'config.yaml': keys('good.pem', 'bad.pem'), 'good.pem': spki, 'bad.pem': 'not a key\n' });
    const err = loadError(join(dir, 'config.yaml'));
    expect(err.problems).toEqual([
      {
        file: join(dir, 'config.yaml'),
        path: 'clusters[0].signingKeys.publicKeyFiles[1]',
        message: expect.stringContaining(`${join(dir, 'bad.pem')} is not a PEM public key`),
      },
    ]);
  });

  it('names a missing file', () => {
    const dir = writeFiles({ 'config.yaml': keys('missing.pem') });
    expect(loadError(join(dir, 'config.yaml')).message).toContain(
      'config.yaml: clusters[0].signingKeys.publicKeyFiles[0]: cannot read public key file: ENOENT',
    );
  });

  it('refuses a private key without quoting it', () => {
    const dir = writeFiles({ 'config.yaml': keys('signer.key'), 'signer.key': privateKey });
    const err = loadError(join(dir, 'config.yaml'));
    expect(err.message).toContain('clusters[0].signingKeys.publicKeyFiles[0]: ');
    expect(err.message).toContain('holds a private key');
    const body = privateKey.split('\n')[1]!;
    expect(err.message).not.toContain(body);
  });
});

describe('roles.credentialsRequestsDir', () => {
  const crDir = (files: Record<string, string> = {}) => {
    const dir = writeFiles({ 'config.yaml': cluster(KUBE, 'roles: {credentialsRequestsDir: credreqs}'), ...files });
    mkdirSync(join(dir, 'credreqs'), { recursive: true });
    return dir;
  };
  const copySamples = (dir: string) => {
    for (const f of readdirSync(SAMPLES).filter((n) => n.startsWith('credreq-')))
      copyFileSync(join(SAMPLES, f), join(dir, 'credreqs', f));
  };

  it('reads every CredentialsRequest of the folder, resolved against the config file', () => {
    const dir = crDir({ 'credreqs/README.md': '# not YAML: skipped\n' });
    copySamples(dir);
    const { roles } = loadConfig(join(dir, 'config.yaml'), {}).clusters[0]!;
    expect(roles.credentialsRequestsDir).toBe(join(dir, 'credreqs'));
    expect(roles.credentialsRequests).toHaveLength(7);
    expect(roles.credentialsRequests).toEqual(bundledCredentialsRequests());
    expect(roles.credentialsRequests).toContainEqual({
      name: 'aws-ebs-csi-driver-operator',
      secretNamespace: 'openshift-cluster-csi-drivers',
      secretName: 'ebs-cloud-credentials',
      serviceAccounts: ['aws-ebs-csi-driver-operator', 'aws-ebs-csi-driver-controller-sa'],
    });
  });

  it('reads .yml files and skips CredentialsRequests for other clouds', () => {
    const gcp =
      'kind: CredentialsRequest\nmetadata: {name: g}\nspec: {providerSpec: {kind: GCPProviderSpec}, secretRef: {name: s, namespace: n}, serviceAccountNames: [x]}\n';
    const aws =
      'kind: CredentialsRequest\nmetadata: {name: r}\nspec: {providerSpec: {kind: AWSProviderSpec}, secretRef: {name: s, namespace: n}, serviceAccountNames: [x]}\n';
    const dir = crDir({ 'credreqs/gcp.yaml': gcp, 'credreqs/aws.yml': aws });
    expect(loadConfig(join(dir, 'config.yaml'), {}).clusters[0]!.roles.credentialsRequests).toEqual([
      { name: 'r', secretNamespace: 'n', secretName: 's', serviceAccounts: ['x'] },
    ]);
  });

  it('names the file of a malformed CredentialsRequest', () => {
    const dir = crDir({
      'credreqs/broken.yaml':
        'kind: CredentialsRequest\nmetadata: {name: x}\nspec: {providerSpec: {kind: AWSProviderSpec}}\n',
      'credreqs/invalid.yaml': 'kind: [\n',
    });
    copySamples(dir);
    const err = loadError(join(dir, 'config.yaml'));
    expect(err.problems.map((p) => [p.path, p.message.split(':')[0]])).toEqual([
      ['clusters[0].roles.credentialsRequestsDir', join(dir, 'credreqs', 'broken.yaml')],
      ['clusters[0].roles.credentialsRequestsDir', join(dir, 'credreqs', 'invalid.yaml')],
    ]);
    expect(err.problems[0]!.message).toContain('needs metadata.name, spec.secretRef and spec.serviceAccountNames');
  });

  it('rejects a folder without AWS CredentialsRequests, and a missing folder', () => {
    expect(loadError(join(crDir(), 'config.yaml')).message).toContain('clusters[0].roles.credentialsRequestsDir: ');
    expect(loadError(join(crDir(), 'config.yaml')).message).toContain('holds no AWS CredentialsRequests');
    const missing = writeFiles({ 'config.yaml': cluster(KUBE, 'roles: {credentialsRequestsDir: nowhere}') });
    expect(loadError(join(missing, 'config.yaml')).message).toContain(
      'clusters[0].roles.credentialsRequestsDir: cannot read CredentialsRequests directory: ENOENT',
    );
  });
});

describe('identity-chain errors name the key path', () => {
  it.each([
    ['signingKeys.fromCluster without kube', 'signingKeys: {fromCluster: true}', 'signingKeys.fromCluster: needs kube'],
    ['fromTokenOf without kube', 'signingKeys: {fromTokenOf: app/web}', 'signingKeys.fromTokenOf: needs kube'],
    [
      'verifyServiceAccount without kube',
      'signingKeys: {verifyServiceAccount: app/web}',
      'signingKeys.verifyServiceAccount: needs kube',
    ],
    ['roles.fromCluster without kube', 'roles: {fromCluster: true}', 'roles.fromCluster: needs kube'],
    [
      'a CredentialsRequests folder without kube',
      'roles: {credentialsRequestsDir: .}',
      'roles.credentialsRequestsDir: needs kube',
    ],
    [
      'a role without kube or token file',
      `roles: {list: [{arn: '${ROLE_ARN}', serviceAccount: app/web}]}`,
      'roles.list[0]: needs kube',
    ],
    [
      'a service account without namespace',
      `${KUBE}\nsigningKeys: {fromTokenOf: web}`,
      'signingKeys.fromTokenOf: must be namespace/name',
    ],
    [
      'a service account with capitals',
      `${KUBE}\nsigningKeys: {verifyServiceAccount: App/Web}`,
      'signingKeys.verifyServiceAccount: must be namespace/name',
    ],
    [
      'a role service account with two slashes',
      `${KUBE}\nroles: {list: [{arn: '${ROLE_ARN}', serviceAccount: a/b/c}]}`,
      'roles.list[0].serviceAccount: must be namespace/name',
    ],
    [
      'a role ARN that is not one',
      `${KUBE}\nroles: {list: [{arn: 'arn:aws:iam::123456789012:user/x', serviceAccount: a/b}]}`,
      'roles.list[0].arn: must be an IAM role ARN',
    ],
    ['a session below the STS minimum', 'roles: {sessionDurationSeconds: 899}', 'roles.sessionDurationSeconds:'],
    ['a session above 12 hours', 'roles: {sessionDurationSeconds: 43201}', 'roles.sessionDurationSeconds:'],
    ['an unknown flavor', 'flavor: gke', 'flavor:'],
    ['no audiences', 'audiences: []', 'audiences:'],
    ['a repeated audience', 'audiences: [openshift, openshift]', 'audiences: must not repeat an audience'],
    ['an unknown signingKeys key', 'signingKeys: {file: x}', 'signingKeys.file: unknown key'],
    [
      'an unknown role key',
      `${KUBE}\nroles: {list: [{arn: '${ROLE_ARN}', serviceAccount: a/b, sa: x}]}`,
      'roles.list[0].sa: unknown key',
    ],
  ])('%s', (_what, fields, expected) => {
    expect(textError(cluster(...fields.split('\n'))).message).toContain(`config.yaml: clusters[0].${expected}`);
  });
});
