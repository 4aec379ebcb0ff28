// The status page's pieces on their own: the escaping helper, the formatters, staleness and filters, the history
// strip's segments, and how alert matchers and maintenance selectors are read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoOf, matchersOf, selectorHolds, silenceMayApply } from '../../src/api/page/alerts.ts';
import { ago, clock, duration, labelPairs, runDuration, timestamp } from '../../src/api/page/format.ts';
import { HISTORY_MAX_RUNS, historyStrip, runsFor, segments } from '../../src/api/page/history-svg.ts';
import { escapeHtml, markup, pathSegment, queryString, trusted } from '../../src/api/page/markup.ts';
import { filterOf, matches, periodsOf, probeState, worstFirst, clusterView } from '../../src/api/page/view.ts';
import { clusterDefaults } from '../../src/config/defaults.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import type { ProbeName, ProbeResult, Status } from '../../src/core/model.ts';

const NOW = new Date('2026-12-02T14:10:30.000Z');
const at = (msAgo: number) => new Date(NOW.getTime() - msAgo).toISOString();

describe('escapeHtml', () => {
  it('turns the five HTML specials and the backtick into entities', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
  });

  it('leaves plain text, newlines, tabs and non-ASCII (paired surrogates included) as they are', () => {
    expect(escapeHtml('prod-east\tline\nnext ✓ 🚀 ünïcode')).toBe('prod-east\tline\nnext ✓ 🚀 ünïcode');
  });

  it('replaces control characters and lone surrogates, which HTML cannot carry', () => {
    expect(escapeHtml('a\u0000b\u0007c\u001bd\u007fe')).toBe('a\ufffdb\ufffdc\ufffdd\ufffde');
    expect(escapeHtml('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz');
    expect(escapeHtml('\ud83d\ude80')).toBe('🚀');
  });

  it('whatever the input, the output has no markup character left and reads back to it', () => {
    const unescape = (s: string) =>
      s
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
        .replaceAll('&quot;', '"')
        .replaceAll('&#39;', "'")
        .replaceAll('&#96;', '`')
        .replaceAll('&amp;', '&');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = escapeHtml(s);
        expect(out).not.toMatch(/[<>"'`]/);
        expect(out).not.toMatch(/&(?!(?:lt|gt|quot|amp|#39|#96);)/);
        const clean = s.replace(
          // eslint-disable-next-line no-control-regex
          /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
          '\ufffd',
        );
        expect(unescape(out)).toBe(clean);
      }),
      { numRuns: 500 },
    );
  });
});

describe('markup``', () => {
  it('escapes every value, keeps Html as it is (no double escaping), joins lists, drops null/undefined/false', () => {
    const name = '<b>&';
    const inner = markup`<i>${name}</i>`;
    expect(
      markup`<p title="${name}">${inner}${[markup`<br>`, '<x>']}${null}${undefined}${false}${0}${true}</p>`.toString(),
    ).toBe('<p title="&lt;b&gt;&amp;"><i>&lt;b&gt;&amp;</i><br>&lt;x&gt;0true</p>');
  });

  it('shows an object as escaped JSON, and trusted() is the only way to pass markup', () => {
    expect(markup`${{ a: '<' }}`.toString()).toBe('{&quot;a&quot;:&quot;&lt;&quot;}');
    expect(markup`${trusted('<hr>')}`.toString()).toBe('<hr>');
  });

  it('pathSegment keeps a name inside one path segment; queryString encodes pairs', () => {
    expect(pathSegment('../x?y#z/ä')).toBe('..%2Fx%3Fy%23z%2F%C3%A4');
    expect(pathSegment('javascript:alert(1)')).toBe('javascript%3Aalert(1)');
    expect(queryString([])).toBe('');
    expect(
      queryString([
        ['label', 'env=prod'],
        ['label', 'a&b'],
      ]),
    ).toBe('?label=env%3Dprod&label=a%26b');
  });
});

describe('formatters', () => {
  it('duration and ago: coarse, in the reader’s words', () => {
    expect(
      [0, 999, 59_000, 60_000, 12 * 60_000 + 20_000, 3_600_000, 3_900_000, 86_400_000, 90_000_000].map(duration),
    ).toEqual(['0 s', '1 s', '59 s', '1 min', '12 min', '1 h', '1 h 5 min', '1 d', '1 d 1 h']);
    expect(ago(at(12 * 60_000), NOW)).toBe('12 min ago');
    expect(ago(at(500), NOW)).toBe('just now');
    expect(ago(at(-90_000), NOW)).toBe('in 1 min');
    expect(ago('not a time', NOW)).toBe('at an unknown time');
  });

  it('times in UTC, saying so', () => {
    expect(clock(NOW)).toBe('14:10:30 UTC');
    expect(timestamp('2026-12-02T04:05:06.789Z')).toBe('2026-12-02 04:05:06 UTC');
    expect(timestamp('garbage')).toBe('garbage');
    expect([12.4, 999, 1000, 3140, 12_600].map(runDuration)).toEqual(['12 ms', '999 ms', '1.0 s', '3.1 s', '13 s']);
    expect(labelPairs({ team: 'a', env: 'prod' })).toEqual(['env=prod', 'team=a']);
  });
});

const cluster = (name: string, labels: Record<string, string> = {}): ClusterConfig => ({
  name,
  issuer: `https://${name}.example`,
  region: 'us-east-1',
  labels,
  ...clusterDefaults(),
});
const result = (probe: ProbeName, status: Status, startedAt: string, codes: string[] = []): ProbeResult => ({
  cluster: 'c',
  probe,
  status,
  startedAt,
  durationMs: 10,
  findings: codes.map((code) => ({
    code,
    severity: status === 'ok' ? 'info' : status,
    message: code,
    remediation: '',
  })),
});

describe('staleness', () => {
  const schedules = {
    issuer: { cron: '*/1 * * * *' },
    jwks: { cron: '*/15 * * * * *' },
    bucket: { cron: '0 9 * * 1-5' },
    cloudtrail: { cron: '*/5 * * * *', enabled: false },
    roles: { cron: '*/15 * * * *' },
  };

  it('periods come from the schedules; none for a disabled one or a cron of no simple period', () => {
    expect(periodsOf({ schedules: () => schedules })).toEqual({ issuer: 60_000, jwks: 15_000, roles: 900_000 });
    expect(periodsOf({})).toEqual({});
  });

  it('a probe is stale after more than 3 periods without a report, not at exactly 3', () => {
    const periods = periodsOf({ schedules: () => schedules });
    expect(probeState(result('issuer', 'ok', at(180_000)), periods, NOW).stale).toBe(false);
    expect(probeState(result('issuer', 'ok', at(180_001)), periods, NOW)).toMatchObject({
      stale: true,
      ageMs: 180_001,
      periodMs: 60_000,
    });
    expect(probeState(result('bucket', 'ok', at(30 * 86_400_000)), periods, NOW).stale).toBe(false);
    expect(probeState(result('cloudtrail', 'ok', at(30 * 86_400_000)), periods, NOW).stale).toBe(false);
  });

  it('a cluster is stale when one probe is; its status stays the last reported', () => {
    const periods = periodsOf({ schedules: () => schedules });
    const v = clusterView(
      cluster('c'),
      [result('issuer', 'fail', at(600_000), ['ISSUER_HTTP_ERROR']), result('jwks', 'ok', at(1_000))],
      undefined,
      periods,
      NOW,
    );
    expect(v).toMatchObject({ status: 'fail', stale: true, lastRun: at(1_000) });
    expect(v.diagnosis.code).toBe('NOT_CHECKED');
    expect(v.probes.map((p) => [p.probe, p.stale])).toEqual([
      ['issuer', true],
      ['jwks', false],
    ]);
  });
});

describe('order and filters', () => {
  const view = (name: string, status: Status, stale = false, labels: Record<string, string> = {}) => ({
    ...clusterView(cluster(name, labels), [], undefined, {}, NOW),
    status,
    stale,
  });

  it('worst first: fail, warn, unknown, ok; stale first within a status; then by name', () => {
    const views = [
      view('a', 'ok'),
      view('b', 'unknown'),
      view('c', 'fail'),
      view('d', 'warn'),
      view('e', 'fail', true),
      view('f', 'ok', true),
    ];
    expect(views.sort(worstFirst).map((v) => v.cluster.name)).toEqual(['e', 'c', 'd', 'b', 'f', 'a']);
  });

  it('the query: empty values and unknown statuses ignored, labels comma-separated and trimmed, no duplicates', () => {
    expect(
      filterOf({ status: ['', 'fail', 'nope', 'fail', 'stale'], label: [' env=prod , team', ''], q: '  x ' }),
    ).toEqual({
      statuses: ['fail', 'stale'],
      labels: ['env=prod', 'team'],
      name: 'x',
    });
    expect(filterOf({})).toEqual({ statuses: [], labels: [], name: '' });
  });

  it('a label filter is key=value or a key; every one must hold; the name filter ignores case', () => {
    const v = view('Prod-East', 'fail', false, { env: 'prod', 'a=b': 'c' });
    const f = (q: Parameters<typeof filterOf>[0]) => matches(v, filterOf(q));
    expect(f({ label: ['env=prod'] })).toBe(true);
    expect(f({ label: ['env = prod'] })).toBe(true);
    expect(f({ label: ['env=dev'] })).toBe(false);
    expect(f({ label: ['env'] })).toBe(true);
    expect(f({ label: ['team'] })).toBe(false);
    expect(f({ label: ['env=prod,team'] })).toBe(false);
    expect(f({ label: ['constructor'] })).toBe(false);
    expect(f({ q: 'east' })).toBe(true);
    expect(f({ status: ['warn', 'fail'] })).toBe(true);
    expect(f({ status: ['stale'] })).toBe(false);
  });
});

describe('history strip', () => {
  const minute = 60_000;

  it('contiguous runs of one status are one segment; a status change starts another; a late run leaves a gap', () => {
    const runs = [
      result('issuer', 'ok', at(10 * minute)),
      result('issuer', 'ok', at(9 * minute)),
      result('issuer', 'fail', at(8 * minute), ['ISSUER_HTTP_ERROR']),
      result('issuer', 'fail', at(7 * minute), ['JWKS_HTTP_ERROR']),
      // nothing for 5 minutes
      result('issuer', 'ok', at(2 * minute)),
      result('issuer', 'ok', at(minute)),
    ].reverse(); // newest first, as the store answers
    const segs = segments(runs, NOW, minute);
    expect(segs.map((s) => [s.status, s.runs, [...s.codes]])).toEqual([
      ['ok', 2, []],
      ['fail', 2, ['ISSUER_HTTP_ERROR', 'JWKS_HTTP_ERROR']],
      ['ok', 2, []],
    ]);
    expect(segs[1]!.to - Date.parse(at(7 * minute))).toBe(1.5 * minute); // drawn 1.5 periods, then the gap
    expect(segs[2]!.to).toBe(NOW.getTime()); // the latest run reaches now
  });

  it('without a known period the runs’ usual interval is used; runs older than the window are cut at its start', () => {
    const runs = [result('jwks', 'ok', at(25 * 3_600_000)), result('jwks', 'warn', at(23 * 3_600_000))];
    const segs = segments(runs, NOW);
    expect(segs.map((s) => s.status)).toEqual(['ok', 'warn']);
    expect(segs[0]!.from).toBe(NOW.getTime() - 24 * 3_600_000);
  });

  it('reads a day of runs at the schedule’s period, at most the store’s cap', () => {
    expect(runsFor(900_000)).toBe(101);
    expect(runsFor(60_000)).toBe(HISTORY_MAX_RUNS);
    expect(runsFor(undefined)).toBe(HISTORY_MAX_RUNS);
  });

  it('renders an SVG with a titled rect per segment, an account of the runs, and says when runs were left out', () => {
    const runs = [
      result('roles', 'fail', at(minute), ['ASSUME_ACCESS_DENIED']),
      result('roles', 'ok', at(20 * minute)),
    ];
    const strip = historyStrip('roles', runs, { now: NOW, periodMs: 15 * minute, capped: true }).toString();
    expect(strip).toContain('<rect class="h-fail"');
    expect(strip).toContain('<title>FAIL 14:09–14:10 UTC, 1 run: ASSUME_ACCESS_DENIED</title>');
    expect(strip).toContain(
      '<figcaption>2 runs in 24 h: 1 ok, 1 fail (the newest 2 drawn; earlier runs of the window are left out)</figcaption>',
    );
    expect(strip).toContain('<rect class="h-capped"');
    const empty = historyStrip('roles', [], { now: NOW, capped: false }).toString();
    expect(empty).toContain('no runs in the last 24 h');
    expect(empty).not.toContain('<rect class="h-');
  });
});

describe('alert state shapes', () => {
  it('matchers of any shape read as text', () => {
    expect(
      matchersOf([
        { name: 'cluster', value: 'a', isRegex: false },
        { name: 'code', value: 'BUCKET.*', isRegex: true },
        { name: 'env', value: 'dev', isEqual: false },
        'severity=critical',
        42,
      ]).map((m) => m.text),
    ).toEqual(['cluster=a', 'code=~BUCKET.*', 'env!=dev', 'severity=critical', '42']);
    expect(matchersOf({ cluster: 'a', n: 1 }).map((m) => m.text)).toEqual(['cluster=a', '{"n":1}']);
    expect(matchersOf(undefined)).toEqual([]);
  });

  it('a silence names another cluster only through an equality matcher on cluster', () => {
    expect(silenceMayApply([{ name: 'cluster', value: 'b' }], 'a')).toBe(false);
    expect(silenceMayApply([{ name: 'cluster', value: 'a' }], 'a')).toBe(true);
    expect(silenceMayApply([{ name: 'cluster', value: 'b.*', isRegex: true }], 'a')).toBe(true);
    expect(silenceMayApply({ code: 'X' }, 'a')).toBe(true);
  });

  it('a maintenance selector holds on labels and the name; absent or unknown shapes hold', () => {
    const c = cluster('a', { env: 'prod' });
    expect(selectorHolds(undefined, c)).toBe(true);
    expect(selectorHolds({ env: 'prod' }, c)).toBe(true);
    expect(selectorHolds({ env: 'dev' }, c)).toBe(false);
    expect(selectorHolds({ cluster: 'a' }, c)).toBe(true);
    expect(selectorHolds({ name: 'b' }, c)).toBe(false);
    expect(selectorHolds('env=prod', c)).toBe(true);
  });

  it('times may come as ISO text, epoch ms or a Date', () => {
    expect([NOW.toISOString(), NOW.getTime(), NOW].map(isoOf)).toEqual(Array(3).fill(NOW.toISOString()));
    expect(isoOf('soon')).toBeUndefined();
  });
});
