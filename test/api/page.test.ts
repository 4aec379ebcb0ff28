// The status page through the API (app.inject): the fleet and cluster pages render what the store holds (order,
// counts, filters, stale probes with their age, causes and fixes, the roles table, history strips), hostile text is
// shown as text, an unknown cluster gets a 404 page, every page has the strict CSP, and no response refers to
// anything off the agent's origin.
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/app.ts';
import { OPEN_ACCESS } from '../helpers/api-access.ts';
import { createApiAuth, registerAuth } from '../../src/api/auth.ts';
import { ASSETS } from '../../src/api/page/assets.ts';
import { filterOf, fleetViews } from '../../src/api/page/view.ts';
import { fleetView, filterForm } from '../../src/api/page/fleet.ts';
import { page, PAGE_CSP } from '../../src/api/page/layout.ts';
import type { PageAlertsView } from '../../src/api/page/types.ts';
import { pageRoutes } from '../../src/api/routes/page.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import { PROBE_NAMES, statusOf } from '../../src/core/model.ts';
import type { Finding, ProbeName, ProbeResult } from '../../src/core/model.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import {
  CLUSTER,
  ROLES,
  assumeFailed,
  nextKeyNotPublished,
  permissionMissing,
  publicAccessBlocked,
  rolesResult,
  slow,
} from '../diagnosis/results.ts';

