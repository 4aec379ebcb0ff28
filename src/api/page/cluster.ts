// GET /clusters/:name: one cluster in full. The diagnosis first (every cause with its fix and evidence chain, then
// the links that could not be decided), the alert state, then per probe its last run (time, age, duration, trace
// id, stale marker), its 24 h history strip and its findings with remediation and evidence; the roles table under
// the roles probe.
import { PROBE_NAMES } from '../../core/model.ts';
import type { Finding, ProbeName, ProbeResult, Severity } from '../../core/model.ts';
import type { ClusterConfig } from '../../core/cluster.ts';
import type { DiagnosisCause } from '../../diagnosis/diagnose.ts';
import type { Evidence } from '../../diagnosis/evidence.ts';
import type { RoleObservation } from '../../../probes/roles/index.ts';
import { alertsSection } from './alerts.ts';
import { ago, duration, labelPairs, markWord, plural, runDuration, statusMark, timestamp } from './format.ts';
import { historyStrip } from './history-svg.ts';
import { markup, pathSegment } from './markup.ts';
import type { Html } from './markup.ts';
import type { View } from './layout.ts';
import type { PageAlertsView } from './types.ts';
import { STALE_PERIODS } from './view.ts';
import type { ClusterView, ProbeState } from './view.ts';

/** A probe's runs over the history window (newest first) and whether the read hit its cap. */
export interface ProbeHistory {
  runs: readonly ProbeResult[];
  capped: boolean;
}

export interface ClusterPageInput {
  view: ClusterView;
  history: Partial<Record<ProbeName, ProbeHistory>>;
  alerts?: PageAlertsView;
  now: Date;
}

/** A code's findings are folded after the first FOLD_SHOWN when there are more than FOLD_ABOVE. */
const FOLD_ABOVE = 3;
const FOLD_SHOWN = 2;

const SEVERITY_ORDER: readonly Severity[] = ['fail', 'warn', 'unknown', 'info'];
/** A finding's severity as a mark (info has its own colour and symbol). */
const severityMark = (s: Severity): Html => markup`<span class="mark m-${s}">${s.toUpperCase()}</span>`;

/** Text that may hold paragraphs (a remediation): kept as lines by the stylesheet. */
const prose = (text: string | undefined, cls = 'prose'): Html =>
  text ? markup`<p class="${cls}">${text}</p>` : markup``;

const evidenceLine = (e: Evidence): Html =>
  markup`<li><a href="#probe-${e.probe}">${e.probe}</a> ${severityMark(e.severity)} <code>${e.code}</code> ${e.message}${e.subject ? markup` <span class="subject">(${e.subject})</span>` : ''}</li>`;

function cause(c: DiagnosisCause, i: number, root: boolean): Html {
  return markup`<li class="cause s-${c.status}">
<h3>${statusMark(c.status)} <code>${c.code}</code>${root ? markup` <span class="root">root cause</span>` : ''}</h3>
${root ? '' : prose(c.summary, 'summary')}
${c.remediation ? markup`<div class="fix"><h4>Fix</h4>${prose(c.remediation)}</div>` : ''}
${c.evidence.length > 0 ? markup`<details class="chain" data-key="cause-${i}-${c.code}"><summary>evidence chain (${c.evidence.length})</summary><ul class="evidence-list">${c.evidence.map(evidenceLine)}</ul></details>` : ''}
</li>`;
}

function diagnosisSection(v: ClusterView): Html {
  const d = v.diagnosis;
  const causes =
    d.causes.length > 0
      ? markup`<ol class="causes">${d.causes.map((c, i) => cause(c, i, i === 0))}</ol>`
      : markup`<div class="cause s-${d.status}"><h3>${statusMark(d.status)} <code>${d.code}</code></h3>${prose(d.summary, 'summary')}${d.remediation ? markup`<div class="fix"><h4>Fix</h4>${prose(d.remediation)}</div>` : ''}</div>`;
  const undecided =
    d.undecided.length > 0
      ? markup`<h3>Not decided (${d.undecided.length})</h3><p class="muted">Links of the chain that could not be checked and that no cause above explains: they may be fine or broken.</p><ul class="evidence-list undecided">${d.undecided.map(evidenceLine)}</ul>`
      : '';
  const intro =
    d.causes.length > 1
      ? markup`<p class="muted">${plural(d.causes.length, 'cause')}, the root cause first; each with its fix.</p>`
      : '';
  return markup`<section id="diagnosis" class="diagnosis s-${d.status}" aria-labelledby="diagnosis-h">
<h2 id="diagnosis-h">Diagnosis</h2>
<p class="lead">${d.summary}</p>
${intro}${causes}${undecided}
</section>`;
}

