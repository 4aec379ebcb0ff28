import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetNames, loadFleetFile, parseFleet } from '../../src/lab/fleet.ts';

describe('lab fleet file', () => {
  it('defaults and generated names', () => {
    const fleet = parseFleet({ clusters: [{ name: 'a' }], generate: { prefix: 'bench', count: 3 } });
    expect(fleetNames(fleet)).toEqual(['a', 'bench-1', 'bench-2', 'bench-3']);
    expect(fleet.keyPool).toBe(8);
    expect(fleet.clusters[0]?.faults).toEqual([]);
    // Absent means public-s3 (the lab provisions it so; cloudfront.test.ts checks a cluster without one).
    expect(fleet.clusters[0]).not.toHaveProperty('topology');
  });

  it('serves issuers on the lab address unless issuerAddresses is distinct', () => {
    expect(parseFleet({})).not.toHaveProperty('issuerAddresses'); // absent: shared
    expect(parseFleet({ issuerAddresses: 'shared' }).issuerAddresses).toBe('shared');
    expect(parseFleet({ issuerAddresses: 'distinct', generate: { prefix: 'b', count: 5000 } }).issuerAddresses).toBe(
      'distinct',
    );
  });

  it('takes a topology per cluster: public-s3 or cloudfront', () => {
    const fleet = parseFleet({
      clusters: [
        { name: 'a', topology: 'cloudfront' },
        { name: 'b', topology: 'public-s3' },
      ],
    });
    expect(fleet.clusters.map((c) => c.topology)).toEqual(['cloudfront', 'public-s3']);
  });

  it.each([
    [{ clusters: [{ name: 'Prod' }] }, /fleet: clusters\.0\.name: must be 1-58 lowercase/],
    [{ clusters: [{ name: 'a' }, { name: 'a' }] }, /duplicate cluster name a/],
    [{ clusters: [{ name: 'a', color: 'red' }] }, /clusters\.0: Unrecognized key: "color"/],
    [{ generate: { prefix: 'x', count: 0 } }, /generate\.count/],
    [{ clusters: [{ name: 'a', faults: [{}] }] }, /clusters\.0\.faults\.0\.fault/],
    [
      { clusters: [{ name: 'a' }, { name: 'b', topology: 'private-s3' }] },
      /^fleet: clusters\.1\.topology: Invalid option: expected one of "public-s3"\|"cloudfront"$/,
    ],
    [{ clusters: [{ name: 'a', topology: true }] }, /^fleet: clusters\.0\.topology: /],
    [{ generate: { prefix: 'x', count: 1, topology: 'cloudfront' } }, /generate: Unrecognized key: "topology"/],
    [{ issuerAddresses: 'own' }, /^fleet: issuerAddresses: Invalid option: expected one of "shared"\|"distinct"$/],
    [{ generate: { prefix: 'x', count: 5001 } }, /generate\.count/],
  ])('rejects %j with the key path', (input, message) => {
    expect(() => parseFleet(input)).toThrow(message);
  });

  it('reads YAML files and names the file in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'clusters:\n  - name: one\n    faults:\n      - fault: issuer-slow\n        ms: 100\n');
    expect(loadFleetFile(good).clusters[0]?.faults[0]).toEqual({ fault: 'issuer-slow', ms: 100 });
    const private_ = join(dir, 'private.yaml');
    writeFileSync(
      private_,
      'clusters:\n  - name: one\n    topology: cloudfront\n  - name: two\n    topology: cloud-front\n',
    );
    expect(() => loadFleetFile(private_)).toThrow(/private\.yaml: clusters\.1\.topology: Invalid option/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [\n');
    expect(() => loadFleetFile(bad)).toThrow(/bad\.yaml: not valid YAML/);
    expect(() => loadFleetFile(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read/);
  });
});
