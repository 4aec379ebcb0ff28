import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { loadError, loadText, ONE_CLUSTER, tempDir, textError, writeFiles } from './temp-config.ts';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

const cluster = (fields: string) => `clusters:\n  - name: a\n${fields.replace(/^/gm, '    ')}\n`;

describe('loadConfig defaults', () => {
  it('fills every default around one cluster and derives its bucket and region', () => {
    const dir = writeFiles({ 'config.yaml': ONE_CLUSTER });
    const config = loadConfig(join(dir, 'config.yaml'), {});
    expect(config).toEqual({
      sources: [join(dir, 'config.yaml')],
      clusters: [
        {
          name: 'a',
          issuer: 'https://a-oidc.s3.us-east-1.amazonaws.com',
          region: 'us-east-1',
          labels: {},
          bucket: { name: 'a-oidc', region: 'us-east-1' },
          flavor: 'openshift',
          audiences: ['openshift', 'sts.amazonaws.com'],
          signingKeys: { fromCluster: false, publicKeyFiles: [], publicKeyPems: [], nextKey: true },
          roles: {
            list: [],
            credentialsRequests: [],
            fromCluster: false,
            sessionDurationSeconds: 900,
            verifyCredentials: false,
          },
        },
      ],
      accounts: [],
      schedules: {
        issuer: { cron: '*/1 * * * *', timeoutMs: 20000, enabled: true },
        jwks: { cron: '*/5 * * * *', timeoutMs: 20000, enabled: true },
        bucket: { cron: '*/5 * * * *', timeoutMs: 20000, enabled: true },
        cloudtrail: { cron: '*/5 * * * *', timeoutMs: 60000, enabled: true },
        roles: { cron: '*/15 * * * *', timeoutMs: 60000, enabled: true },
      },
      probes: {
        issuer: {
          warnLatencyMs: 2000,
          failLatencyMs: 5000,
          connectTimeoutMs: 5000,
          maxBytes: 1048576,
          tlsExpiryWarnDays: 14,
          allowPrivateAddresses: false,
        },
        jwks: { allowPrivateAddresses: false },
        bucket: { confirm: true },
        cloudtrail: {
          windowMinutes: 60,
          changeWindowHours: 24,
          overlapMinutes: 15,
          failAbove: 10,
          extraRegions: ['us-east-1'],
          maxPages: 200,
        },
      },
      concurrency: 16,
      shutdownGraceMs: 10000,
      storage: { dataDir: './data', retentionDays: 7, inMemory: false },
      server: {
        host: '127.0.0.1',
        port: 8080,
        auth: { tokens: [] },
        rateLimit: { max: 1200, windowSeconds: 60 },
        // The access defaults: what status pages, badges and orchestrators read is public, the details need a token.
        access: {
          page: 'public',
          summary: 'public',
          badges: 'public',
          health: 'public',
          metrics: 'public',
          details: 'token',
        },
      },
      log: { level: 'info' },
      alerts: {
        failAfter: 2,
        resolveAfter: 2,
        reminderMinutes: 240,
        sendResolved: true,
        staleAfterPeriods: 3,
        rerunCooldownSeconds: 60,
        recentHours: 24,
        retry: { maxAttempts: 10, initialDelayMs: 1000, maxDelayMs: 300000 },
        sinks: [],
        routes: [],
        maintenance: [],
      },
    });
  });

  it('keeps given values over defaults, and a given bucket and region over derived ones', () => {
    const config = loadText(
      cluster(
        'issuer: https://a-oidc.s3.us-east-1.amazonaws.com/\nregion: eu-west-1\nbucket: {name: other-bucket, region: eu-west-2}',
      ) + 'schedules:\n  jwks: {cron: "*/2 * * * *", enabled: false}\nserver: {port: 9090}\n',
    );
    expect(config.clusters[0]).toMatchObject({
      issuer: 'https://a-oidc.s3.us-east-1.amazonaws.com/',
      region: 'eu-west-1',
      bucket: { name: 'other-bucket', region: 'eu-west-2' },
    });
    expect(config.schedules.jwks).toEqual({ cron: '*/2 * * * *', timeoutMs: 20000, enabled: false });
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 9090,
      auth: { tokens: [] },
      rateLimit: { max: 1200, windowSeconds: 60 },
      access: {
        page: 'public',
        summary: 'public',
        badges: 'public',
        health: 'public',
        metrics: 'public',
        details: 'token',
      },
    });
  });

  it('keeps a trailing slash in the issuer byte for byte', () => {
    const config = loadText(cluster('issuer: https://oidc.example.com/x/\nregion: us-east-1'));
    expect(config.clusters[0]!.issuer).toBe('https://oidc.example.com/x/');
    expect(config.clusters[0]!.bucket).toBeUndefined();
  });

  it('with a lab block needs no clusters, and fills the lab defaults', () => {
    const config = loadText('lab: {}\n');
    expect(config.clusters).toEqual([]);
    expect(config.lab).toEqual({
      port: 0,
      dataDir: './data/lab',
      fleet: {
        clusters: [
          { name: 'prod-east', faults: [] },
          { name: 'prod-west', faults: [] },
          { name: 'staging', faults: [] },
        ],
        keyPool: 8,
        keyBits: 2048,
      },
    });
  });

  it('reads each credentials source', () => {
    const config = loadText(
      ONE_CLUSTER +
        `accounts:
  - {name: d, id: '000000000001'}
  - {name: p, id: '000000000002', credentials: {source: profile, profile: prod}}
  - {name: r, id: '000000000003', credentials: {source: assumeRole, roleArn: 'arn:aws:iam::000000000003:role/x', externalId: ext}}
  - {name: s, id: '000000000004', credentials: {source: static, accessKeyId: AKIAEXAMPLEEXAMPLE12, secretAccessKey: s3cr3t}, endpoint: 'https://127.0.0.1:4566'}
`,
    );
    expect(config.accounts.map((a) => a.credentials)).toEqual([
      { source: 'default' },
      { source: 'profile', profile: 'prod' },
      { source: 'assumeRole', roleArn: 'arn:aws:iam::000000000003:role/x', externalId: 'ext' },
      { source: 'static', accessKeyId: 'AKIAEXAMPLEEXAMPLE12', secretAccessKey: 's3cr3t' },
    ]);
  });
});

