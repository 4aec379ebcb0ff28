// What the status page reads besides the API's dependencies: the alert state, when alerting is configured. A minimal
// local view of it (what the page renders), so that the page does not depend on the alerting code: any richer
// AlertsView with these members fits.
import type { ApiDeps } from '../deps.ts';

/** A time as the alerting code may hand it over. */
export type TimeLike = string | number | Date;

export interface PageFiringAlert {
  cluster: string;
  code: string;
  severity: string;
  summary: string;
  since: TimeLike;
  /** When it became critical while firing as a warning. */
  escalatedAt?: TimeLike;
}

export interface PageSilence {
  id: string;
  /** Label matchers of the silence; any shape (a list of {name, value, isRegex?}, a map, text) is shown. */
  matchers: unknown;
  endsAt: TimeLike;
  comment?: string;
}

export interface PageMaintenance {
  name: string;
  endsAt: TimeLike;
  /** Which clusters it covers (labels); absent: all. */
  selector?: unknown;
}

export interface PageAlertsView {
  firing(): readonly PageFiringAlert[];
  silences(): readonly PageSilence[];
  activeMaintenance(now: Date): readonly PageMaintenance[];
}

/** The page's dependencies: the API's, and the alert state when alerting is configured. */
export interface PageDeps extends Omit<ApiDeps, 'alerts'> {
  alerts?: PageAlertsView;
}
