// Routing: an ordered list of routes, each matching cluster names, cluster labels, severities and codes, naming the
// sinks an alert goes to. The first route that matches decides, unless it says `continue`, in which case the next
// ones are tried too (as in Alertmanager); an alert no route matches goes to the default sinks.
import type { Alert, AlertSeverity } from './types.ts';

export interface RouteMatch {
  /** Cluster names (any of). */
  clusters?: string[];
  /** Cluster labels that must all be equal. */
  labels?: Record<string, string>;
  severity?: AlertSeverity[];
  codes?: string[];
}

export interface Route {
  match: RouteMatch;
  sinks: string[];
  /** Go on to the next routes after this one matched. */
  continue: boolean;
}

export interface Routing {
  routes: readonly Route[];
  /** Where an alert no route matches goes. */
  defaultSinks: readonly string[];
}

type Routable = Pick<Alert, 'cluster' | 'code' | 'severity'> & { content: { labels: Record<string, string> } };

export function routeMatches(match: RouteMatch, alert: Routable): boolean {
  if (match.clusters && !match.clusters.includes(alert.cluster)) return false;
  if (match.severity && !match.severity.includes(alert.severity)) return false;
  if (match.codes && !match.codes.includes(alert.code)) return false;
  for (const [k, v] of Object.entries(match.labels ?? {})) if (alert.content.labels[k] !== v) return false;
  return true;
}

/** The sinks an alert goes to, each once, in route order. */
export function route(alert: Routable, routing: Routing): string[] {
  const out = new Set<string>();
  let matched = false;
  for (const r of routing.routes) {
    if (!routeMatches(r.match, alert)) continue;
    matched = true;
    for (const s of r.sinks) out.add(s);
    if (!r.continue) break;
  }
  if (!matched) for (const s of routing.defaultSinks) out.add(s);
  return [...out];
}