describe('loadConfig CA files', () => {
  it('reads caFile relative to the config file into caPem, and resolves kubeconfig there too', () => {
    const dir = writeFiles({
      'etc/config.yaml': cluster(
        'issuer: https://127.0.0.1:4566/a-oidc\nregion: us-east-1\ncaFile: certs/ca.pem\nkube: {context: a, kubeconfig: kube.yaml}',
      ),
      'etc/certs/ca.pem': CA_PEM,
    });
    const config = loadConfig(join(dir, 'etc', 'config.yaml'), {});
    expect(config.clusters[0]).toMatchObject({
      caFile: join(dir, 'etc', 'certs', 'ca.pem'),
      caPem: CA_PEM,
      kube: { context: 'a', kubeconfig: join(dir, 'etc', 'kube.yaml') },
    });
  });

  it('names the key path of an unreadable caFile', () => {
    const err = textError(cluster('issuer: https://127.0.0.1:4566/a-oidc\nregion: us-east-1\ncaFile: missing.pem'));
    expect(err.message).toMatch(/config\.yaml: clusters\[0\]\.caFile: cannot read CA file: .*ENOENT/);
  });

  it('rejects a caFile without a certificate, for clusters and accounts', () => {
    const dir = writeFiles({
      'config.yaml':
        ONE_CLUSTER +
        "accounts:\n  - {name: p, id: '123456789012', endpoint: 'https://127.0.0.1:1', caFile: junk.txt}\n",
      'junk.txt': 'not a certificate',
    });
    expect(loadError(join(dir, 'config.yaml')).message).toMatch(
      /config\.yaml: accounts\[0\]\.caFile: .*junk\.txt holds no PEM certificate/,
    );
  });
});

