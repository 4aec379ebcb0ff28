// GET /: the fleet at a glance. Counts by status first (each a link that filters), then every cluster in one line,
// worst first: status mark, name and labels, the diagnosis summary (one line, the whole text in its title), a badge
// per probe, the age of the newest report. Filtered by status, label and name through a plain GET form.
import { worst } from '../../core/model.ts';
import { ago, agoMs, labelPairs, markMeaning, markWord, plural, statusMark } from './format.ts';
import type { Mark } from './format.ts';
import { markup, pathSegment, queryString } from './markup.ts';
import type { Html } from './markup.ts';
import type { View } from './layout.ts';
import { countsOf, isFiltered, matches } from './view.ts';
import type { ClusterView, Counts, FleetFilter, ProbeState } from './view.ts';

const COUNT_ORDER: readonly Mark[] = ['fail', 'warn', 'unknown', 'ok', 'stale'];

/** A probe's badge: its name, coloured by status with the status symbol (stylesheet); dashed and marked when stale. */
function badge(p: ProbeState): Html {
  const r = p.result;
  const when = p.stale ? `stale: last report ${agoMs(p.ageMs)}` : agoMs(p.ageMs);
  return markup`<span class="badge m-${r.status}${p.stale ? ' is-stale' : ''}" title="${p.probe} ${markWord(r.status)}, ${when}">${p.probe}</span>`;
}

function labelLinks(labels: Readonly<Record<string, string>>): Html {
  const pairs = labelPairs(labels);
  if (pairs.length === 0) return markup``;
  return markup`<span class="labels">${pairs.map((l) => markup`<a class="label" href="./${queryString([['label', l]])}">${l}</a>`)}</span>`;
}

function row(v: ClusterView, now: Date): Html {
  const { cluster, diagnosis } = v;
  const stale = v.probes.filter((p) => p.stale);
  const staleNote =
    stale.length > 0
      ? markup` <span class="mark m-stale small" title="not reporting: ${stale.map((p) => p.probe).join(', ')}">STALE</span>`
      : '';
  return markup`<li class="cluster s-${v.status}${v.stale ? ' is-stale' : ''}">
<span class="c-mark">${statusMark(v.status)}${staleNote}</span>
<span class="c-name"><a class="name" href="clusters/${pathSegment(cluster.name)}">${cluster.name}</a>${labelLinks(cluster.labels)}</span>
<span class="c-summary" title="${diagnosis.summary}"><span class="code">${diagnosis.code}</span> ${diagnosis.summary}</span>
<span class="c-probes">${v.probes.map(badge)}</span>
<span class="c-age">${v.lastRun ? markup`<time datetime="${v.lastRun}">${ago(v.lastRun, now)}</time>` : 'no report yet'}</span>
</li>`;
}

function counts(c: Counts): Html {
  const tile = (m: Mark) =>
    markup`<li><a class="count m-${m}${c[m] === 0 ? ' zero' : ''}" href="./?status=${m}" title="${markMeaning(m)}"><span class="n">${c[m]}</span> <span class="w">${markWord(m)}</span></a></li>`;
  return markup`<ul class="counts">${COUNT_ORDER.map(tile)}<li><a class="count all" href="./" title="every cluster"><span class="n">${c.total}</span> <span class="w">ALL</span></a></li></ul>`;
}

function describeFilter(f: FleetFilter): string {
  return [
    ...(f.statuses.length > 0 ? [`status ${f.statuses.join(' or ')}`] : []),
    ...f.labels.map((l) => `label ${l}`),
    ...(f.name !== '' ? [`name contains "${f.name}"`] : []),
  ].join(', ');
}

/** The fleet's refreshed part. */
export function fleetView(views: readonly ClusterView[], filter: FleetFilter, now: Date): View {
  const c = countsOf(views);
  const shown = views.filter((v) => matches(v, filter));
  const status = views.length === 0 ? 'unknown' : worst(views.map((v) => v.status));
  const staleNote =
    c.stale > 0
      ? markup`<p class="note stale-note">${statusMark('stale', { small: true })} ${plural(c.stale, 'cluster')} with a probe that has not reported for 3 of its periods (also counted under their last status).</p>`
      : '';
  const filterNote = isFiltered(filter)
    ? markup`<p class="note">Showing ${shown.length} of ${plural(views.length, 'cluster')} (${describeFilter(filter)}) · <a href="./">show all</a></p>`
    : '';
  const list =
    shown.length > 0
      ? markup`<ul class="fleet">${shown.map((v) => row(v, now))}</ul>`
      : markup`<p class="empty">${views.length === 0 ? 'No clusters are configured.' : 'No cluster matches the filter.'}</p>`;
  const body = markup`<section class="overview" aria-label="fleet overview">
<h1>${statusMark(status, { explain: true })} Fleet: ${plural(c.total, 'cluster')}</h1>
${counts(c)}
${staleNote}${filterNote}
</section>
${list}`;
  return {
    title: `${markWord(status)} · ${c.fail} failing · irsa-sentinel`,
    status,
    generatedAt: now,
    body,
  };
}

/** The filter form: plain GET, works without the script; kept outside the refreshed part. */
export function filterForm(views: readonly ClusterView[], filter: FleetFilter): Html {
  const known = [...new Set(views.flatMap((v) => labelPairs(v.cluster.labels)))].sort();
  const box = (m: Mark) =>
    markup`<label class="check m-${m}"><input type="checkbox" name="status" value="${m}"${filter.statuses.includes(m) ? markup` checked` : ''}> ${markWord(m).toLowerCase()}</label>`;
  return markup`<form class="filters" method="get" action="./" role="search" aria-label="filter clusters">
<fieldset class="statuses"><legend>Status</legend>${COUNT_ORDER.map(box)}</fieldset>
<label class="field">Label <input name="label" list="known-labels" placeholder="env=prod, team" value="${filter.labels.join(', ')}" autocomplete="off"></label>
<datalist id="known-labels">${known.map((l) => markup`<option value="${l}"></option>`)}</datalist>
<label class="field">Name <input name="q" type="search" placeholder="part of a name" value="${filter.name}" autocomplete="off"></label>
<span class="actions"><button type="submit">Filter</button> <a href="./">clear</a></span>
</form>`;
}
