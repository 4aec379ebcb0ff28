// The configuration file's schema: what a file may hold, its defaults, and the checks across entries. Parsing
// a (merged, env-substituted) file with it gives AgentConfig minus what the loader adds (sources, CA contents,
// paths resolved against the file's directory). The .describe() texts become the JSON Schema editors complete from.
import { z } from 'zod';
import { cronExpression } from './cron.ts';
import { LAB_ACCOUNT, labFleet } from '../lab-adapter.ts';
import { probeModules } from '../../probes/index.ts';
import type { Probes, ProbesWithSettings } from '../../probes/index.ts';
import { PROBE_NAMES } from '../core/model.ts';
import type { ProbeName } from '../core/model.ts';
import type { ProbeModule } from '../core/probe.ts';
import { accessSchema } from './access-schema.ts';
import { alertsProblems, alertsSchema, authSchema } from './alerts-schema.ts';
import { audiences, flavor, identityChainSettings, roles, signingKeys } from './identity-schema.ts';
import { bucketFromIssuer, REGION_PATTERN } from './issuer-url.ts';
import { formatKeyPath } from './key-path.ts';
import { cloudfront, discover } from './cluster-settings.ts';
import { filePath, iamRoleArn } from './schema-strings.ts';
import type { AgentConfig, ClusterConfig } from './types.ts';

export { LAB_ACCOUNT };

const name = (what: string) =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
      `${what} must be 1-63 letters, digits, dots, underscores or hyphens, starting with a letter or digit`,
    );

const region = z
  .string()
  .regex(REGION_PATTERN, 'must be an AWS region code like us-east-1')
  .describe('AWS region code, e.g. us-east-1.');

const httpsUrl = z.string().refine((s) => URL.canParse(s) && s.startsWith('https://'), 'must be an https:// URL');
const httpUrl = z
  .string()
  .refine((s) => URL.canParse(s) && /^https?:\/\//.test(s), 'must be an http:// or https:// URL');

/** Why a string cannot be an issuer as IAM and STS accept it (docs/aws-facts.md 1.3, 2.1), or undefined. */
function issuerProblem(s: string): string | undefined {
  if (!s.startsWith('https://')) return 'must start with https:// (STS fetches the issuer only over HTTPS)';
  if (s.trim() !== s) return 'must not start or end with white space';
  if (s.length > 255) return 'must be at most 255 characters (IAM OIDC provider URL limit)';
  if (!URL.canParse(s)) return 'is not a valid URL';
  if (s.includes('?')) return 'must not have a query (IAM rejects one in a provider URL)';
  if (s.includes('#')) return 'must not have a fragment';
  if (/^https:\/\/[^/]*@/.test(s)) return 'must not hold user information';
  return undefined;
}

/** The `:port` of an issuer, written out; IAM refuses a port, the lab needs one. */
const issuerPort = (s: string): string | undefined => /^https:\/\/[^/?#]*?(:\d*)(?:[/?#]|$)/.exec(s)?.[1];

const issuer = z
  .string()
  .superRefine((s, ctx) => {
    const problem = issuerProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ format: 'uri', pattern: '^https://[^?#]+$' })
  .describe(
    "The service-account issuer exactly as in the tokens' iss claim (compared byte for byte; a trailing slash is kept). https, no query or fragment; a port only with caFile (a lab or private issuer), as IAM refuses one.",
  );

const bucket = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        'must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)',
      ),
    region,
  })
  .describe(
    'The S3 bucket hosting the issuer documents. Default: derived from an S3 issuer URL (virtual-hosted or path style); give it for an issuer behind CloudFront or another host.',
  );

const cluster = z
  .strictObject({
    name: name('a cluster name').describe('Unique name of the cluster, used in the API, logs and alerts.'),
    issuer,
    account: z
      .string()
      .min(1)
      .optional()
      .describe('Name of an entry in `accounts` whose credentials the AWS probes use.'),
    region: region
      .optional()
      .describe(
        "The cluster's AWS region, e.g. us-east-1. Default: the bucket's region when derivable; otherwise required.",
      ),
    labels: z
      .record(z.string(), z.string())
      .default({})
      .describe('Free-form string labels shown in the API and alerts, e.g. {env: prod}. Default {}.'),
    bucket: bucket.optional(),
    cloudfront,
    caFile: filePath
      .optional()
      .describe(
        "PEM file trusted, besides the system store, when fetching the issuer (a private or lab issuer). Relative paths are resolved against this config file's directory.",
      ),
    kube: z
      .strictObject({
        context: z.string().min(1).describe('Context name in the kubeconfig.'),
        kubeconfig: filePath
          .optional()
          .describe(
            "Kubeconfig file; relative paths are resolved against this config file's directory. Default: the standard lookup (KUBECONFIG, ~/.kube/config).",
          ),
      })
      .optional()
      .describe("Access to the cluster's API (jwks and roles probes)."),
    probes: z
      .array(z.enum(PROBE_NAMES))
      .min(1)
      .optional()
      .describe(`Probes to run for this cluster, among ${PROBE_NAMES.join(', ')}. Default: all that apply.`),
    flavor,
    audiences,
    signingKeys,
    roles,
  })
  .transform((c, ctx): ClusterConfig => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const port = issuerPort(c.issuer);
    if (port !== undefined && c.caFile === undefined)
      issue(
        ['issuer'],
        `must not have a port (${port}): IAM refuses one in a provider URL (a lab or private issuer with caFile may)`,
      );
    const derived = c.bucket ?? bucketFromIssuer(c.issuer);
    if (c.cloudfront !== undefined && c.bucket === undefined)
      issue(['bucket'], 'is required with cloudfront: the origin bucket cannot be derived from a distribution URL');
    const clusterRegion = c.region ?? derived?.region;
    if (clusterRegion === undefined)
      issue(['region'], 'is required: the issuer is not an S3 URL, so the region cannot be derived from it');
    const { bucket: _given, region: _region, flavor: _f, audiences: _a, signingKeys: _s, roles: _r, ...rest } = c;
    return {
      ...rest,
      region: clusterRegion ?? '',
      ...(derived ? { bucket: derived } : {}),
      ...identityChainSettings(c, issue),
    };
  });

