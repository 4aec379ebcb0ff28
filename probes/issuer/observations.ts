// What the issuer probe keeps of a run: latencies, the certificate's end, the published issuer, jwks_uri and kids.
import { z } from 'zod';

export const issuerObservations = z.strictObject({
  discoveryLatencyMs: z.number().optional(),
  tlsValidTo: z.string().optional(),
  discoveryIssuer: z.string().optional(),
  jwksUri: z.string().optional(),
  jwksLatencyMs: z.number().optional(),
  kids: z.array(z.string()).optional(),
});

export type IssuerObservations = z.output<typeof issuerObservations>;
