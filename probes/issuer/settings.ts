// The issuer probe's settings (`probes.issuer` in the config file), with their defaults.
import { z } from 'zod';

const ms = z.number().int().min(1);

export const issuerSettings = z
  .strictObject({
    warnLatencyMs: ms.default(2000).describe('Above this the issuer is slow (warn). Default 2000.'),
    failLatencyMs: ms.default(5000).describe('Above this STS gives up (fail). Default 5000.'),
    connectTimeoutMs: ms.default(5000).describe('TCP+TLS connect timeout. Default 5000.'),
    maxBytes: ms.default(1_048_576).describe('Response size cap in bytes. Default 1048576 (1 MiB).'),
    tlsExpiryWarnDays: z
      .number()
      .int()
      .min(0)
      .default(14)
      .describe('Warn when the TLS certificate expires within this many days. Default 14.'),
    allowPrivateAddresses: z
      .boolean()
      .default(false)
      .describe(
        "Fetch a jwks_uri on another host than the issuer's even when it resolves to a loopback or private address (split-horizon DNS, a test bed). Instance metadata and link-local addresses are never fetched; the issuer's own origin always is. Default false.",
      ),
  })
  .prefault({})
  .refine((s) => s.warnLatencyMs < s.failLatencyMs, {
    path: ['warnLatencyMs'],
    message: 'must be below failLatencyMs',
  });

export type IssuerProbeSettings = z.output<typeof issuerSettings>;