/** Findings of one result grouped by code, worst first; the fix once per code when it is the same for all. */
function findingsList(p: ProbeState): Html {
  const findings = [...p.result.findings].sort(
    (a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity),
  );
  if (findings.length === 0) return markup`<p class="muted">No findings: every check of this probe passed.</p>`;
  const groups = Map.groupBy(findings, (f) => `${f.severity}\u0000${f.code}`);
  let n = 0;
  const item = (f: Finding, withFix: boolean): Html => {
    const key = `${p.probe}-${f.code}-${f.subject ?? n++}`;
    return markup`<li>
${prose(f.message, 'msg')}
${f.subject ? markup`<p class="subject">${f.subject}</p>` : ''}
${withFix ? markup`<div class="fix"><h4>Fix</h4>${prose(f.remediation)}</div>` : ''}
${f.evidence && Object.keys(f.evidence).length > 0 ? markup`<details class="evidence" data-key="${key}"><summary>evidence</summary><pre>${JSON.stringify(f.evidence, null, 2)}</pre></details>` : ''}
</li>`;
  };
  /** Many findings of one code (seven roles failing alike): the first few, the rest folded. */
  const items = (list: Finding[], sameFix: boolean, key: string): Html => {
    const shown = list.length > FOLD_ABOVE ? list.slice(0, FOLD_SHOWN) : list;
    const rest = list.slice(shown.length);
    return markup`<ul class="f-items">${shown.map((f) => item(f, !sameFix))}</ul>${rest.length > 0 ? markup`<details class="more" data-key="more-${key}"><summary>${rest.length} more</summary><ul class="f-items">${rest.map((f) => item(f, !sameFix))}</ul></details>` : ''}`;
  };
  return markup`<ul class="findings">${[...groups.values()].map((list) => {
    const first = list[0]!;
    const sameFix = list.every((f) => f.remediation === first.remediation);
    return markup`<li class="finding sev-${first.severity}">
<h4 class="f-head">${severityMark(first.severity)} <code>${first.code}</code>${list.length > 1 ? markup` <span class="times">×${list.length}</span>` : ''}</h4>
${items(list, sameFix, `${p.probe}-${first.code}`)}
${sameFix && first.remediation ? markup`<div class="fix"><h4>Fix</h4>${prose(first.remediation)}</div>` : ''}
</li>`;
  })}</ul>`;
}

const roleName = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1) || arn;

function rolesTable(p: ProbeState): Html {
  const roles = (p.result.observations as { roles?: RoleObservation[] } | undefined)?.roles;
  if (!Array.isArray(roles) || roles.length === 0) return markup`<p class="muted">No roles were tested.</p>`;
  const rank = { fail: 0, warn: 1, unknown: 2, ok: 3 } as const;
  const sorted = [...roles].sort((a, b) => (rank[a.status] ?? 4) - (rank[b.status] ?? 4));
  return markup`<h3>Roles (${roles.length})</h3>
<div class="table-wrap"><table class="roles">
<thead><tr><th scope="col">Status</th><th scope="col">Role</th><th scope="col">Service account</th><th scope="col">Findings</th></tr></thead>
<tbody>${sorted.map(
    (r) =>
      markup`<tr class="s-${r.status}"><td>${statusMark(r.status)}</td><td><span class="role-name">${roleName(r.arn)}</span><br><code class="arn">${r.arn}</code></td><td><code>${r.serviceAccount}</code>${r.audience ? markup`<br><span class="muted">audience ${r.audience}</span>` : ''}</td><td>${r.findings.length > 0 ? r.findings.map((c) => markup`<code class="code-chip">${c}</code> `) : markup`<span class="muted">none</span>`}</td></tr>`,
  )}</tbody>
</table></div>`;
}

function staleLine(p: ProbeState, now: Date): Html {
  if (!p.stale) return markup``;
  return markup`<p class="stale-line">${statusMark('stale', { small: true, explain: true })} stale, last report ${ago(p.result.startedAt, now)}: expected every ${duration(p.periodMs ?? 0)}, none for ${STALE_PERIODS} periods. The status below is the last one reported, not the current one.</p>`;
}

