// What the jwks probe keeps of a run: the kids on both sides, digests of the documents (change detection), the IAM
// OIDC provider's client IDs and thumbprints.
import { z } from 'zod';

export const jwksObservations = z.strictObject({
  signingKids: z.array(z.string()),
  nextKid: z.string().optional(),
  publishedKids: z.array(z.string()).optional(),
  discoveryIssuer: z.string().optional(),
  discoverySha256: z.string().optional(),
  jwksSha256: z.string().optional(),
  /** Why the published JWKS could not be read. */
  jwksError: z.string().optional(),
  providerArn: z.string().optional(),
  clientIds: z.array(z.string()).optional(),
  thumbprints: z.array(z.string()).optional(),
  /** Why the IAM provider was not checked. */
  iam: z.string().optional(),
});

export type JwksObservations = z.output<typeof jwksObservations>;
