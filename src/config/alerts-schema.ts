// The config's `alerts:` block (thresholds, reminders, sinks, routes, maintenance windows) and `server.auth` (API
// tokens). Sink URLs, routing keys, HMAC secrets and tokens are secrets: give them as ${ENV} references or in files
// (`urlFile`, `routingKeyFile`, `secretFile`, `tokenFile`, read by the loader); no message here ever quotes one.
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { filePath } from './schema-strings.ts';

/** The special URL of the embedded lab's demo receiver (resolved by src/lab-adapter.ts when `lab:` is set). */
export const LAB_RECEIVER_URL = 'lab:receiver';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const sinkName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, dots, underscores or hyphens');

const httpUrl = (what: string, lab = false) =>
  z
    .string()
    .refine(
      (s) => (lab && s === LAB_RECEIVER_URL) || (URL.canParse(s) && /^https?:$/.test(new URL(s).protocol)),
      `${what} must be an http:// or https:// URL${lab ? ` (or ${LAB_RECEIVER_URL}, the embedded lab's receiver)` : ''}`,
    );

const secretValue = z.string().min(1, 'must not be empty');

const common = {
  name: sinkName.describe('Name routes refer to; logs and the API show it (never the URL).'),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(10_000)
    .describe('Per delivery attempt, in ms. Default 10000.'),
  sendResolved: z.boolean().optional().describe('Send resolutions to this sink. Default: alerts.sendResolved.'),
  caFile: filePath
    .optional()
    .describe("PEM trusted besides the system store for this sink's receiver; relative to this config file."),
  urlFile: filePath
    .optional()
    .describe("A file holding the URL instead of `url` (a mounted secret); relative to this config file's directory."),
};

const webhook = z.strictObject({
  ...common,
  type: z.literal('webhook'),
  url: httpUrl('url', true)
    .default('')
    .describe(
      "Receiver URL (often holds a token: use ${ENV} or urlFile). lab:receiver posts to the embedded lab's demo receiver.",
    ),
  secret: secretValue
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe(
      'HMAC-SHA256 key: each request carries X-Irsa-Sentinel-Signature: t=<unix>,v1=<hex of HMAC("<t>.<body>")>. Use ${ENV} or secretFile.',
    ),
  secretFile: filePath.optional().describe('A file holding `secret`.'),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name'), z.string())
    .optional()
    .describe('Extra request headers (e.g. a receiver bearer token via ${ENV}).'),
});

const slack = z.strictObject({
  ...common,
  type: z.literal('slack'),
  url: httpUrl('url').default('').describe('Slack incoming webhook URL (a secret: use ${ENV} or urlFile).'),
});

const pagerduty = z.strictObject({
  ...common,
  type: z.literal('pagerduty'),
  url: httpUrl('url')
    .default(PAGERDUTY_EVENTS_URL)
    .describe(`Events API v2 endpoint. Default ${PAGERDUTY_EVENTS_URL}.`),
  routingKey: secretValue
    .optional()
    .describe("The service integration's routing key (a secret: use ${ENV} or routingKeyFile)."),
  routingKeyFile: filePath.optional().describe('A file holding `routingKey`.'),
});

const alertmanager = z.strictObject({
  ...common,
  type: z.literal('alertmanager'),
  url: httpUrl('url')
    .default('')
    .describe('Base URL of the Alertmanager, e.g. http://alertmanager:9093 (alerts go to <url>/api/v2/alerts).'),
  refreshSeconds: z
    .number()
    .int()
    .min(5)
    .max(3600)
    .default(60)
    .describe(
      'Firing alerts are sent again this often, each with endsAt 4 periods ahead (Alertmanager expires alerts not re-sent). Default 60.',
    ),
});

export const sinkSchema = z
  .discriminatedUnion('type', [webhook, slack, pagerduty, alertmanager])
  .superRefine((s, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (s.type !== 'pagerduty') {
      if (s.url === '' && s.urlFile === undefined) issue('url', 'is required (or urlFile)');
      if (s.url !== '' && s.urlFile !== undefined) issue('urlFile', 'give url or urlFile, not both');
    } else if (s.urlFile !== undefined) issue('urlFile', 'is not used by pagerduty: give routingKey or routingKeyFile');
    if (s.type === 'webhook' && s.secret !== undefined && s.secretFile !== undefined)
      issue('secretFile', 'give secret or secretFile, not both');
    if (s.type === 'pagerduty' && (s.routingKey === undefined) === (s.routingKeyFile === undefined))
      issue('routingKey', 'give exactly one of routingKey and routingKeyFile');
  })
  .describe('Where notifications go: webhook, slack, pagerduty or alertmanager.');

const severity = z.enum(['critical', 'warning']);

const route = z.strictObject({
  match: z
    .strictObject({
      clusters: z.array(z.string().min(1)).min(1).optional().describe('Cluster names (any of).'),
      labels: z.record(z.string(), z.string()).optional().describe('Cluster labels that must all be equal.'),
      severity: z.array(severity).min(1).optional().describe('critical (failing causes) or warning.'),
      codes: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe('Alert codes: diagnosis cause codes, DEGRADED, STALE.'),
    })
    .prefault({})
    .describe('What the route takes; an empty match takes everything.'),
  sinks: z.array(sinkName).min(1).describe('Sink names.'),
  continue: z
    .boolean()
    .default(false)
    .describe('Also try the routes after this one when it matched. Default false: the first match decides.'),
});

const maintenance = z.strictObject({
  name: sinkName.describe('Shown in the status API while active.'),
  cron: z
    .string()
    .refine((s) => validCron(s), 'is not a valid cron expression (node-cron: 5 fields, UTC)')
    .describe('When each window starts (UTC), e.g. "0 2 * * 0" for Sundays at 02:00.'),
  durationMinutes: z
    .number()
    .int()
    .min(1)
    .max(10_080)
    .describe('How long each window lasts, in minutes (at most 7 days).'),
  selector: z
    .strictObject({ labels: z.record(z.string(), z.string()).describe('Cluster labels that must all be equal.') })
    .optional()
    .describe('Only the clusters with these labels. Default: the whole fleet.'),
});

const retry = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(100).default(10).describe('Attempts per notification. Default 10.'),
    initialDelayMs: z
      .number()
      .int()
      .min(10)
      .default(1_000)
      .describe('First retry delay (doubled each time, jittered). Default 1000.'),
    maxDelayMs: z.number().int().min(10).default(300_000).describe('Longest delay between attempts. Default 300000.'),
  })
  .prefault({})
  .describe('Retries of failed deliveries (429, 5xx, timeouts, network errors); a 4xx refusal is not retried.');

