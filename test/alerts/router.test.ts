import { describe, expect, it } from 'vitest';
import { route } from '../../src/alerts/router.ts';
import type { Route } from '../../src/alerts/router.ts';

const alert = (
  cluster: string,
  code: string,
  severity: 'critical' | 'warning',
  labels: Record<string, string> = {},
) => ({
  cluster,
  code,
  severity,
  content: { labels },
});

const r = (match: Route['match'], sinks: string[], cont = false): Route => ({ match, sinks, continue: cont });

describe('routing', () => {
  const routes: Route[] = [
    r({ labels: { env: 'prod' }, severity: ['critical'] }, ['pagerduty'], true),
    r({ labels: { env: 'prod' } }, ['slack-prod']),
    r({ clusters: ['lab-1'], codes: ['STALE'] }, ['ops-webhook']),
    r({ severity: ['warning'] }, ['slack-warnings']),
  ];
  const routing = { routes, defaultSinks: ['fallback'] };

  it('the first matching route decides; continue goes on to the next ones', () => {
    expect(route(alert('p', 'BUCKET_POLICY_DENIES_STS', 'critical', { env: 'prod' }), routing)).toEqual([
      'pagerduty',
      'slack-prod',
    ]);
    expect(route(alert('p', 'ISSUER_TOO_SLOW', 'warning', { env: 'prod' }), routing)).toEqual(['slack-prod']);
  });

  it('matches cluster names, codes and severities; warnings go their own way', () => {
    expect(route(alert('lab-1', 'STALE', 'warning'), routing)).toEqual(['ops-webhook']);
    expect(route(alert('lab-2', 'STALE', 'warning'), routing)).toEqual(['slack-warnings']);
  });

  it('an alert no route takes goes to the default sinks, or nowhere', () => {
    expect(route(alert('dev', 'AUDIENCE_MISSING', 'critical', { env: 'dev' }), routing)).toEqual(['fallback']);
    expect(route(alert('dev', 'AUDIENCE_MISSING', 'critical'), { routes, defaultSinks: [] })).toEqual([]);
  });

  it('names each sink once', () => {
    const twice = { routes: [r({}, ['a', 'b'], true), r({}, ['b', 'c'])], defaultSinks: [] };
    expect(route(alert('x', 'Y', 'critical'), twice)).toEqual(['a', 'b', 'c']);
  });
});
