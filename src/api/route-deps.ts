// What a route plugin gets as options: the agent's dependencies and the API's own cached view of the fleet.
import type { ApiDeps } from './deps.ts';
import type { FleetView } from './fleet-view.ts';

export interface RouteDeps extends ApiDeps {
  view: FleetView;
}
