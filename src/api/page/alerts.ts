// The alert and silence state of one cluster, when alerting is configured: what fires for it, the maintenance
// windows and the silences that may hold its alerts back. Shapes the alerting code owns are read loosely (matchers
// and selectors of any form are shown as text) and a failing view never breaks the page.
import type { ClusterConfig } from '../../core/cluster.ts';
import { ago, timestamp } from './format.ts';
import { markup } from './markup.ts';
import type { Html } from './markup.ts';
import type { PageAlertsView, TimeLike } from './types.ts';

/** ISO text of a time the alerting code hands over; undefined when it is not one. */
export function isoOf(t: TimeLike): string | undefined {
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** "12 min ago" (or "in 2 h"), the full time in its title. */
const when = (t: TimeLike, now: Date): Html => {
  const iso = isoOf(t);
  return iso ? markup`<time datetime="${iso}" title="${timestamp(iso)}">${ago(iso, now)}</time>` : markup`${String(t)}`;
};

/** An end time: "2026-12-02 16:00:00 UTC (in 2 h)". */
const until = (t: TimeLike, now: Date): Html => {
  const iso = isoOf(t);
  return iso ? markup`<time datetime="${iso}">${timestamp(iso)}</time> (${ago(iso, now)})` : markup`${String(t)}`;
};

interface Matcher {
  name?: string;
  op: string;
  value?: string;
  text: string;
}

/** Matchers as text: `name=value`, `name=~regex`, `name!=value`, whatever shape they come in. */
export function matchersOf(matchers: unknown): Matcher[] {
  const one = (m: unknown): Matcher => {
    if (typeof m === 'string') return { op: '', text: m };
    if (m && typeof m === 'object') {
      const o = m as Record<string, unknown>;
      if (typeof o.name === 'string' && typeof o.value === 'string') {
        const regex = o.isRegex === true;
        const equal = o.isEqual !== false;
        const op = equal ? (regex ? '=~' : '=') : regex ? '!~' : '!=';
        return { name: o.name, op, value: o.value, text: `${o.name}${op}${o.value}` };
      }
    }
    return { op: '', text: JSON.stringify(m) ?? String(m) };
  };
  if (Array.isArray(matchers)) return matchers.map(one);
  if (matchers && typeof matchers === 'object')
    return Object.entries(matchers as Record<string, unknown>).map(([k, v]) =>
      typeof v === 'string' ? { name: k, op: '=', value: v, text: `${k}=${v}` } : one({ [k]: v }),
    );
  return matchers === undefined || matchers === null ? [] : [one(matchers)];
}

/** False only when an equality matcher on `cluster` names another cluster (regexes are not evaluated here). */
export function silenceMayApply(matchers: unknown, cluster: string): boolean {
  return !matchersOf(matchers).some((m) => m.name === 'cluster' && m.op === '=' && m.value !== cluster);
}

/** A maintenance selector (labels; `cluster`/`name` for the name) holds for the cluster; absent: every cluster. */
export function selectorHolds(selector: unknown, cluster: ClusterConfig): boolean {
  if (selector === undefined || selector === null) return true;
  if (typeof selector !== 'object' || Array.isArray(selector)) return true; // a shape not known here: shown
  return Object.entries(selector as Record<string, unknown>).every(([k, v]) => {
    if (typeof v !== 'string') return true;
    if (k === 'cluster' || k === 'name') return v === cluster.name;
    return cluster.labels[k] === v;
  });
}

export function alertsSection(alerts: PageAlertsView | undefined, cluster: ClusterConfig, now: Date): Html {
  if (!alerts)
    return markup`<p class="muted">No alerting configured: firing alerts, silences and maintenance windows show here when the agent routes alerts.</p>`;
  try {
    const firing = alerts.firing().filter((a) => a.cluster === cluster.name);
    const maintenance = alerts.activeMaintenance(now).filter((m) => selectorHolds(m.selector, cluster));
    const silences = alerts.silences().filter((s) => silenceMayApply(s.matchers, cluster.name));
    const firingList =
      firing.length === 0
        ? markup`<p>No alert firing for this cluster.</p>`
        : markup`<ul class="alerts">${firing.map(
            (a) =>
              markup`<li class="alert sev-${a.severity}"><span class="sev">${a.severity.toUpperCase()}</span> <code>${a.code}</code> ${a.summary} <span class="muted">firing since ${when(a.since, now)}${a.escalatedAt !== undefined && a.severity === 'critical' ? markup`, critical since ${when(a.escalatedAt, now)}` : ''}</span></li>`,
          )}</ul>`;
    const maintenanceList =
      maintenance.length === 0
        ? ''
        : markup`<h3>Maintenance</h3><ul class="alerts">${maintenance.map(
            (m) =>
              markup`<li><strong>${m.name}</strong>: alerts held back until ${until(m.endsAt, now)}${
                m.selector === undefined
                  ? ''
                  : markup` <span class="muted">(${matchersOf(m.selector)
                      .map((x) => x.text)
                      .join(', ')})</span>`
              }</li>`,
          )}</ul>`;
    const silenceList =
      silences.length === 0
        ? markup`<p class="muted">No silence applies.</p>`
        : markup`<h3>Silences that may apply</h3><ul class="alerts">${silences.map(
            (s) =>
              markup`<li><code>${
                matchersOf(s.matchers)
                  .map((x) => x.text)
                  .join(', ') || 'every alert'
              }</code> until ${until(s.endsAt, now)}${s.comment ? markup`: ${s.comment}` : ''} <span class="muted">(silence ${s.id})</span></li>`,
          )}</ul>`;
    return markup`${firingList}${maintenanceList}${silenceList}`;
  } catch (err) {
    return markup`<p class="warn-text">The alert state could not be read: ${(err as Error).message}</p>`;
  }
}
