// Issue 12's status page acceptance, in a real browser: the lab-backed demo agent (config/demo.yaml's three clusters,
// vpce-locked broken by alice's VPC-endpoint bucket policy) runs in-process and serves its API on a free port; headless
// Chromium (Debian's `chromium`, installed by .ci/run) loads the fleet page and vpce-locked's page. Screenshots go to
// test-output/page/. The failing cluster's diagnosis and the stale marker must be in the rendered DOM, the page must
// log no console error and make no request off the agent's origin, fit a phone's width, follow the dark preference,
// and refresh itself without losing the scroll position or an opened <details>.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.ts';
import type { Agent } from '../../src/agent.ts';
import { loadConfig } from '../../src/config/load.ts';
import { tempDir, writeFiles } from '../config/temp-config.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Chromium's own background traffic (updates, sync, QUIC probes) is refused by the build machines' closed network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OUT = join(import.meta.dirname, '..', '..', 'test-output', 'page');
const FAILING = 'vpce-locked';
const STALE_AGE_MIN = 12;

let agent: Agent;
let app: FastifyInstance;
let origin: string;
let context: BrowserContext;
let profile: string;

/** demo.yaml's fleet with every schedule once a minute: a probe is stale after 3 min without a report. */
function demoConfig() {
  const demo = readFileSync(join(import.meta.dirname, '..', '..', 'config', 'demo.yaml'), 'utf8');
  const fleet = demo.slice(demo.indexOf('  fleet:'), demo.indexOf('\n# Often'));
  const minute = "    cron: '*/1 * * * *'";
  const yaml = [
    'lab:',
    '  port: 0',
    `  dataDir: ${tempDir()}`,
    fleet.trimEnd(),
    'schedules:',
    ...['issuer', 'jwks', 'bucket', 'cloudtrail', 'roles'].flatMap((p) => [`  ${p}:`, minute]),
    'server:',
    '  port: 0',
    // As config/demo.yaml: bound to loopback, the cluster pages (details) are public.
    '  access: { details: public }',
    'storage:',
    '  inMemory: true',
    '',
  ].join('\n');
  return loadConfig(join(writeFiles({ 'demo.yaml': yaml }), 'demo.yaml'));
}

interface Watched {
  page: Page;
  errors: string[];
  requests: string[];
}

/** A new tab that records console errors, uncaught exceptions and every request it makes. */
async function newPage(viewport = { width: 1280, height: 900 }): Promise<Watched> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('request', (r) => requests.push(r.url()));
  return { page, errors, requests };
}

function expectClean(w: Watched): void {
  expect(w.errors).toEqual([]);
  const offOrigin = w.requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'));
  expect(offOrigin).toEqual([]);
  expect(w.requests.length).toBeGreaterThan(0);
}

// The tests' code that runs in the page, as expressions: this project's TypeScript has no DOM types.
const inPage = <T>(page: Page, expression: string): Promise<T> => page.evaluate<T>(expression);

const widths = (page: Page) =>
  inPage<{ scrollWidth: number; bodyWidth: number; viewport: number }>(
    page,
    '({ scrollWidth: document.documentElement.scrollWidth, bodyWidth: document.body.scrollWidth, viewport: window.innerWidth })',
  );