export const alertsSchema = z
  .strictObject({
    failAfter: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe(
        'Consecutive failing evaluations (stored results of the probe behind the cause) before an alert fires. A cause that findings of two probes confirm fires on first sight. Default 2.',
      ),
    resolveAfter: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe(
        'Consecutive passing evaluations before a firing alert resolves; unknown results do not count. Default 2.',
      ),
    reminderMinutes: z
      .number()
      .int()
      .min(1)
      .default(240)
      .describe('A firing alert is sent again at most this often. Default 240 (4 h).'),
    sendResolved: z
      .boolean()
      .default(true)
      .describe('Send resolutions (per sink: sinks[].sendResolved). Default true.'),
    staleAfterPeriods: z
      .number()
      .int()
      .min(2)
      .default(3)
      .describe('A cluster whose probes have not reported for this many of their periods raises STALE. Default 3.'),
    rerunCooldownSeconds: z
      .number()
      .int()
      .min(0)
      .default(60)
      .describe(
        "When a probe's status changes, the cluster's other probes run at once, at most once per this many seconds per cluster. Default 60.",
      ),
    recentHours: z
      .number()
      .positive()
      .default(24)
      .describe('Resolved alerts are listed by GET /api/v1/alerts for this long. Default 24.'),
    retry,
    sinks: z.array(sinkSchema).default([]).describe('Where notifications go. Default none.'),
    routes: z.array(route).default([]).describe('Ordered routes from alerts to sinks. Default none.'),
    defaultSinks: z
      .array(sinkName)
      .optional()
      .describe('Sinks for alerts no route matches. Default: every sink when no routes are given, none otherwise.'),
    maintenance: z
      .array(maintenance)
      .default([])
      .describe('Maintenance windows: notifications are held while one is active (key rotations). Default none.'),
  })
  .prefault({})
  .describe('Alerts: one per cluster and root cause, routed to sinks, quiet during silences and maintenance.');

export const authSchema = z
  .strictObject({
    tokens: z
      .array(
        z
          .strictObject({
            name: sinkName.describe('Who holds it (shown as createdBy of silences).'),
            token: z
              .string()
              .min(16, 'must be at least 16 characters')
              .default('')
              .describe('The bearer token (a secret: use ${ENV} or tokenFile).'),
            tokenFile: filePath.optional().describe('A file holding the token.'),
            scopes: z
              .array(z.enum(['read', 'write']))
              .min(1)
              .default(['read', 'write'])
              .describe(
                'read: the surfaces server.access puts behind a token; write: silences, test alerts, probe runs (and read). Default [read, write].',
              ),
          })
          .superRefine((t, ctx) => {
            if ((t.token === '') === (t.tokenFile === undefined))
              ctx.addIssue({ code: 'custom', path: ['token'], message: 'give exactly one of token and tokenFile' });
          }),
      )
      .default([])
      .describe('API bearer tokens. IRSA_SENTINEL_API_TOKEN, when set, adds one with write scope.'),
  })
  .prefault({})
  .describe(
    'Bearer tokens for the API (compared in constant time): the write scope for mutating routes, the read scope for what server.access puts behind a token.',
  );

export type AlertsFileConfig = z.output<typeof alertsSchema>;

/** Cross-checks between alerts and the rest: every route and defaultSinks names a known sink. */
export function alertsProblems(alerts: AlertsFileConfig, hasLab: boolean): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  const names = new Map<string, number>();
  alerts.sinks.forEach((s, i) => {
    const first = names.get(s.name);
    if (first !== undefined)
      out.push({ path: ['alerts', 'sinks', i, 'name'], message: `duplicate sink name "${s.name}"` });
    else names.set(s.name, i);
    if (s.type === 'webhook' && s.url === LAB_RECEIVER_URL && !hasLab)
      out.push({ path: ['alerts', 'sinks', i, 'url'], message: `${LAB_RECEIVER_URL} needs lab: (the embedded lab)` });
  });
  const known = [...names.keys()];
  const unknown = (name: string) =>
    `no sink named "${name}" in alerts.sinks (${known.length ? `known: ${known.join(', ')}` : 'none defined'})`;
  alerts.routes.forEach((r, i) =>
    r.sinks.forEach((s, j) => {
      if (!names.has(s)) out.push({ path: ['alerts', 'routes', i, 'sinks', j], message: unknown(s) });
    }),
  );
  alerts.defaultSinks?.forEach((s, j) => {
    if (!names.has(s)) out.push({ path: ['alerts', 'defaultSinks', j], message: unknown(s) });
  });
  const windows = new Set<string>();
  alerts.maintenance.forEach((m, i) => {
    if (windows.has(m.name))
      out.push({ path: ['alerts', 'maintenance', i, 'name'], message: `duplicate maintenance window "${m.name}"` });
    windows.add(m.name);
  });
  return out;
}
