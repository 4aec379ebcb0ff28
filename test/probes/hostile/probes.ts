// The issuer and jwks probes as the hostile-host suites run them: one fetcher, a cluster whose signing key is known
// (so the jwks probe compares kids too), each run timed and its memory sampled, and what every result must be
// whatever the host sent: findings of bounded size that hold no more than a few kilobytes of the host's text.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import pino from 'pino';
import { expect } from 'vitest';
import { createIssuerProbe, ISSUER_PROBE_DEFAULTS } from '../../../probes/issuer/probe.ts';
import { kidOfPem } from '../../../probes/jwks/checks.ts';
import { createJwksProbe } from '../../../probes/jwks/probe.ts';
import { createHttpFetcher } from '../../../src/clients/http-fetcher.ts';
import { clusterDefaults } from '../../../src/config/defaults.ts';
import type { ClusterConfig } from '../../../src/config/types.ts';
import { statusOf } from '../../../src/core/model.ts';
import type { Finding, ProbeOutcome, Status } from '../../../src/core/model.ts';
import type { Probe } from '../../../src/core/probe.ts';
import { measured, MiB } from '../../helpers/hostile.ts';
import type { Measured } from '../../helpers/hostile.ts';

export const http = createHttpFetcher();

/** The cluster's signing key: its public half as ccoctl's serviceaccount-signer.public, and as a published JWK. */
const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const signerPem = signer.publicKey.export({ type: 'spki', format: 'pem' }) as string;
export const signerKid = kidOfPem(signerPem);
export const signerJwk = {
  ...createPublicKey(signerPem).export({ format: 'jwk' }),
  kid: signerKid,
  alg: 'RS256',
  use: 'sig',
};

/**
 * A short STS budget for hosts that never finish: each document is waited for 2 × 2500 ms (still less than the jwks
 * probe's own 10 s, which the same cases wait for). The 2 s warning stays: a document that does answer is never
 * ISSUER_SLOW on a loaded machine.
 */
export const IMPATIENT = { ...ISSUER_PROBE_DEFAULTS, warnLatencyMs: 2000, failLatencyMs: 2500 };
export const issuerProbe = createIssuerProbe(ISSUER_PROBE_DEFAULTS);
export const impatientIssuerProbe = createIssuerProbe(IMPATIENT);
export const jwksProbe = createJwksProbe();
/** The jwks probe's own bound on each document (probes/jwks/sources.ts FETCH_LIMITS). */
export const JWKS_FETCH_TIMEOUT_MS = 10_000;

/** Growth of heap and array buffers a run may show, whatever the host sends (its documents are capped at 1 MiB). */
export const MEMORY_BOUND = 50 * MiB;
/** A finding, as JSON, is at most this long: no host's text is kept whole. */
export const FINDING_BOUND = 8 * 1024;

/** A cluster of `issuer` whose CA is `caPem` (null: the system store only), signing with the known key. */
export function clusterOf(issuer: string, caPem: string | null): ClusterConfig {
  const defaults = clusterDefaults();
  return {
    name: 'hostile',
    issuer,
    region: 'us-east-1',
    labels: {},
    ...defaults,
    signingKeys: { ...defaults.signingKeys, publicKeyPems: [signerPem], nextKey: false },
    ...(caPem !== null && { caPem }),
  };
}

export async function runProbe(
  probe: Probe,
  issuer: string,
  caPem: string | null,
  signal = new AbortController().signal,
): Promise<Measured<ProbeOutcome>> {
  return measured(() =>
    probe.run(clusterOf(issuer, caPem), {
      readTokenFile: () => Promise.reject(new Error('no token files here')),
      http,
      log: pino({ level: 'silent' }),
      now: () => new Date(),
      signal,
    }),
  );
}

export const codes = (out: ProbeOutcome): string[] => out.findings.map((f) => f.code);

export interface Expected {
  codes: string[];
  status: Status;
  /** Matched against the first finding. */
  first?: Partial<Finding> & { evidence?: Record<string, unknown> };
  /** Every message of the run, joined, contains this. */
  says?: string | RegExp;
}

/**
 * The run gave exactly `want`, within `withinMs`, in bounded memory, with findings of bounded size that store and
 * serialise (no value nested deeper than JSON.stringify survives).
 */
export function expectOutcome(run: Measured<ProbeOutcome>, want: Expected, withinMs: number): void {
  const out = run.value;
  expect(codes(out)).toEqual(want.codes);
  expect(statusOf(out.findings)).toBe(want.status);
  if (want.first) expect(out.findings[0]).toMatchObject(want.first);
  if (want.says !== undefined) {
    const all = out.findings.map((f) => f.message).join('\n');
    if (typeof want.says === 'string') expect(all).toContain(want.says);
    else expect(all).toMatch(want.says);
  }
  expect(run.ms, `took ${Math.round(run.ms)} ms`).toBeLessThan(withinMs);
  expect(run.peakGrowth, `grew ${Math.round(run.peakGrowth / MiB)} MiB`).toBeLessThan(MEMORY_BOUND);
  for (const f of out.findings) expect(JSON.stringify(f).length, f.code).toBeLessThan(FINDING_BOUND);
  expect(() => JSON.stringify(out)).not.toThrow();
}