function probeSection(
  cluster: ClusterConfig,
  probe: ProbeName,
  p: ProbeState | undefined,
  h: ProbeHistory | undefined,
  now: Date,
): Html {
  if (!p) {
    const configured = cluster.probes === undefined || cluster.probes.includes(probe);
    return markup`<section id="probe-${probe}" class="probe none" aria-labelledby="probe-${probe}-h">
<h2 id="probe-${probe}-h"><span class="mark m-none">NO RESULT</span> ${probe}</h2>
<p class="muted">${configured ? 'No result yet: this probe has not reported on this cluster (or does not apply to it).' : 'Not run for this cluster (its probes list leaves it out).'}</p>
</section>`;
  }
  const r = p.result;
  const facts = [
    markup`last run <time datetime="${r.startedAt}">${timestamp(r.startedAt)}</time> (${ago(r.startedAt, now)})`,
    markup`took ${runDuration(r.durationMs)}`,
    ...(p.periodMs !== undefined ? [markup`every ${duration(p.periodMs)}`] : []),
    ...(r.traceId ? [markup`trace <code class="trace">${r.traceId}</code>`] : []),
  ];
  return markup`<section id="probe-${probe}" class="probe s-${r.status}${p.stale ? ' is-stale' : ''}" aria-labelledby="probe-${probe}-h">
<h2 id="probe-${probe}-h">${statusMark(r.status)} ${probe}${p.stale ? markup` ${statusMark('stale', { small: true, explain: true })}` : ''}</h2>
<p class="run">${facts.map((f, i) => markup`${i > 0 ? ' · ' : ''}${f}`)}</p>
${staleLine(p, now)}
${h ? historyStrip(probe, h.runs, { now, capped: h.capped, ...(p.periodMs !== undefined && { periodMs: p.periodMs }) }) : ''}
${findingsList(p)}
${probe === 'roles' ? rolesTable(p) : ''}
</section>`;
}

export function clusterPageView(input: ClusterPageInput): View {
  const { view: v, now } = input;
  const c = v.cluster;
  const labels = labelPairs(c.labels);
  const jump = [
    markup`<a href="#diagnosis">diagnosis</a>`,
    markup`<a href="#alerts">alerts</a>`,
    ...PROBE_NAMES.map((p) => {
      const st = v.probes.find((x) => x.probe === p);
      return markup`<a href="#probe-${p}" class="${st ? `m-${st.result.status}` : 'none'}">${p}</a>`;
    }),
  ];
  const body = markup`<section class="head">
<h1>${statusMark(v.status, { explain: true })} ${c.name}${v.stale ? markup` ${statusMark('stale', { small: true, explain: true })}` : ''}</h1>
<dl class="meta">
<dt>issuer</dt><dd><code>${c.issuer}</code></dd>
${c.region ? markup`<dt>region</dt><dd>${c.region}</dd>` : ''}
${labels.length > 0 ? markup`<dt>labels</dt><dd>${labels.map((l) => markup`<span class="label">${l}</span> `)}</dd>` : ''}
<dt>last report</dt><dd>${v.lastRun ? markup`<time datetime="${v.lastRun}">${timestamp(v.lastRun)}</time> (${ago(v.lastRun, now)})` : 'none yet'}</dd>
</dl>
<nav class="jump" aria-label="sections">${jump.map((j, i) => markup`${i > 0 ? ' · ' : ''}${j}`)}</nav>
</section>
${diagnosisSection(v)}
<section id="alerts" class="alerts-state" aria-labelledby="alerts-h">
<h2 id="alerts-h">Alerts and silences</h2>
${alertsSection(input.alerts, c, now)}
</section>
<div class="probes">
${PROBE_NAMES.map((p) =>
  probeSection(
    c,
    p,
    v.probes.find((x) => x.probe === p),
    input.history[p],
    now,
  ),
)}
</div>`;
  return { title: `${markWord(v.status)} ${c.name} · irsa-sentinel`, status: v.status, generatedAt: now, body };
}

/** The page for a name no cluster has. */
export function notFoundView(name: string, known: readonly string[], now: Date, base = '../'): View {
  const close = known.filter((k) => k.toLowerCase().includes(name.toLowerCase().slice(0, 4))).slice(0, 5);
  return {
    title: `No cluster ${name} · irsa-sentinel`,
    status: 'unknown',
    generatedAt: now,
    body: markup`<section class="head"><h1>No cluster named <code>${name}</code></h1>
<p>This agent does not monitor a cluster of that name.${close.length > 0 ? markup` Did you mean ${close.map((k, i) => markup`${i > 0 ? ', ' : ''}<a href="${base}clusters/${pathSegment(k)}">${k}</a>`)}?` : ''} <a href="${base}">All clusters</a>.</p></section>`,
  };
}