describe('loadConfig errors name the file, the key path and the problem', () => {
  it.each([
    ['an unknown top-level key', ONE_CLUSTER + 'bogus: 1\n', 'bogus: unknown key'],
    [
      'an unknown cluster key',
      cluster('issuer: https://a-oidc.s3.us-east-1.amazonaws.com\nisuer: x'),
      'clusters[0].isuer: unknown key',
    ],
    [
      'an unknown schedule key',
      ONE_CLUSTER + 'schedules:\n  issuer: {every: 5}\n',
      'schedules.issuer.every: unknown key',
    ],
    ['an unknown probe', ONE_CLUSTER + 'schedules:\n  dns: {}\n', 'schedules.dns: unknown key'],
    [
      'a non-https issuer',
      cluster('issuer: http://a-oidc.s3.us-east-1.amazonaws.com'),
      'clusters[0].issuer: must start with https://',
    ],
    [
      'an issuer with a query',
      cluster('issuer: https://oidc.example.com/?x=1\nregion: us-east-1'),
      'clusters[0].issuer: must not have a query',
    ],
    [
      'an issuer with a fragment',
      cluster('issuer: https://oidc.example.com/#x\nregion: us-east-1'),
      'clusters[0].issuer: must not have a fragment',
    ],
    [
      'an issuer with a port and no caFile',
      cluster('issuer: https://oidc.example.com:8443\nregion: us-east-1'),
      'clusters[0].issuer: must not have a port (:8443)',
    ],
    [
      'an issuer with user information',
      cluster('issuer: https://u:p@oidc.example.com\nregion: us-east-1'),
      'clusters[0].issuer: must not hold user information',
    ],
    ['a region that cannot be derived', cluster('issuer: https://oidc.example.com'), 'clusters[0].region: is required'],
    [
      'a malformed region',
      cluster('issuer: https://oidc.example.com\nregion: US East'),
      'clusters[0].region: must be an AWS region code like us-east-1',
    ],
    [
      'a duplicate cluster name',
      ONE_CLUSTER +
        '  - name: b\n    issuer: https://b-oidc.s3.us-east-1.amazonaws.com\n  - name: a\n    issuer: https://c-oidc.s3.us-east-1.amazonaws.com\n',
      'clusters[2].name: duplicate name "a" (first at clusters[0].name)',
    ],
    [
      'a bad cron',
      ONE_CLUSTER + "schedules:\n  jwks: {cron: '*/5 * *'}\n",
      'schedules.jwks.cron: is not a valid cron expression',
    ],
    [
      'an out-of-range cron',
      ONE_CLUSTER + "schedules:\n  roles: {cron: '61 * * * *'}\n",
      'schedules.roles.cron: is not a valid cron expression',
    ],
    [
      'an unknown account',
      cluster('issuer: https://a-oidc.s3.us-east-1.amazonaws.com\naccount: prod') +
        "accounts:\n  - {name: dev, id: '123456789012'}\n",
      'clusters[0].account: no account named "prod" in accounts (known: dev)',
    ],
    [
      'a short account id',
      ONE_CLUSTER + "accounts:\n  - {name: p, id: '12345'}\n",
      'accounts[0].id: must be a 12-digit AWS account id',
    ],
    [
      'an unquoted account id',
      ONE_CLUSTER + 'accounts:\n  - {name: p, id: 123456789012}\n',
      'accounts[0].id: must be a quoted string',
    ],
    [
      'an unknown credentials source',
      ONE_CLUSTER + "accounts:\n  - {name: p, id: '123456789012', credentials: {source: env}}\n",
      'accounts[0].credentials.source:',
    ],
    [
      'a key of another credentials source',
      ONE_CLUSTER + "accounts:\n  - {name: p, id: '123456789012', credentials: {source: default, profile: x}}\n",
      'accounts[0].credentials.profile: unknown key',
    ],
    [
      'a bad role ARN',
      ONE_CLUSTER + "accounts:\n  - {name: p, id: '123456789012', credentials: {source: assumeRole, roleArn: admin}}\n",
      'accounts[0].credentials.roleArn: must be an IAM role ARN',
    ],
    [
      'a duplicate account name',
      ONE_CLUSTER + "accounts:\n  - {name: p, id: '123456789012'}\n  - {name: p, id: '123456789013'}\n",
      'accounts[1].name: duplicate name "p"',
    ],
    ['no clusters and no lab', 'server: {port: 1}\n', 'clusters: must list at least one cluster'],
    [
      'a warn latency above the fail latency',
      ONE_CLUSTER + 'probes:\n  issuer: {warnLatencyMs: 6000}\n',
      'probes.issuer.warnLatencyMs: must be below failLatencyMs',
    ],
    ['a wrong type', ONE_CLUSTER + 'concurrency: many\n', 'concurrency: Invalid input: expected number'],
    [
      'a label that is not a string',
      cluster('issuer: https://a-oidc.s3.us-east-1.amazonaws.com\nlabels: {"app.kubernetes.io/tier": 1}'),
      'clusters[0].labels["app.kubernetes.io/tier"]:',
    ],
    ['an unknown log level', ONE_CLUSTER + 'log: {level: verbose}\n', 'log.level:'],
    ['an unknown lab key', 'lab: {ports: 1}\n', 'lab.ports: unknown key'],
    [
      'a lab fault without a name',
      'lab:\n  fleet:\n    clusters: [{name: x, faults: [{ms: 1}]}]\n',
      'lab.fleet.clusters[0].faults[0].fault:',
    ],
    [
      'a duplicate lab cluster',
      'lab:\n  fleet:\n    clusters: [{name: x}, {name: x}]\n',
      'lab.fleet.clusters[1].name: duplicate lab cluster name "x"',
    ],
    [
      'a cluster named like a lab cluster',
      'lab: {fleet: {clusters: [{name: a}]}}\n' + ONE_CLUSTER,
      'clusters[0].name: duplicate name "a": the lab fleet has a cluster of that name',
    ],
    [
      'an account named lab next to a lab block',
      "lab: {}\naccounts: [{name: lab, id: '123456789012'}]\n",
      'accounts[0].name: "lab" is reserved',
    ],
  ])('%s', (_what, text, expected) => {
    const err = textError(text);
    expect(err.message).toContain(`config.yaml: ${expected}`);
  });

  it('lists every problem, one per line, each with its file and key path', () => {
    const err = textError(cluster('issuer: http://x\nregion: nowhere') + 'bogus: 1\n');
    expect(err.problems.map((p) => p.path)).toEqual(['clusters[0].issuer', 'clusters[0].region', 'bogus']);
    for (const line of err.message.split('\n')) expect(line).toMatch(/config\.yaml: \S+: /);
  });

  it('accepts a port in the issuer of a cluster with a CA file (the lab)', () => {
    const dir = writeFiles({
      'config.yaml': cluster('issuer: https://127.0.0.1:4566/a-oidc\nregion: us-east-1\ncaFile: ca.pem'),
      'ca.pem': CA_PEM,
    });
    expect(loadConfig(join(dir, 'config.yaml'), {}).clusters[0]!.issuer).toBe('https://127.0.0.1:4566/a-oidc');
  });

  it('lets clusters name the lab account when a lab block is set', () => {
    const config = loadText('lab: {}\n' + cluster('issuer: https://a-oidc.s3.us-east-1.amazonaws.com\naccount: lab'));
    expect(config.clusters[0]!.account).toBe('lab');
  });

  it('names the file of invalid YAML', () => {
    expect(textError('clusters: [\n').message).toMatch(/config\.yaml: invalid YAML: /);
    expect(textError('a: 1\na: 2\n').message).toMatch(/config\.yaml: invalid YAML: Map keys must be unique/);
    expect(textError('- just a list\n').message).toMatch(/config\.yaml: must be a YAML mapping/);
  });

  it('names a path that does not exist', () => {
    const missing = join(tempDir(), 'nope.yaml');
    expect(loadError(missing).message).toMatch(/nope\.yaml: cannot read: .*ENOENT/);
  });

  it('is a coded error', () => {
    const err = textError('bogus: 1\n');
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('CONFIG_INVALID');
  });

  it('treats an empty file as an empty mapping', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.yaml'), '# nothing yet\n');
    expect(loadError(join(dir, 'config.yaml')).message).toContain(
      'config.yaml: clusters: must list at least one cluster',
    );
  });
});
