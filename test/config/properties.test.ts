// Property tests of the config loader (fast-check, fixed seeds, bounded runs): whatever a file holds, loading it gives
// a configuration or a ConfigError whose every problem names the file and, unless the file as a whole is unreadable,
// a key path; generated valid files load with their values; ${ENV} substitution does what env.ts says.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import { substituteEnv } from '../../src/config/env.ts';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import type { AgentConfig } from '../../src/config/types.ts';

const SEED = 424242;
const dir = mkdtempSync(join(tmpdir(), 'irsa-config-props-'));
const file = join(dir, 'config.yaml');
const ENV = { HOME: '/home/agent', EMPTY: '', PORT: '9090', NAME: 'from-env' };

function load(text: string, env: Record<string, string> = ENV): AgentConfig {
  writeFileSync(file, text);
  return loadConfig(file, env);
}

/** Problems of a whole file (it cannot be read as a mapping): these name no key path. */
const FILE_LEVEL = /^(invalid YAML|must be a YAML mapping|cannot read|cannot be read|an alias \(\*name\))/;

// ---- anything ----------------------------------------------------------------------------------------------------

const TOP = [
  'clusters',
  'accounts',
  'schedules',
  'probes',
  'server',
  'storage',
  'log',
  'concurrency',
  'shutdownGraceMs',
];
const CLUSTER_KEYS = [
  'name',
  'issuer',
  'region',
  'account',
  'labels',
  'bucket',
  'kube',
  'probes',
  'flavor',
  'audiences',
  'signingKeys',
  'roles',
  'cloudfront',
  'colour',
];
const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '${HOME}',
    '${UNSET_VARIABLE}',
    '${EMPTY:-fallback}',
    '$${literal}',
    '${',
    '${PORT}',
    'https://a-oidc.s3.us-east-1.amazonaws.com',
    'http://a-oidc.s3.us-east-1.amazonaws.com',
    '*/61 * * * *',
    '*/5 * * * *',
    'us-east-1',
    '123456789012',
    '/etc/hostname',
    '.',
  ),
);
const anyValue = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...TOP, ...CLUSTER_KEYS), fc.string({ maxLength: 6 })), tie('v'), {
      maxKeys: 4,
    }),
  ),
})).v;
const clusterish = fc.dictionary(fc.constantFrom(...CLUSTER_KEYS), anyValue, { maxKeys: 6 });
const configish = fc.record(
  {
    clusters: fc.oneof(fc.array(clusterish, { maxLength: 3 }), anyValue),
    accounts: fc.oneof(
      fc.array(
        fc.dictionary(fc.constantFrom('name', 'id', 'credentials', 'endpoint', 'caFile', 'discover'), anyValue, {
          maxKeys: 4,
        }),
        { maxLength: 2 },
      ),
      anyValue,
    ),
    schedules: fc.dictionary(
      fc.constantFrom('issuer', 'jwks', 'bucket', 'cloudtrail', 'roles', 'dns'),
      fc.dictionary(fc.constantFrom('cron', 'timeoutMs', 'enabled', 'x'), anyValue, { maxKeys: 3 }),
      { maxKeys: 3 },
    ),
    probes: fc.dictionary(fc.constantFrom('issuer', 'jwks', 'bucket', 'cloudtrail', 'nope'), anyValue, { maxKeys: 2 }),
    server: anyValue,
    log: anyValue,
    concurrency: anyValue,
    unknownKey: anyValue,
  },
  { requiredKeys: [] },
);
const text = fc.oneof(
  { weight: 4, arbitrary: configish.map((c) => stringify(c)) },
  { weight: 2, arbitrary: configish.map((c) => JSON.stringify(c)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'x: &x [*x]\n',
      'a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n',
      '- just\n- a list\n',
      '"a string"',
      'a: 1\na: 2\n',
      `clusters: ${'['.repeat(3000)}${']'.repeat(3000)}\n`,
    ),
  },
);