const credentials = z
  .discriminatedUnion('source', [
    z
      .strictObject({ source: z.literal('default') })
      .describe("The AWS SDK's default provider chain (environment, web identity, SSO, instance/pod role)."),
    z
      .strictObject({ source: z.literal('profile'), profile: z.string().min(1) })
      .describe('A named profile of ~/.aws/config.'),
    z
      .strictObject({
        source: z.literal('assumeRole'),
        roleArn: iamRoleArn,
        externalId: z.string().min(2).max(1224).optional(),
      })
      .describe('A role assumed (sts:AssumeRole) with credentials from the default chain.'),
    z
      .strictObject({
        source: z.literal('static'),
        accessKeyId: z.string().min(16),
        secretAccessKey: z.string().min(1),
      })
      .describe('Keys given in the config (the lab); use ${ENV} references rather than literal keys.'),
  ])
  .prefault({ source: 'default' })
  .describe('Where the AWS credentials come from. Default {source: default}.');

const account = z.strictObject({
  name: name('an account name').describe('Name clusters refer to with `account:`, e.g. prod.'),
  id: z
    .string({
      error: (iss) =>
        iss.input === undefined
          ? 'is required'
          : "must be a quoted string ('012345678901'): YAML reads unquoted digits as a number and drops leading zeros",
    })
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .describe('12-digit AWS account id, quoted.'),
  credentials,
  endpoint: httpsUrl.optional().describe('Endpoint override for every AWS service (the lab).'),
  caFile: filePath
    .optional()
    .describe("PEM file trusted for that endpoint (the lab CA); relative to this config file's directory."),
  discover,
});

const cron = cronExpression;

const schedule = ({ name, schedule: d }: ProbeModule) =>
  z
    .strictObject({
      cron: cron.default(d.cron).describe(`node-cron expression. Default "${d.cron}" (${d.every}).`),
      timeoutMs: z
        .number()
        .int()
        .min(100)
        .default(d.timeoutMs)
        .describe(`Per-run budget in ms; after it the result is unknown with PROBE_TIMEOUT. Default ${d.timeoutMs}.`),
      enabled: z.boolean().default(true).describe('Run this probe at all. Default true.'),
    })
    .prefault({})
    .describe(`When the ${name} probe runs.`);

const schedules = z
  .strictObject(
    Object.fromEntries(probeModules().map((m) => [m.name, schedule(m)])) as Record<
      ProbeName,
      ReturnType<typeof schedule>
    >,
  )
  .prefault({})
  .describe('Per-probe schedules; each run starts at a random offset within its period.');

/** `probes.<name>`: the settings of every probe that has some, as each probe module declares them. */
const probeSettings = z
  .strictObject(
    Object.fromEntries(probeModules().flatMap((m) => (m.settings ? [[m.name, m.settings]] : []))) as {
      [N in ProbesWithSettings]: NonNullable<Probes[N]['settings']>;
    },
  )
  .prefault({})
  .describe('Probe settings.');

const lab = z
  .strictObject({
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(0)
      .describe('Port the lab listens on; 0 picks a free one. Default 0.'),
    dataDir: filePath.default('./data/lab').describe('Where the lab writes its CA. Default ./data/lab.'),
    fleet: labFleet.schema,
  })
  .describe(
    "Start the lab embedded and monitor its fleet: its clusters and a 'lab' account are added to those of the file, which may then have none.",
  );