const NOW = new Date('2026-12-02T14:10:30.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const MIN = 60_000;

const HOSTILE = 'evil"><script>alert(1)</script>';
const HOSTILE_MESSAGE = 'GET discovery answered <script>alert("pwned")</script> & <img src=x onerror=alert(2)>';

const cluster = (name: string, labels: Record<string, string> = {}): ClusterConfig => ({
  name,
  issuer: `https://${name.replace(/[^a-z-]/g, '')}-oidc.s3.us-east-1.amazonaws.com`,
  region: 'us-east-1',
  labels,
  ...clusterDefaults(),
});

const CLUSTERS: ClusterConfig[] = [
  cluster('fine', { env: 'dev' }),
  cluster('quiet', { env: 'dev', team: 'platform' }),
  cluster('slow', { env: 'prod' }),
  cluster(CLUSTER, { env: 'prod', team: 'platform' }),
  cluster(HOSTILE, { 'x"y': '<b>bold</b>' }),
];

const run = (name: string, probe: ProbeName, findings: Finding[], startedAt = ago(30_000)): ProbeResult => ({
  cluster: name,
  probe,
  status: statusOf(findings),
  startedAt,
  durationMs: 420,
  findings,
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
});

/** Every probe of a cluster once a minute: stale after 3 minutes. */
const EVERY_MINUTE = Object.fromEntries(PROBE_NAMES.map((p) => [p, { cron: '*/1 * * * *', enabled: true }])) as Record<
  ProbeName,
  { cron: string; enabled: boolean }
>;

function fill(store: Store): void {
  // prod-east: Block Public Access cuts STS off (every role fails) and the next signing key is unpublished (a second
  // cause); the roles probe may not call iam:GetRole (undecided).
  store.saveResult(run(CLUSTER, 'bucket', [publicAccessBlocked('bucket')]));
  store.saveResult(run(CLUSTER, 'jwks', [nextKeyNotPublished()]));
  const roles = rolesResult(
    ROLES.map((r) => [r, [assumeFailed('ASSUME_KEY_RETRIEVAL_FAILED', r)]]),
    [permissionMissing('iam:GetRole', 'us-east-1')],
  );
  store.saveResult({ ...roles, startedAt: ago(30_000) });
  store.saveResult(run(CLUSTER, 'issuer', []));
  // slow: a warning, with a day of history: ok, then a failing hour, a gap of two hours, then warnings.
  for (let h = 24; h >= 1; h--) {
    if (h === 6 || h === 5) continue;
    const findings = h === 10 ? [slow(6000)] : h < 5 ? [slow(3000)] : [];
    store.saveResult(run('slow', 'issuer', findings, ago(h * 60 * MIN)));
  }
  store.saveResult(run('slow', 'issuer', [slow(3000)]));
  // fine: all ok, but its issuer probe last reported 12 minutes ago.
  for (const p of PROBE_NAMES) store.saveResult(run('fine', p, [], p === 'issuer' ? ago(12 * MIN) : ago(20_000)));
  // quiet: nothing yet. The hostile one: its discovery document's text in a finding message and its evidence.
  store.saveResult(
    run(HOSTILE, 'issuer', [
      {
        code: 'ISSUER_HTTP_ERROR',
        severity: 'fail',
        message: HOSTILE_MESSAGE,
        remediation: 'Fix </p><script>alert(3)</script> the bucket.',
        subject: '"><svg onload=alert(4)>',
        evidence: { body: '</pre><script>alert(5)</script>', url: 'javascript:alert(6)', status: 403 },
      },
    ]),
  );
}

let store: Store;
let app: FastifyInstance;

beforeAll(async () => {
  store = openSqliteStore({ dataDir: '', inMemory: true });
  fill(store);
  app = await buildApi({
    store,
    clusters: () => CLUSTERS,
    now: () => NOW,
    schedules: () => EVERY_MINUTE,
    access: OPEN_ACCESS,
  });
});
afterAll(async () => {
  await app.close();
  store.close();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

/** The cluster names of the fleet list, in order. */
const rowNames = (body: string): string[] =>
  [...body.matchAll(/<a class="name" href="[^"]*">([^<]*)<\/a>/g)].map((m) => unescape(m[1]!));
const unescape = (s: string) =>
  s
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#96;', '`')
    .replaceAll('&amp;', '&');
const escape = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

/** The row of one cluster in the fleet list. */
function rowOf(body: string, name: string): string {
  const at = body.indexOf(`>${escape(name)}</a>`);
  expect(at, `no row for ${name}`).toBeGreaterThan(0);
  return body.slice(body.lastIndexOf('<li class="cluster', at), body.indexOf('</li>', at));
}

const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'srcset', 'poster', 'data', 'xlink:href']);
/** Attributes whose value is only ever text to read: data shown there may hold a URL. */
const TEXT_ATTRIBUTES = new Set(['title', 'aria-label', 'value', 'alt', 'placeholder']);

/**
 * The markup loads, links or submits to nothing off the origin and runs no inline code or style. Every `<` must open
 * a well-formed tag of double-quoted attributes (escaped text never does), so the attributes below are all there are.
 */
function expectSelfContained(body: string): void {
  const TAG = /<(?:!doctype html|\/[a-z][\w-]*|([a-z][\w:-]*)((?:\s+[a-z][\w:-]*(?:="[^"<>]*")?)*)\s*\/?)>/gi;
  const tags = [...body.matchAll(TAG)];
  expect(tags.length, 'a < that does not open a tag').toBe(body.split('<').length - 1);
  for (const [, name, attrs = ''] of tags) {
    if (!name) continue;
    for (const [, attr = '', value = ''] of attrs.matchAll(/\s+([a-z][\w:-]*)(?:="([^"]*)")?/gi)) {
      const a = attr.toLowerCase();
      expect(a.startsWith('on') || a === 'style', `<${name} ${a}>`).toBe(false);
      const icon = name === 'link' || a === 'data-icon' ? value.startsWith('data:image/svg+xml,') : false;
      if (URL_ATTRIBUTES.has(a) && !icon)
        expect(value, `<${name} ${a}="${value}">`).not.toMatch(/^\s*(?:[a-z][a-z0-9+.-]*:|\/\/|\\\\)/i);
      if (/https?:\/\//i.test(value) && !icon)
        expect(TEXT_ATTRIBUTES.has(a) || a.startsWith('data-'), `http(s) URL in <${name} ${a}>`).toBe(true);
      if (icon) expect(value.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:/);
    }
    if (name.toLowerCase() === 'script')
      expect(attrs).toMatch(/^ src="(?:\.\.\/|\.\/)assets\/page\.js\?v=[\w-]+" defer$/);
    expect(name.toLowerCase(), 'a <style> element').not.toBe('style');
  }
  expect(body).not.toMatch(/<script\b[^>]*>[^<]/i); // no inline script body
  expect(body).not.toMatch(/@import|url\(/i);
}

describe('GET / (the fleet)', () => {
  it('is HTML with the strict CSP, every cluster worst first (fail, warn, unknown, ok), failing ones by name', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toMatch(/^<!doctype html>/);
    expect(rowNames(res.body)).toEqual([HOSTILE, CLUSTER, 'slow', 'quiet', 'fine']);
    expect(rowOf(res.body, CLUSTER)).toContain('<span class="mark m-fail">FAIL</span>');
    expect(rowOf(res.body, 'slow')).toContain('<span class="mark m-warn">WARN</span>');
    expect(rowOf(res.body, 'quiet')).toContain('<span class="mark m-unknown">UNKNOWN</span>');
    expect(rowOf(res.body, 'fine')).toContain('<span class="mark m-ok">OK</span>');
  });

  it('counts clusters by status, and those with a stale probe', async () => {
    const { body } = await get('/');
    const count = (m: string) => new RegExp(`class="count m-${m}[^"]*"[^>]*><span class="n">(\\d+)<`).exec(body)?.[1];
    expect(['fail', 'warn', 'unknown', 'ok', 'stale'].map(count)).toEqual(['2', '1', '1', '1', '1']);
    expect(/class="count all"[^>]*><span class="n">(\d+)</.exec(body)?.[1]).toBe('5');
    expect(body).toContain('1 cluster with a probe that has not reported for 3 of its periods');
    expect(body).toContain('Fleet: 5 clusters');
  });

  it('one line per cluster: the diagnosis summary (whole text in the title), labels, probe badges, age', async () => {
    const { body } = await get('/');
    const summary = store.diagnosis(CLUSTER)!.summary;
    const row = rowOf(body, CLUSTER);
    expect(row).toContain(
      `<span class="c-summary" title="${escape(summary)}"><span class="code">PUBLIC_ACCESS_BLOCKED</span> ${escape(summary)}</span>`,
    );
    expect(row).toContain('<a class="label" href="./?label=env%3Dprod">env=prod</a>');
    expect(row).toContain('href="clusters/prod-east"');
    for (const p of ['issuer', 'jwks', 'bucket', 'roles'])
      expect(row).toMatch(new RegExp(`<span class="badge m-\\w+" title="${p} \\w+, 30 s ago">${p}</span>`));
    expect(row).not.toContain('cloudtrail'); // never ran for it
    expect(row).toContain('<time datetime="2026-12-02T14:10:00.000Z">30 s ago</time>');
    expect(rowOf(body, 'quiet')).toContain('No probe has reported on this cluster yet.');
    expect(rowOf(body, 'quiet')).toContain('no report yet');
  });

  it('marks the stale probe: its badge, the STALE mark on the row', async () => {
    const row = rowOf((await get('/')).body, 'fine');
    expect(row).toContain(
      '<span class="badge m-ok is-stale" title="issuer OK, stale: last report 12 min ago">issuer</span>',
    );
    expect(row).toContain('<span class="mark m-stale small" title="not reporting: issuer">STALE</span>');
    expect(row).toContain('<span class="badge m-ok" title="jwks OK, 20 s ago">jwks</span>');
  });

  it.each([
    ['?status=fail', [HOSTILE, CLUSTER]],
    ['?status=fail&status=warn', [HOSTILE, CLUSTER, 'slow']],
    ['?status=stale', ['fine']],
    ['?status=unknown', ['quiet']],
    ['?label=env=prod', [CLUSTER, 'slow']],
    ['?label=env%3Ddev&label=team%3Dplatform', ['quiet']],
    ['?label=env%3Ddev%2C+team%3Dplatform', ['quiet']],
    ['?label=team', [CLUSTER, 'quiet']],
    ['?status=fail&label=env=prod', [CLUSTER]],
    ['?q=SLO', ['slow']],
    ['?status=&label=&q=', [HOSTILE, CLUSTER, 'slow', 'quiet', 'fine']],
    ['?status=bogus', [HOSTILE, CLUSTER, 'slow', 'quiet', 'fine']],
  ])('filters %s', async (query, names) => {
    const res = await get(`/${query}`);
    expect(res.statusCode).toBe(200);
    expect(rowNames(res.body)).toEqual(names);
  });

  it('says what the filter shows, keeps the counts of the whole fleet, and the form shows the filter', async () => {
    const { body } = await get('/?status=fail&label=env=prod&q=east');
    expect(body).toContain('Showing 1 of 5 clusters (status fail, label env=prod, name contains &quot;east&quot;)');
    expect(/class="count m-fail[^"]*"[^>]*><span class="n">(\d+)</.exec(body)?.[1]).toBe('2');
    expect(body).toContain('<input type="checkbox" name="status" value="fail" checked>');
    expect(body).toContain('<input type="checkbox" name="status" value="warn">');
    expect(body).toMatch(/<input name="label"[^>]* value="env=prod"/);
    expect(body).toMatch(/<input name="q" type="search"[^>]* value="east"/);
    expect(body).toContain('<form class="filters" method="get" action="./"');
    expect(body).toContain('<option value="team=platform"></option>');
    const none = await get('/?label=nope');
    expect(none.body).toContain('No cluster matches the filter.');
  });

  it('a filter value longer than the schema allows is refused', async () => {
    expect((await get(`/?q=${'x'.repeat(300)}`)).statusCode).toBe(400);
  });
});

describe('GET /clusters/:name', () => {
  it('leads with the diagnosis: every cause with its fix, then the undecided links', async () => {
    const res = await get(`/clusters/${CLUSTER}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    const d = store.diagnosis(CLUSTER)!;
    expect(d.causes.map((c) => c.code)).toEqual(['PUBLIC_ACCESS_BLOCKED', 'DEGRADED']);
    expect(res.body).toContain(`<p class="lead">${escape(d.summary)}</p>`);
    const causes = res.body.slice(res.body.indexOf('<ol class="causes">'), res.body.indexOf('</ol>'));
    for (const c of d.causes) {
      expect(causes).toContain(`<code>${c.code}</code>`);
      expect(causes).toContain(`<div class="fix"><h4>Fix</h4><p class="prose">${escape(c.remediation!)}</p></div>`);
    }
    // The second cause's own summary (the root cause's is the lead).
    expect(causes).toContain(escape(d.causes[1]!.summary));
    expect(res.body).toContain('<h3>Not decided (1)</h3>');
    expect(res.body).toMatch(
      /<li><a href="#probe-roles">roles<\/a> <span class="mark m-unknown">UNKNOWN<\/span> <code>AWS_PERMISSION_MISSING<\/code>/,
    );
    expect(res.body).toContain('<title>FAIL prod-east · irsa-sentinel</title>');
  });

  it('per probe: status, last run with age, duration, trace id, findings with remediation and evidence', async () => {
    const { body } = await get(`/clusters/${CLUSTER}`);
    const bucket = body.slice(
      body.indexOf('<section id="probe-bucket"'),
      body.indexOf('<section id="probe-cloudtrail"'),
    );
    expect(bucket).toContain('<span class="mark m-fail">FAIL</span> bucket</h2>');
    expect(bucket).toContain(
      'last run <time datetime="2026-12-02T14:10:00.000Z">2026-12-02 14:10:00 UTC</time> (30 s ago) · took 420 ms · every 1 min · trace <code class="trace">4bf92f3577b34da6a3ce929d0e0e4736</code>',
    );
    expect(bucket).toContain('<code>BUCKET_PUBLIC_ACCESS_BLOCKED</code>');
    expect(bucket).toMatch(
      /<details class="evidence" data-key="bucket-BUCKET_PUBLIC_ACCESS_BLOCKED-[^"]+"><summary>evidence<\/summary><pre>\{\n {2}&quot;documents&quot;: \[/,
    );
    expect(bucket).toContain('&quot;setting&quot;: &quot;RestrictPublicBuckets&quot;');
    expect(bucket).toMatch(/<div class="fix"><h4>Fix<\/h4><p class="prose">[^<]+<\/p><\/div>/);
    // A probe that never reported says so.
    expect(body).toContain('<section id="probe-cloudtrail" class="probe none"');
    expect(body).toContain('No result yet: this probe has not reported on this cluster');
  });

  it('folds many findings of one code: the fix once, the first two shown, the rest in a <details>', async () => {
    const { body } = await get(`/clusters/${CLUSTER}`);
    const roles = body.slice(body.indexOf('<section id="probe-roles"'));
    expect(roles).toContain('<code>ASSUME_KEY_RETRIEVAL_FAILED</code> <span class="times">×7</span>');
    expect(roles).toContain('<summary>5 more</summary>');
    expect(roles.match(/<h4>Fix<\/h4>/g)).toHaveLength(2); // key retrieval (once for 7), permission
  });

  it('shows the roles table: role, service account, status, finding codes', async () => {
    const { body } = await get(`/clusters/${CLUSTER}`);
    const table = body.slice(body.indexOf('<table class="roles">'), body.indexOf('</table>'));
    const rows = table.match(/<tr class="s-\w+">/g) ?? [];
    expect(rows).toHaveLength(ROLES.length);
    for (const r of ROLES) {
      expect(table).toContain(`<code class="arn">${r.arn}</code>`);
      expect(table).toContain(`<code>${r.serviceAccount}</code>`);
    }
    expect(table).toContain('<span class="mark m-fail">FAIL</span>');
    expect(table.match(/<code class="code-chip">ASSUME_KEY_RETRIEVAL_FAILED<\/code>/g)).toHaveLength(7);
  });

  it('marks a stale probe with the age of its last report', async () => {
    const { body } = await get('/clusters/fine');
    expect(body).toContain('<section id="probe-issuer" class="probe s-ok is-stale"');
    expect(body).toContain('stale, last report 12 min ago: expected every 1 min, none for 3 periods.');
    expect(body).not.toContain('id="probe-jwks" class="probe s-ok is-stale"');
  });

  it('draws each probe a 24 h history strip: runs by status with titles, gaps where nothing ran', async () => {
    const { body } = await get('/clusters/slow');
    const issuer = body.slice(body.indexOf('<section id="probe-issuer"'), body.indexOf('<section id="probe-jwks"'));
    const strip = issuer.slice(issuer.indexOf('<svg'), issuer.indexOf('</svg>'));
    expect(strip).toContain('role="img" aria-label="issuer, last 24 h: 23 runs in 24 h: 17 ok, 5 warn, 1 fail"');
    const rects = [...strip.matchAll(/<rect class="h-(\w+)" x="([\d.]+)"[^>]*><title>([^<]*)<\/title>/g)];
    // Hourly runs of a probe scheduled every minute: each drawn for 1.5 minutes, the rest of each hour a gap.
    // ok 24..11 h and 9..7 h ago, fail 10 h ago, nothing 6 and 5 h ago, warn from 4 h ago to now.
    const expected = [...Array(14).fill('ok'), 'fail', 'ok', 'ok', 'ok', ...Array(5).fill('warn')];
    expect(rects.map((m) => m[1])).toEqual(expected);
    expect(rects[0]![3]).toBe('OK 14:10–14:12 UTC, 1 run');
    expect(rects[14]![3]).toBe('FAIL 04:10–04:12 UTC, 1 run: ISSUER_SLOW');
    expect(rects.at(-1)![3]).toBe('WARN 14:10–14:10 UTC, 1 run: ISSUER_SLOW');
    // 7 h ago, then 4 h ago: the two hours without a run are a gap.
    expect(Number(rects[18]![2]) - Number(rects[17]![2])).toBeCloseTo(125, 0);
    expect(issuer).toContain('<figcaption>23 runs in 24 h: 17 ok, 5 warn, 1 fail</figcaption>');
  });

  it('with a trailing slash the relative links still reach the root', async () => {
    const { body } = await get(`/clusters/${CLUSTER}/`);
    expect(body).toContain(`<link rel="stylesheet" href="../../assets/page.css?v=${ASSETS['page.css'].version}">`);
    expect(body).toContain('<a href="../../">fleet</a>');
  });

  it('says there is no alerting when none is configured', async () => {
    const { body } = await get(`/clusters/${CLUSTER}`);
    expect(body).toContain('No alerting configured');
  });

  it('an unknown cluster: a 404 page with the CSP, the name escaped, close names offered', async () => {
    const res = await get('/clusters/prod-eas%3Cb%3E');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(res.body).toContain('No cluster named <code>prod-eas&lt;b&gt;</code>');
    expect(res.body).toContain('Did you mean <a href="../clusters/prod-east">prod-east</a>?');
    expectSelfContained(res.body);
  });
});

describe('hostile text (cluster names, labels, finding messages, evidence) is shown as text', () => {
  it('on the fleet page', async () => {
    const { body } = await get('/');
    expect(body).not.toContain('<script>alert');
    expect(body).not.toContain('<img src=x');
    expect(body).toContain(`>${escape(HOSTILE)}</a>`);
    expect(body).toContain(`href="clusters/${encodeURIComponent(HOSTILE)}"`);
    expect(body).toContain('x&quot;y=&lt;b&gt;bold&lt;/b&gt;');
    expect(body).toContain(escape(HOSTILE_MESSAGE));
    expectSelfContained(body);
  });

  it('on its cluster page (the message, the fix, the subject and the evidence JSON)', async () => {
    const res = await get(`/clusters/${encodeURIComponent(HOSTILE)}`);
    expect(res.statusCode).toBe(200);
    const { body } = res;
    expect(body).not.toMatch(/<script>alert|<img src=x|<svg onload|<\/pre><script>/);
    expect(body).toContain(`<p class="msg">${escape(HOSTILE_MESSAGE)}</p>`);
    expect(body).toContain('Fix &lt;/p&gt;&lt;script&gt;alert(3)&lt;/script&gt; the bucket.');
    expect(body).toContain('<p class="subject">&quot;&gt;&lt;svg onload=alert(4)&gt;</p>');
    expect(body).toContain('&quot;body&quot;: &quot;&lt;/pre&gt;&lt;script&gt;alert(5)&lt;/script&gt;&quot;');
    expect(body).toContain(`<title>FAIL ${escape(HOSTILE)} · irsa-sentinel</title>`);
    expectSelfContained(body);
  });
});

describe('self-contained: nothing from elsewhere', () => {
  it.each([
    ['an inline handler', '<p><img src="x.png" onerror="alert(1)"></p>'],
    ['a style attribute', '<p style="color:red">x</p>'],
    ['an inline script', '<script>alert(1)</script>'],
    ['a script from elsewhere', '<script src="https://cdn.example/x.js"></script>'],
    ['a stylesheet from elsewhere', '<link rel="stylesheet" href="https://cdn.example/x.css">'],
    ['a protocol-relative link', '<a href="//evil.example/">x</a>'],
    ['a javascript: link', '<a href="javascript:alert(1)">x</a>'],
    ['a form posting elsewhere', '<form action="https://evil.example/"></form>'],
    ['a style element', '<style>p{}</style>'],
    ['an unescaped <', '<p>a <b c</p>'],
  ])('(the check itself rejects %s)', (_what, markup) => {
    expect(() => expectSelfContained(markup)).toThrow();
  });

  it.each(['/', '/?status=fail', `/clusters/${CLUSTER}`, '/clusters/slow', '/clusters/fine', '/clusters/quiet'])(
    '%s refers to nothing off the origin and runs no inline code',
    async (url) => {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      expectSelfContained(res.body);
    },
  );

  it('the stylesheet and the script load nothing and name no other origin', async () => {
    for (const name of ['page.css', 'page.js'] as const) {
      const res = await get(`/assets/${name}`);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(ASSETS[name].body);
      expect(res.body).not.toMatch(/https?:|\/\/[a-z]|@import|url\(|eval\(|new Function/i);
    }
  });
});

describe('the refreshed part and the assets', () => {
  it('x-page-fragment: 1 answers the main content alone, with the title and time for the refresh line', async () => {
    const res = await get(`/clusters/${CLUSTER}`, { 'x-page-fragment': '1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(res.headers.vary).toContain('x-page-fragment');
    expect(res.body).toMatch(
      /^<div class="view" data-title="FAIL prod-east · irsa-sentinel" data-generated="2026-12-02T14:10:30.000Z" data-updated="14:10:30 UTC" data-icon="data:image\/svg\+xml,[^"]+">/,
    );
    expect(res.body).not.toContain('<html');
    expect(res.body).toContain('<p class="lead">');
    const full = await get(`/clusters/${CLUSTER}`);
    expect(full.body).toContain(`<main id="content" data-refresh="15">\n${res.body}\n</main>`);
  });

  it('the page links its assets relatively with their version; they answer with ETag, cache headers and 304', async () => {
    const fleet = (await get('/')).body;
    expect(fleet).toContain(`<link rel="stylesheet" href="./assets/page.css?v=${ASSETS['page.css'].version}">`);
    expect(fleet).toContain(`<script src="./assets/page.js?v=${ASSETS['page.js'].version}" defer></script>`);
    const clusterPage = (await get(`/clusters/${CLUSTER}`)).body;
    expect(clusterPage).toContain(`href="../assets/page.css?v=${ASSETS['page.css'].version}"`);
    for (const [name, type] of [
      ['page.css', 'text/css; charset=utf-8'],
      ['page.js', 'text/javascript; charset=utf-8'],
    ] as const) {
      const res = await get(`/assets/${name}?v=${ASSETS[name].version}`);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers.etag).toBe(ASSETS[name].etag);
      expect(res.headers['cache-control']).toBe('public, max-age=86400');
      const again = await get(`/assets/${name}`, { 'if-none-match': ASSETS[name].etag });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
    }
  });
});

describe('without schedules nothing is called stale', () => {
  it('the API built without them (never stale), and with a disabled schedule', async () => {
    for (const schedules of [undefined, { ...EVERY_MINUTE, issuer: { cron: '*/1 * * * *', enabled: false } }]) {
      const bare = await buildApi({
        store,
        clusters: () => CLUSTERS,
        now: () => NOW,
        access: OPEN_ACCESS,
        ...(schedules && { schedules: () => schedules }),
      });
      const fleet = (await bare.inject({ url: '/' })).body;
      expect(fleet).not.toContain('is-stale');
      expect(/class="count m-stale[^"]*"[^>]*><span class="n">(\d+)</.exec(fleet)?.[1]).toBe('0');
      expect((await bare.inject({ url: '/clusters/fine' })).body).not.toContain('stale, last report');
      await bare.close();
    }
  });
});

describe('the alert state, when alerting is configured', () => {
  const alerts: PageAlertsView = {
    firing: () => [
      {
        cluster: CLUSTER,
        code: 'PUBLIC_ACCESS_BLOCKED',
        severity: 'critical',
        summary: 'STS cut off <b>',
        since: ago(5 * MIN),
        escalatedAt: ago(2 * MIN),
      },
      // Escalated, then a warning again: no "critical since".
      {
        cluster: CLUSTER,
        code: 'ISSUER_TOO_SLOW',
        severity: 'warning',
        summary: 'eased',
        since: ago(9 * MIN),
        escalatedAt: ago(8 * MIN),
      },
      { cluster: 'slow', code: 'ISSUER_TOO_SLOW', severity: 'warning', summary: 'slow', since: ago(MIN) },
    ],
    silences: () => [
      {
        id: 's1',
        matchers: [{ name: 'cluster', value: CLUSTER, isRegex: false }],
        endsAt: '2026-12-02T16:00:00Z',
        comment: 'rotating keys',
      },
      { id: 's2', matchers: [{ name: 'cluster', value: 'slow', isRegex: false }], endsAt: '2026-12-02T16:00:00Z' },
      { id: 's3', matchers: { code: 'ISSUER_TOO_SLOW' }, endsAt: new Date('2026-12-02T15:10:30Z') },
    ],
    activeMaintenance: () => [
      { name: 'platform upgrade', endsAt: '2026-12-02T18:10:30Z', selector: { team: 'platform' } },
      { name: 'dev only', endsAt: '2026-12-02T18:10:30Z', selector: { env: 'dev' } },
    ],
  };

  async function withAlerts(view: PageAlertsView): Promise<FastifyInstance> {
    const bare = Fastify();
    registerAuth(bare, createApiAuth([]), OPEN_ACCESS);
    await bare.register(pageRoutes, { store, clusters: () => CLUSTERS, now: () => NOW, alerts: view });
    return bare;
  }

  it('lists what fires for the cluster, its maintenance windows and the silences that may apply', async () => {
    const bare = await withAlerts(alerts);
    const { body } = await bare.inject({ url: `/clusters/${CLUSTER}` });
    const section = body.slice(body.indexOf('<section id="alerts"'), body.indexOf('<div class="probes">'));
    expect(section).toContain(
      '<span class="sev">CRITICAL</span> <code>PUBLIC_ACCESS_BLOCKED</code> STS cut off &lt;b&gt;',
    );
    expect(section).toContain('firing since <time datetime="2026-12-02T14:05:30.000Z"');
    expect(section).toContain(', critical since <time datetime="2026-12-02T14:08:30.000Z"');
    expect(section).toMatch(
      /ISSUER_TOO_SLOW<\/code> eased <span class="muted">firing since <time[^>]*>[^<]*<\/time><\/span>/,
    );
    expect(section).not.toContain('ISSUER_TOO_SLOW</code> slow');
    expect(section).toContain('<strong>platform upgrade</strong>: alerts held back until');
    expect(section).toContain('(in 4 h)');
    expect(section).not.toContain('dev only');
    expect(section).toContain('<code>cluster=prod-east</code> until');
    expect(section).toContain(': rotating keys');
    expect(section).toContain('<code>code=ISSUER_TOO_SLOW</code>');
    expect(section).not.toContain('silence s2');
    await bare.close();
  });

  it('a view that throws does not break the page', async () => {
    const bare = await withAlerts({
      ...alerts,
      firing: () => {
        throw new Error('alert store closed');
      },
    });
    const res = await bare.inject({ url: `/clusters/${CLUSTER}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('The alert state could not be read: alert store closed');
    await bare.close();
  });
});

describe('performance', () => {
  it('renders the fleet page of 1,000 clusters well under 100 ms (no per-cluster query)', async () => {
    const big = openSqliteStore({ dataDir: '', inMemory: true });
    const fleet = Array.from({ length: 1000 }, (_, i) =>
      cluster(`c${String(i).padStart(4, '0')}`, { env: i % 3 ? 'prod' : 'dev', team: `t${i % 7}` }),
    );
    for (const c of fleet)
      for (const p of PROBE_NAMES)
        big.saveResult(run(c.name, p, c.name.endsWith('7') && p === 'issuer' ? [slow(3000)] : []));
    const history = big.history.bind(big);
    let historyCalls = 0;
    big.history = (...args) => {
      historyCalls++;
      return history(...args);
    };
    const deps = { store: big, clusters: () => fleet, now: () => NOW, schedules: () => EVERY_MINUTE };
    const views = fleetViews(deps, NOW);
    const times: number[] = [];
    let size = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const filter = filterOf({});
      size = page(fleetView(views, filter, NOW), { base: './', before: filterForm(views, filter) }).toString().length;
      times.push(performance.now() - t0);
    }
    // About 20-50 ms on the 2-core build machine; the bound catches a slower algorithm, not a busy machine.
    expect(Math.min(...times)).toBeLessThan(400);
    expect(size).toBeLessThan(1_200_000);
    const bare = await buildApi(deps);
    const res = await bare.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(rowNames(res.body)).toHaveLength(1000);
    expect(historyCalls).toBe(0);
    await bare.close();
    big.close();
  });
});
