// The jwks probe's settings (`probes.jwks` in the config file), with their defaults.
import { z } from 'zod';

export const jwksSettings = z
  .strictObject({
    allowPrivateAddresses: z
      .boolean()
      .default(false)
      .describe(
        "Fetch a jwks_uri on another host than the issuer's even when it resolves to a loopback or private address (split-horizon DNS, a test bed). Instance metadata and link-local addresses are never fetched; the issuer's own origin always is. Default false.",
      ),
  })
  .prefault({})
  .describe('The jwks probe.');

export type JwksProbeSettings = z.output<typeof jwksSettings>;