export const configFileSchema = z
  .strictObject({
    clusters: z.array(cluster).default([]).describe('The clusters to watch. At least one, unless `lab:` is set.'),
    accounts: z.array(account).default([]).describe('AWS accounts and how to get credentials for them.'),
    schedules,
    probes: probeSettings,
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(16)
      .describe('Probe runs in flight at once, across the fleet. Default 16.'),
    shutdownGraceMs: z
      .number()
      .int()
      .min(0)
      .default(10_000)
      .describe('At shutdown, how long in-flight runs may finish before they are abandoned. Default 10000.'),
    storage: z
      .strictObject({
        dataDir: filePath
          .default('./data')
          .describe('Directory of the SQLite store, relative to the working directory. Default ./data.'),
        retentionDays: z.number().positive().default(7).describe('History older than this is pruned. Default 7.'),
        inMemory: z.boolean().default(false).describe('Keep nothing on disk (tests). Default false.'),
      })
      .prefault({})
      .describe('Where results and history are kept.'),
    server: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1').describe('Address the API listens on. Default 127.0.0.1.'),
        port: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .default(8080)
          .describe('Port of the API; 0 picks a free one. Default 8080.'),
        allowedHosts: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe(
            "Host header names the API answers to (port ignored; '*' for any); others get 421 HOST_NOT_ALLOWED, which stops DNS rebinding from reading a loopback-bound API. Default: localhost, 127.0.0.1, ::1 and host when host is a loopback address; any otherwise.",
          ),
        rateLimit: z
          .strictObject({
            max: z
              .number()
              .int()
              .min(0)
              .default(1200)
              .describe('Requests per client address and window; 0 turns limiting off. Default 1200.'),
            windowSeconds: z.number().int().min(1).default(60).describe('The window in seconds. Default 60.'),
          })
          .prefault({})
          .describe('Rate limiting per client address (health checks are never limited); over it: 429 RATE_LIMITED.'),
        publicUrl: httpUrl
          .optional()
          .describe(
            "This agent's URL as users reach it: links in summary.json and alerts (<publicUrl>/clusters/<name>). Default: none (summary.json links are relative, alert links use http://<host>:<port>).",
          ),
        auth: authSchema,
        access: accessSchema,
      })
      .prefault({})
      .describe('The HTTP API.'),
    log: z
      .strictObject({
        level: z
          .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
          .default('info')
          .describe('pino log level. Default info.'),
      })
      .prefault({})
      .describe('Logging.'),
    lab: lab.optional(),
    alerts: alertsSchema,
  })
  .superRefine((config, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const firstAt = (list: { name: string }[], key: string) => {
      const seen = new Map<string, number>();
      list.forEach((item, i) => {
        const first = seen.get(item.name);
        if (first === undefined) seen.set(item.name, i);
        else issue([key, i, 'name'], `duplicate name "${item.name}" (first at ${formatKeyPath([key, first, 'name'])})`);
      });
      return seen;
    };
    const clusters = firstAt(config.clusters, 'clusters');
    const accounts = firstAt(config.accounts, 'accounts');

    if (config.lab) {
      const fleet = labFleet.names(config.lab.fleet);
      const seen = new Set<string>();
      fleet.forEach((n, i) => {
        if (seen.has(n)) issue(['lab', 'fleet', 'clusters', i, 'name'], `duplicate lab cluster name "${n}"`);
        seen.add(n);
        const clash = clusters.get(n);
        if (clash !== undefined)
          issue(['clusters', clash, 'name'], `duplicate name "${n}": the lab fleet has a cluster of that name`);
      });
      const own = accounts.get(LAB_ACCOUNT);
      if (own !== undefined)
        issue(['accounts', own, 'name'], `"${LAB_ACCOUNT}" is reserved for the lab's account when lab: is set`);
    } else if (config.clusters.length === 0 && !config.accounts.some((a) => a.discover !== undefined)) {
      issue(
        ['clusters'],
        'must list at least one cluster (or set lab: to watch the lab fleet, or discover: on an account)',
      );
    }

    for (const p of alertsProblems(config.alerts, config.lab !== undefined)) issue(p.path, p.message);

    config.clusters.forEach((c, i) => {
      if (c.account === undefined || accounts.has(c.account)) return;
      if (config.lab && c.account === LAB_ACCOUNT) return;
      const known = [...accounts.keys(), ...(config.lab ? [LAB_ACCOUNT] : [])];
      issue(
        ['clusters', i, 'account'],
        `no account named "${c.account}" in accounts (${known.length ? `known: ${known.join(', ')}` : 'none defined'})`,
      );
    });
  });

/** What parsing a file gives: AgentConfig without the loader's `sources`. */
export type ConfigFile = z.output<typeof configFileSchema>;

// Compile-time proof that the schema produces AgentConfig: the parse result plus `sources` is an AgentConfig,
// and the schema covers every key of it.
type AssertAssignable<T extends U, U> = T;
type _SchemaMakesAgentConfig = AssertAssignable<ConfigFile & { sources: string[] }, AgentConfig>;
type _SchemaCoversAgentConfig = AssertAssignable<Exclude<keyof AgentConfig, keyof ConfigFile | 'sources'>, never>;
