import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bundledCredentialsRequests,
  ccoctlCredentialsIni,
  ccoctlRoleName,
  ccoctlTrustPolicy,
  parseCredentialsRequests,
} from '../../src/ccoctl/credentials-requests.ts';
import { ccoctlBucketPolicy, ccoctlDiscoveryDocument } from '../../src/lab/clusters.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe('CredentialsRequests and ccoctl naming', () => {
  const crs = bundledCredentialsRequests();

  it('bundles the seven AWS CredentialsRequests of a recent OpenShift release (docs/aws-facts.md 5 table)', () => {
    expect(crs.map((c) => `${c.secretNamespace}/${c.secretName}`).sort()).toEqual([
      'openshift-cloud-controller-manager/cloud-controller-manager-credentials',
      'openshift-cloud-credential-operator/cloud-credential-operator-iam-ro-creds',
      'openshift-cloud-network-config-controller/cloud-credentials',
      'openshift-cluster-csi-drivers/ebs-cloud-credentials',
      'openshift-image-registry/installer-cloud-credentials',
      'openshift-ingress-operator/cloud-credentials',
      'openshift-machine-api/aws-cloud-credentials',
    ]);
    const registry = crs.find((c) => c.name === 'openshift-image-registry');
    expect(registry?.serviceAccounts).toEqual(['cluster-image-registry-operator', 'registry']);
  });

  it('names roles as ccoctl does and cuts them to 64 characters', () => {
    const registry = crs.find((c) => c.name === 'openshift-image-registry')!;
    const secret = fixture('ccoctl-openshift-image-registry-installer-cloud-credentials-credentials.yaml');
    const roleName = /role\/(\S+)/.exec(secret)![1];
    expect(ccoctlRoleName('mycluster', registry)).toBe(roleName);
    const long = ccoctlRoleName('a-very-long-cluster-name-for-testing', registry);
    expect(long).toHaveLength(64);
    expect(long.startsWith('a-very-long-cluster-name-for-testing-openshift-image-registry-in')).toBe(true);
  });

  it("renders ccoctl's trust policy byte for byte", () => {
    const text = ccoctlTrustPolicy(
      'arn:aws:iam::123456789012:oidc-provider/mycluster-oidc.s3.us-east-2.amazonaws.com',
      'mycluster-oidc.s3.us-east-2.amazonaws.com',
      [
        'system:serviceaccount:openshift-image-registry:cluster-image-registry-operator',
        'system:serviceaccount:openshift-image-registry:registry',
      ],
    );
    expect(text).toBe(fixture('ccoctl-role-trust-policy-example.json').trim());
  });

  it("renders ccoctl's discovery document and public-read policy with the same content", () => {
    const issuer = 'https://mycluster-oidc.s3.us-east-2.amazonaws.com';
    expect(JSON.parse(ccoctlDiscoveryDocument(issuer))).toEqual(
      JSON.parse(fixture('ccoctl-02-openid-configuration.json')),
    );
    expect(JSON.parse(ccoctlBucketPolicy('mycluster-oidc'))).toEqual(
      JSON.parse(fixture('ccoctl-bucket-policy-public-read.json')),
    );
  });

  it("writes the credentials secret's ini as ccoctl does", () => {
    const arn = 'arn:aws:iam::123456789012:role/mycluster-openshift-image-registry-installer-cloud-credentials';
    expect(fixture('ccoctl-openshift-image-registry-installer-cloud-credentials-credentials.yaml')).toContain(
      ccoctlCredentialsIni(arn).replace(/^/gm, '    '),
    );
  });

  it('skips CRs annotated for deletion and non-AWS CRs, and names what is missing', () => {
    const del = `apiVersion: cloudcredential.openshift.io/v1
kind: CredentialsRequest
metadata: {name: x, annotations: {release.openshift.io/delete: "true"}}
spec: {secretRef: {name: s, namespace: n}, serviceAccountNames: [a], providerSpec: {kind: AWSProviderSpec}}
---
kind: CredentialsRequest
metadata: {name: gcp}
spec: {secretRef: {name: s, namespace: n}, serviceAccountNames: [a], providerSpec: {kind: GCPProviderSpec}}`;
    expect(parseCredentialsRequests(del, 'x.yaml')).toEqual([]);
    const bad =
      'kind: CredentialsRequest\nmetadata: {name: y}\nspec: {secretRef: {name: s, namespace: n}, providerSpec: {kind: AWSProviderSpec}}';
    expect(() => parseCredentialsRequests(bad, 'y.yaml')).toThrow(/y\.yaml: .*serviceAccountNames/);
  });
});
