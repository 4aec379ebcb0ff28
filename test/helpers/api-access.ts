// Access settings for API tests. Tests about what a route shows build the API with every surface public (OPEN_ACCESS);
// test/api/access.test.ts is where who may read what is tested.
import { SURFACES } from '../../src/core/access.ts';
import type { AccessPolicy } from '../../src/core/access.ts';

/** Every read surface public (server.access with each key `public`). */
export const OPEN_ACCESS: AccessPolicy = Object.fromEntries(SURFACES.map((s) => [s, 'public'])) as Record<
  (typeof SURFACES)[number],
  'public'
>;

/** The same as config YAML, for tests that load a config file (under `server:`). */
export const OPEN_ACCESS_YAML = `  access: { ${SURFACES.map((s) => `${s}: public`).join(', ')} }\n`;
