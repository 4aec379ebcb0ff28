// Where the CloudTrail scanner keeps its streams (src/clients/trail.ts TrailMemory), in the store's database, and the
// pruning of streams no scan has kept up (an account or a region no longer watched).
import type { TrailMemory } from '../clients/trail.ts';

export interface TrailStore extends TrailMemory {
  /** Drops the streams whose every kept item has left its window by `now`. Returns how many. */
  prune(now: Date): number;
}
