// The lab's kubeconfig is written without the yaml library (kubeconfig.ts): it must read back as the same document.
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { renderKubeconfig } from '../../src/lab/kubeconfig.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function expected(clusters: { name: string; server: string; token: string }[]) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': clusters[0]?.name ?? '',
    clusters: clusters.map((c) => ({
      name: c.name,
      cluster: { server: c.server, 'certificate-authority-data': Buffer.from(CA).toString('base64') },
    })),
    users: clusters.map((c) => ({ name: c.name, user: { token: c.token } })),
    contexts: clusters.map((c) => ({ name: c.name, context: { cluster: c.name, user: c.name } })),
  };
}

describe('renderKubeconfig', () => {
  it('reads back as the document the yaml library would write', () => {
    const clusters = [
      { name: 'prod-east', server: 'https://127.0.0.1:4566/_clusters/prod-east', token: 'lab-AbC_d-1' },
      { name: '0', server: 'https://127.0.0.1:4566/_clusters/0', token: 'lab-"quoted"\\' },
    ];
    const text = renderKubeconfig(clusters, CA);
    expect(parse(text)).toEqual(expected(clusters));
    expect(parse(text)).toEqual(parse(stringify(expected(clusters))));
    // Names that YAML would read as numbers or booleans stay strings.
    expect(text).toContain('- name: "0"');
  });

  it('writes empty lists for an empty fleet', () => {
    expect(parse(renderKubeconfig([], CA))).toEqual(expected([]));
  });
});