describe('loadConfig on anything', () => {
  it('gives a configuration or a ConfigError naming the file, and a key path unless the whole file is unreadable', () => {
    let errors = 0;
    fc.assert(
      fc.property(text, (t) => {
        let thrown: unknown;
        try {
          load(t);
        } catch (err) {
          thrown = err;
        }
        if (thrown === undefined) return;
        errors++;
        expect(thrown).toBeInstanceOf(ConfigError);
        const { problems } = thrown as ConfigError;
        expect(problems.length).toBeGreaterThan(0);
        for (const p of problems) {
          expect(p.file).toBe(file);
          expect(p.message.length).toBeGreaterThan(0);
          if (p.path === undefined) expect(p.message).toMatch(FILE_LEVEL);
          else expect(p.path).toMatch(/^(\(root\)|[A-Za-z_$[])/);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect(errors).toBeGreaterThan(100);
  });
});

// ---- valid files ---------------------------------------------------------------------------------------------------

const REGIONS = ['us-east-1', 'eu-west-3', 'ap-southeast-2', 'us-gov-west-1'];
const CRONS = [
  '*/1 * * * *',
  '*/5 * * * *',
  '0 */6 * * *',
  '*/30 * * * * *',
  '@hourly',
  '0 9 * * MON-FRI',
  '*/59 * * * *',
];
const clusterName = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/);
const labelKey = fc.stringMatching(/^[a-z][a-z0-9./-]{0,15}$/);
const validConfig = fc.record({
  clusters: fc.uniqueArray(
    fc.record({
      name: clusterName,
      region: fc.constantFrom(...REGIONS),
      labels: fc.dictionary(labelKey, fc.string({ maxLength: 10 }), { maxKeys: 3 }),
    }),
    { minLength: 1, maxLength: 4, selector: (c) => c.name },
  ),
  schedules: fc.record(
    {
      issuer: fc.record({ cron: fc.constantFrom(...CRONS), timeoutMs: fc.integer({ min: 100, max: 600_000 }) }),
      roles: fc.record({ enabled: fc.boolean() }),
    },
    { requiredKeys: [] },
  ),
  server: fc.record({ port: fc.integer({ min: 0, max: 65535 }) }),
  log: fc.record({ level: fc.constantFrom('fatal', 'error', 'warn', 'info', 'debug', 'trace') }),
  concurrency: fc.integer({ min: 1, max: 1024 }),
});

describe('loadConfig on valid files', () => {
  it('loads generated configurations with their values, defaults filled and S3 buckets derived', () => {
    fc.assert(
      fc.property(validConfig, fc.boolean(), (c, asJson) => {
        const file = {
          ...c,
          clusters: c.clusters.map((k) => ({ ...k, issuer: `https://${k.name}-oidc.s3.${k.region}.amazonaws.com` })),
        };
        const config = load(asJson ? JSON.stringify(file) : stringify(file));
        expect(config.clusters.map((k) => k.name)).toEqual(c.clusters.map((k) => k.name));
        for (const [i, k] of c.clusters.entries()) {
          const loaded = config.clusters[i]!;
          expect(loaded.issuer).toBe(`https://${k.name}-oidc.s3.${k.region}.amazonaws.com`);
          expect(loaded.region).toBe(k.region);
          expect(loaded.labels).toEqual(k.labels);
          expect(loaded.bucket).toEqual({ name: `${k.name}-oidc`, region: k.region });
        }
        if (c.schedules.issuer) expect(config.schedules.issuer).toMatchObject(c.schedules.issuer);
        expect(config.schedules.roles.enabled).toBe(c.schedules.roles?.enabled ?? true);
        expect(config.server.port).toBe(c.server.port);
        expect(config.log.level).toBe(c.log.level);
        expect(config.concurrency).toBe(c.concurrency);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

// ---- ${ENV} ----------------------------------------------------------------------------------------------------------

const varName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);
/** Values the environment may hold: any text without a `}` that would end a default early. */
const envValue = fc.string({ maxLength: 20 });

/** The labels of a one-cluster file whose label `v` is `yamlValue` (a YAML scalar as written). */
function labelOf(yamlValue: string, env: Record<string, string>): unknown {
  const doc = parseDocument(`v: ${yamlValue}\n`);
  const issues = substituteEnv(doc, env);
  if (issues.length > 0) return { issues: issues.map((i) => i.message) };
  return (doc.toJS() as { v: unknown }).v;
}

describe('${ENV} substitution', () => {
  it('puts a set variable in verbatim, inside any text, in a quoted scalar', () => {
    fc.assert(
      fc.property(varName, envValue, fc.string({ maxLength: 8 }), (name, value, around) => {
        const safe = around.replace(/[$'\\]/g, '');
        expect(labelOf(`'${safe}\${${name}}${safe}'`, { [name]: value.replace(/'/g, '') })).toBe(
          `${safe}${value.replace(/'/g, '')}${safe}`,
        );
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('takes the default when the variable is unset or empty, the value otherwise', () => {
    fc.assert(
      fc.property(
        varName,
        fc.option(envValue, { nil: undefined }),
        fc.stringMatching(/^[a-z0-9 ._-]{0,10}$/),
        (name, value, fallback) => {
          const env: Record<string, string> = value === undefined ? {} : { [name]: value.replace(/'/g, '') };
          const expected = value === undefined || value.replace(/'/g, '') === '' ? fallback : value.replace(/'/g, '');
          expect(labelOf(`'\${${name}:-${fallback}}'`, env)).toBe(expected);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('names an unset variable without a default, and keeps $${ as a literal ${', () => {
    fc.assert(
      fc.property(varName, (name) => {
        expect(labelOf(`'\${${name}}'`, {})).toEqual({
          issues: [`environment variable ${name} is not set (write \${${name}:-default} to give a default)`],
        });
        expect(labelOf(`'$\${${name}}'`, {})).toBe(`\${${name}}`);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('types a plain scalar that is one reference as an integer or boolean, and keeps quoted ones strings', () => {
    fc.assert(
      fc.property(
        varName,
        fc.oneof(
          fc.integer({ min: -1e9, max: 1e9 }).map(String),
          fc.constantFrom('true', 'false'),
          fc.stringMatching(/^[a-z]{1,8}$/),
        ),
        (name, value) => {
          const typed = labelOf(`\${${name}}`, { [name]: value });
          if (/^-?\d+$/.test(value)) expect(typed).toBe(Number(value));
          else if (value === 'true' || value === 'false') expect(typed).toBe(value === 'true');
          else expect(typed).toBe(value);
          expect(labelOf(`'\${${name}}'`, { [name]: value })).toBe(value);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('names the key path of an unset variable in a loaded file', () => {
    fc.assert(
      fc.property(varName, clusterName, (name, cluster) => {
        let thrown: unknown;
        try {
          load(
            `clusters:\n  - name: ${cluster}\n    issuer: https://${cluster}-oidc.s3.us-east-1.amazonaws.com\n    labels: {team: '\${${name}}'}\n`,
            {},
          );
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toBeInstanceOf(ConfigError);
        expect((thrown as ConfigError).problems).toEqual([
          {
            file,
            path: 'clusters[0].labels.team',
            message: expect.stringContaining(`environment variable ${name} is not set`),
          },
        ]);
      }),
      { seed: SEED, numRuns: 50 },
    );
  });
});
