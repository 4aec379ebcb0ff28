// The lab's fleet file: which clusters to simulate, and faults to apply at start.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

// ccoctl's bucket is `<name>-oidc`, and S3 bucket names are 3-63 lowercase letters, digits and hyphens.
const clusterName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,57}$/,
    'must be 1-58 lowercase letters, digits or hyphens, starting with a letter or digit',
  );

const faultSpec = z.looseObject({ fault: z.string().min(1) });

/** public-s3: ccoctl's default public bucket; cloudfront: `--create-private-s3-bucket` (docs/aws-facts.md 5). */
export const TOPOLOGIES = ['public-s3', 'cloudfront'] as const;

/** Where the clusters' issuers are served (fleetSchema.issuerAddresses). */
export const ISSUER_ADDRESSES = ['shared', 'distinct'] as const;
export type IssuerAddresses = (typeof ISSUER_ADDRESSES)[number];

export const fleetSchema = z.strictObject({
  clusters: z
    .array(
      z.strictObject({
        name: clusterName,
        // Optional rather than defaulted, so a parsed fleet (and the config's lab block) only carries it when given.
        topology: z
          .enum(TOPOLOGIES)
          .optional()
          .describe(
            "public-s3 (default): ccoctl's public bucket; cloudfront: a private bucket behind a CloudFront distribution (ccoctl --create-private-s3-bucket).",
          ),
        faults: z.array(faultSpec).default([]),
      }),
    )
    .default([]),
  /** Many identical healthy public-s3 clusters, named `<prefix>-<n>` (benchmarks). */
  generate: z.strictObject({ prefix: clusterName, count: z.number().int().min(1).max(5000) }).optional(),
  /**
   * Where issuers are served: `shared` (default) on the lab's own address, https://127.0.0.1:PORT/<bucket>; `distinct`
   * each cluster on its own loopback address on the lab's port, https://127.0.x.y:PORT/<bucket>, as every real issuer
   * is its own host (so no client shares a connection between two clusters' issuers).
   */
  // Optional rather than defaulted, as topology: a parsed fleet (and the config's lab block) only carries it when given.
  issuerAddresses: z
    .enum(ISSUER_ADDRESSES)
    .optional()
    .describe(
      "shared (default): every issuer on the lab's address 127.0.0.1; distinct: each cluster's issuer on its own loopback address 127.0.x.y (the lab's port), like separate hosts.",
    ),
  /** How many distinct signing keys clusters share (RSA generation is the slow part of starting). */
  keyPool: z.number().int().min(1).max(64).default(8),
  /** Modulus of generated signing keys; ccoctl makes 4096, 2048 starts faster. */
  keyBits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).default(2048),
});

export type Fleet = z.infer<typeof fleetSchema>;
export type FleetInput = z.input<typeof fleetSchema>;

export const DEFAULT_FLEET: FleetInput = {
  clusters: [{ name: 'prod-east' }, { name: 'prod-west' }, { name: 'staging' }],
};

export class FleetError extends Error {
  readonly code = 'LAB_FLEET_INVALID';
}

/** Validate a fleet; errors name the source and the key path. */
export function parseFleet(input: unknown, source = 'fleet'): Fleet {
  const result = fleetSchema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.length ? issue.path.join('.') : '(root)';
    throw new FleetError(`${source}: ${path}: ${issue.message}`);
  }
  const fleet = result.data;
  const names = fleetNames(fleet);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new FleetError(`${source}: clusters: duplicate cluster name ${n}`);
    seen.add(n);
  }
  return fleet;
}

export function loadFleetFile(file: string): Fleet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FleetError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new FleetError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  return parseFleet(data, file);
}

export function fleetNames(fleet: Fleet): string[] {
  const names = fleet.clusters.map((c) => c.name);
  if (fleet.generate) {
    for (let i = 1; i <= fleet.generate.count; i++) names.push(`${fleet.generate.prefix}-${i}`);
  }
  return names;
}
