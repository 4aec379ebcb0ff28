// The status page: GET / (the fleet), GET /clusters/:name (one cluster), and their two assets. Server-rendered HTML
// (src/api/page/), nothing from elsewhere, a strict Content-Security-Policy. A request with `x-page-fragment: 1`
// gets the refreshed part alone (what the page's script asks for every 15 s).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ProbeName } from '../../core/model.ts';
import { requireAccess } from '../auth.ts';
import { ASSETS } from '../page/assets.ts';
import type { AssetName } from '../page/assets.ts';
import { clusterPageView, notFoundView } from '../page/cluster.ts';
import type { ProbeHistory } from '../page/cluster.ts';
import { filterForm, fleetView } from '../page/fleet.ts';
import { HISTORY_WINDOW_MS, runsFor } from '../page/history-svg.ts';
import { markup } from '../page/markup.ts';
import { fragment, page, PAGE_CSP } from '../page/layout.ts';
import type { PageOptions, View } from '../page/layout.ts';
import type { PageDeps } from '../page/types.ts';
import { hideAccountsUnlessPublic } from '../public-text.ts';
import { clusterView, filterOf, fleetViews, periodsOf } from '../page/view.ts';
import type { FleetQuery } from '../page/view.ts';

const fleetQuery = {
  type: 'object',
  properties: {
    status: { type: 'array', items: { type: 'string', maxLength: 16 }, maxItems: 8 },
    label: { type: 'array', items: { type: 'string', maxLength: 512 }, maxItems: 16 },
    q: { type: 'string', maxLength: 256 },
  },
} as const;

const pageParams = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } as const;

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PAGE_CSP,
  'cache-control': 'no-store',
  vary: 'x-page-fragment',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

const wantsFragment = (req: FastifyRequest): boolean => req.headers['x-page-fragment'] === '1';

function sendView(req: FastifyRequest, reply: FastifyReply, view: View, opts: PageOptions, code = 200) {
  const body = wantsFragment(req) ? fragment(view) : page(view, opts);
  return reply.code(code).headers(PAGE_HEADERS).send(body.toString());
}

export const pageRoutes: FastifyPluginAsync<PageDeps> = async (app, deps) => {
  // The fleet page is the `page` surface (ARN accounts hidden while the details need a token); a cluster's page, with
  // every finding's evidence and the roles, is `details`.
  const fleetPage = {
    onRequest: requireAccess('page'),
    onSend: hideAccountsUnlessPublic,
    schema: { querystring: fleetQuery },
  };
  const clusterPage = { onRequest: requireAccess('details'), schema: { params: pageParams } };

  app.get<{ Querystring: FleetQuery }>('/', fleetPage, async (req, reply) => {
    const now = deps.now();
    const views = fleetViews(deps, now);
    const filter = filterOf(req.query);
    return sendView(req, reply, fleetView(views, filter, now), { base: './', before: filterForm(views, filter) });
  });

  app.get<{ Params: { name: string } }>('/clusters/:name', clusterPage, async (req, reply) => {
    const now = deps.now();
    const clusters = deps.clusters();
    const cluster = clusters.find((c) => c.name === req.params.name);
    // Links are relative (the page may sit under a proxy's path prefix); /clusters/x/ is one level deeper.
    const base = (req.url.split('?')[0] ?? '').endsWith('/') ? '../../' : '../';
    const crumb = (name: string) =>
      markup`<nav class="crumbs" aria-label="breadcrumb"><a href="${base}">fleet</a> / <span>${name}</span></nav>`;
    if (!cluster) {
      const view = notFoundView(
        req.params.name,
        clusters.map((c) => c.name),
        now,
        base,
      );
      return sendView(req, reply, view, { base, breadcrumb: crumb(req.params.name) }, 404);
    }
    const periods = periodsOf(deps);
    const view = clusterView(
      cluster,
      deps.store.latest(cluster.name),
      deps.store.diagnosis(cluster.name),
      periods,
      now,
    );
    const windowStart = now.getTime() - HISTORY_WINDOW_MS;
    const history: Partial<Record<ProbeName, ProbeHistory>> = {};
    for (const p of view.probes) {
      const limit = runsFor(periods[p.probe]);
      const runs = deps.store.history(cluster.name, { probe: p.probe, limit });
      const oldest = runs.at(-1);
      history[p.probe] = {
        runs,
        capped: runs.length >= limit && oldest !== undefined && Date.parse(oldest.startedAt) > windowStart,
      };
    }
    const pageView = clusterPageView({ view, history, now, ...(deps.alerts && { alerts: deps.alerts }) });
    return sendView(req, reply, pageView, { base, breadcrumb: crumb(cluster.name) });
  });

  const assetRoute = (name: AssetName) =>
    app.get(`/assets/${name}`, async (req, reply) => {
      const asset = ASSETS[name];
      reply.headers({
        etag: asset.etag,
        'cache-control': 'public, max-age=86400',
        'x-content-type-options': 'nosniff',
      });
      if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.type(asset.contentType).send(asset.body);
    });
  assetRoute('page.css');
  assetRoute('page.js');
};