const MARKER = "document.querySelector('#content .view').getAttribute('data-marker')";

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the status page test needs Debian's chromium package ` +
        '(apt-get install chromium; .ci/run installs it) or CHROMIUM_PATH pointing at a Chromium binary',
    );
  mkdirSync(OUT, { recursive: true });
  agent = await createAgent(demoConfig(), pino({ level: 'silent' }));
  // vpce-locked's issuer probe last reported 12 minutes ago (it ran before alice's change; nothing since): stale, its
  // ok the last one reported. Every other (cluster, probe) runs once now.
  const old = new Date(Date.now() - STALE_AGE_MIN * 60_000 - 20_000).toISOString();
  agent.store.saveResult({
    cluster: FAILING,
    probe: 'issuer',
    status: 'ok',
    startedAt: old,
    durationMs: 180,
    findings: [],
  });
  await Promise.all([
    agent.scheduler.runOnce({ clusters: ['healthy', 'slow-issuer'] }),
    agent.scheduler.runOnce({ clusters: [FAILING], probes: ['jwks', 'bucket', 'cloudtrail', 'roles'] }),
  ]);
  app = await agent.api();
  origin = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  profile = mkdtempSync(join(tmpdir(), 'irsa-page-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await app?.close();
  await agent?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const diagnosisOf = (name: string) => agent.store.diagnosis(name)!;

describe('status page in headless Chromium', () => {
  it('the demo is what the page should show: vpce-locked fails on the bucket policy', () => {
    expect(diagnosisOf(FAILING)).toMatchObject({ code: 'BUCKET_POLICY_DENIES_STS', status: 'fail' });
    expect(diagnosisOf(FAILING).summary).toMatch(/alice/);
  });

  it('fleet: the failing cluster first with its diagnosis, the stale marker, counts; clean', async () => {
    const w = await newPage();
    const res = await w.page.goto(`${origin}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
    await w.page.screenshot({ path: join(OUT, 'fleet.png'), fullPage: true });

    const rows = w.page.locator('.fleet > li');
    expect(await rows.count()).toBe(3);
    const first = rows.first();
    expect(await first.locator('a.name').textContent()).toBe(FAILING);
    expect(await first.locator('.c-summary').textContent()).toContain(diagnosisOf(FAILING).summary);
    expect(await first.locator('.c-summary').getAttribute('title')).toBe(diagnosisOf(FAILING).summary);
    expect(await first.locator('.c-mark').textContent()).toMatch(/FAIL[\s\S]*STALE/);
    expect(await first.locator('.badge.is-stale').textContent()).toContain('issuer');
    expect(await w.page.locator('.count.m-stale .n').textContent()).toBe('1');
    expect(await w.page.locator('.count.m-fail .n').textContent()).toBe('1');
    expect(await w.page.locator('.count.all .n').textContent()).toBe('3');
    // The script is running: it says so in the refresh line.
    await expect.poll(() => w.page.locator('#refresh-state').textContent()).toContain('auto-refresh every 15 s');
    expectClean(w);
    await w.page.close();
  });

  it('fleet filter form: status and label by plain GET', async () => {
    const w = await newPage();
    await w.page.goto(`${origin}/`);
    await w.page.locator('input[name="status"][value="ok"]').check();
    await Promise.all([w.page.waitForURL(/status=ok/), w.page.locator('.filters button[type="submit"]').click()]);
    const names = await w.page.locator('.fleet a.name').allTextContents();
    expect(names).toEqual(['healthy']);
    await w.page.goto(`${origin}/?status=stale`);
    expect(await w.page.locator('.fleet a.name').allTextContents()).toEqual([FAILING]);
    expectClean(w);
    await w.page.close();
  });

  it('cluster page: diagnosis with its fix, stale probe with its age, findings, roles table, history strips', async () => {
    const w = await newPage();
    await w.page.goto(`${origin}/`);
    await Promise.all([
      w.page.waitForURL(/\/clusters\/vpce-locked$/),
      w.page.locator(`a.name:text-is("${FAILING}")`).click(),
    ]);
    await w.page.screenshot({ path: join(OUT, 'cluster.png'), fullPage: true });
    const d = diagnosisOf(FAILING);
    expect(await w.page.locator('#diagnosis .lead').textContent()).toBe(d.summary);
    const causes = w.page.locator('#diagnosis .cause');
    expect(await causes.count()).toBe(d.causes.length);
    expect(await causes.first().locator('code').first().textContent()).toBe('BUCKET_POLICY_DENIES_STS');
    expect(await causes.first().locator('.fix').textContent()).toContain(d.causes[0]!.remediation!.slice(0, 60));
    // The stale marker, with its age.
    const stale = w.page.locator('#probe-issuer .stale-line');
    expect(await stale.textContent()).toContain(`stale, last report ${STALE_AGE_MIN} min ago`);
    expect(await w.page.locator('h1 .m-stale').count()).toBe(1);
    // Findings with remediation and evidence.
    expect(await w.page.locator('#probe-bucket .finding').count()).toBeGreaterThan(0);
    expect(await w.page.locator('#probe-bucket .finding .fix').count()).toBeGreaterThan(0);
    expect(await w.page.locator('#probe-roles table.roles tbody tr').count()).toBeGreaterThan(0);
    expect(await w.page.locator('#probe-roles table.roles tbody').textContent()).toContain(
      'ASSUME_KEY_RETRIEVAL_FAILED',
    );
    // One strip per probe that reported, each with at least one run drawn.
    expect(await w.page.locator('svg.strip').count()).toBe(5);
    expect(
      await w.page.locator('#probe-bucket svg.strip rect.h-fail, #probe-bucket svg.strip rect.h-warn').count(),
    ).toBeGreaterThan(0);
    expect(await w.page.locator('#alerts').textContent()).toContain('No alerting configured');
    expectClean(w);
    await w.page.close();
  });

  it('unknown cluster: a 404 page, clean', async () => {
    const w = await newPage();
    const res = await w.page.goto(`${origin}/clusters/nope`);
    expect(res?.status()).toBe(404);
    expect(await w.page.locator('h1').textContent()).toContain('No cluster named nope');
    // The browser logs the 404 of the document itself; nothing else.
    w.errors = w.errors.filter((e) => !/status of 404/.test(e));
    expectClean(w);
    await w.page.close();
  });

  it('a phone (390x844): one column, nothing wider than the screen', async () => {
    const w = await newPage({ width: 390, height: 844 });
    for (const [path, shot] of [
      ['/', 'fleet-phone.png'],
      [`/clusters/${FAILING}`, 'cluster-phone.png'],
    ] as const) {
      await w.page.goto(`${origin}${path}`);
      await w.page.screenshot({ path: join(OUT, shot), fullPage: true });
      const size = await widths(w.page);
      expect(size.scrollWidth, `${path} is wider than the phone`).toBeLessThanOrEqual(size.viewport);
      expect(size.bodyWidth, `${path}'s body is wider than the phone`).toBeLessThanOrEqual(size.viewport);
    }
    expectClean(w);
    await w.page.close();
  });

  it('dark and light by the browser preference', async () => {
    const w = await newPage();
    const colours = async (scheme: 'light' | 'dark') => {
      await w.page.emulateMedia({ colorScheme: scheme });
      await w.page.goto(`${origin}/clusters/${FAILING}`);
      return inPage<{ bg: string; fg: string }>(
        w.page,
        '({ bg: getComputedStyle(document.body).backgroundColor, fg: getComputedStyle(document.body).color })',
      );
    };
    const light = await colours('light');
    const dark = await colours('dark');
    await w.page.screenshot({ path: join(OUT, 'cluster-dark.png'), fullPage: false });
    expect(dark.bg).not.toBe(light.bg);
    expect(dark.fg).not.toBe(light.fg);
    expectClean(w);
    await w.page.close();
  });

  it('refreshes itself every 15 s without losing the scroll position or an opened <details>', async () => {
    const w = await newPage({ width: 1000, height: 600 });
    await w.page.clock.install();
    await w.page.goto(`${origin}/clusters/${FAILING}`);
    const details = w.page.locator('#probe-bucket details.evidence').first();
    await details.locator('summary').click();
    await inPage(w.page, "document.querySelector('#content .view').setAttribute('data-marker', 'before')");
    expect(await inPage(w.page, MARKER)).toBe('before');
    await inPage(w.page, 'window.scrollTo(0, 700)');
    const before = await inPage<number>(w.page, 'window.scrollY');
    expect(before).toBe(700);
    const refreshed = w.page.waitForResponse((r) => r.request().headers()['x-page-fragment'] === '1');
    await w.page.clock.runFor(16_000);
    const res = await refreshed;
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toMatch(/^text\/html/);
    await expect.poll(() => inPage(w.page, MARKER)).toBeNull();
    expect(await inPage<number>(w.page, 'window.scrollY')).toBe(before);
    expect(await w.page.locator('#probe-bucket details.evidence').first().getAttribute('open')).not.toBeNull();
    expect(await w.page.locator('#diagnosis .lead').textContent()).toBe(diagnosisOf(FAILING).summary);
    expectClean(w);
    await w.page.close();
  });

  it('pauses while the tab is hidden, refreshes when it shows again, and says when a refresh failed', async () => {
    const w = await newPage();
    await w.page.clock.install();
    await w.page.goto(`${origin}/`);
    const fragments = () => w.requests.filter((u) => u === `${origin}/`).length - 1; // the page itself is the first
    const setVisibility = (state: 'hidden' | 'visible') =>
      inPage(
        w.page,
        `Object.defineProperty(document, 'visibilityState', { value: '${state}', configurable: true }); ` +
          "document.dispatchEvent(new Event('visibilitychange'))",
      );
    await setVisibility('hidden');
    expect(await w.page.locator('#refresh-state').textContent()).toBe('auto-refresh paused while the tab is hidden');
    await w.page.clock.runFor(60_000);
    expect(fragments()).toBe(0);
    const back = w.page.waitForResponse((r) => r.request().headers()['x-page-fragment'] === '1');
    await setVisibility('visible');
    await back;
    expect(fragments()).toBe(1);
    // The agent answers 503 once: the older data stays, the line says so, the next tick tries again.
    await w.page.route(`${origin}/`, (route) =>
      route.request().headers()['x-page-fragment'] === '1'
        ? route.fulfill({ status: 503, body: 'down' })
        : route.continue(),
    );
    await w.page.clock.runFor(16_000);
    await expect.poll(() => w.page.locator('#refresh-state').textContent()).toContain('refresh failed (HTTP 503)');
    expect(await w.page.locator('#refresh-state').getAttribute('class')).toContain('failed');
    expect(await w.page.locator('.fleet > li').count()).toBe(3);
    await w.page.unroute(`${origin}/`);
    await w.page.clock.runFor(16_000);
    await expect.poll(() => w.page.locator('#refresh-state').textContent()).toBe('auto-refresh every 15 s');
    // The browser logs the 503 it was made to get; nothing else.
    w.errors = w.errors.filter((e) => !/status of 503/.test(e));
    expectClean(w);
    await w.page.close();
  });
});
