// The page shell every status page shares: head (viewport, colour schemes, the CSS and the script, both from this
// server), the top bar, the refresh line, the main element that the script refreshes, the footer. Links are relative
// (`base` is './' at the root, '../' under /clusters/) so the page also works behind a proxy under a path prefix.
import type { Status } from '../../core/model.ts';
import { ASSETS } from './assets.ts';
import { clock } from './format.ts';
import { markup } from './markup.ts';
import type { Html } from './markup.ts';
import { REFRESH_SECONDS } from './script.ts';

/** The Content-Security-Policy of every page: nothing from elsewhere, no inline script or style. */
export const PAGE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "script-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const FAVICON_COLOUR: Record<Status, string> = { ok: '2e7d32', warn: 'c77700', unknown: '6b6b80', fail: 'c62828' };

/** A round icon in the colour of the status (a data: URL: no request). */
const favicon = (status: Status): string =>
  `data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23${FAVICON_COLOUR[status]}'/%3E%3C/svg%3E`;

export interface View {
  /** The document title (also what the script sets after a refresh). */
  title: string;
  /** The worst status shown: the colour of the tab's icon. */
  status: Status;
  generatedAt: Date;
  /** The refreshed part: what `x-page-fragment: 1` returns alone. */
  body: Html;
}

/** The refreshed part of a page: its root element carries the title and the time for the refresh line. */
export const fragment = (view: View): Html =>
  markup`<div class="view" data-title="${view.title}" data-generated="${view.generatedAt.toISOString()}" data-updated="${clock(view.generatedAt)}" data-icon="${favicon(view.status)}">${view.body}</div>`;

export interface PageOptions {
  /** Relative path to the root: './' at /, '../' under /clusters/ ('../../' for /clusters/x/). */
  base: string;
  /** Before the refreshed part, kept while it refreshes (the filter form: what is typed there is not lost). */
  before?: Html;
  breadcrumb?: Html;
}

export function page(view: View, opts: PageOptions): Html {
  const { base } = opts;
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${view.title}</title>
<link rel="icon" href="${favicon(view.status)}">
<link rel="stylesheet" href="${base}assets/page.css?v=${ASSETS['page.css'].version}">
<script src="${base}assets/page.js?v=${ASSETS['page.js'].version}" defer></script>
</head>
<body>
<header class="top">
<a class="brand" href="${base}" title="the fleet">irsa-sentinel</a>
${opts.breadcrumb ?? ''}
<p class="refresh">updated <time id="updated" datetime="${view.generatedAt.toISOString()}">${clock(view.generatedAt)}</time> · <a href="" class="reload">reload</a> <span id="refresh-state" class="refresh-state"></span></p>
</header>
${opts.before ?? ''}
<main id="content" data-refresh="${REFRESH_SECONDS}">
${fragment(view)}
</main>
<footer class="foot">
<p>Statuses rank ok &lt; unknown &lt; warn &lt; fail; unknown means a link could not be checked, never that it works. A probe is stale when it has not reported for 3 of its periods. The same data as JSON: <a href="${base}api/v1/status">api/v1/status</a>.</p>
</footer>
</body>
</html>
`;
}
