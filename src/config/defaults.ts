// Per-cluster defaults that depend on the cluster's flavor (OpenShift via ccoctl, or EKS).
import type { ClusterConfig } from '../core/cluster.ts';

export type ClusterDefaults = Pick<ClusterConfig, 'flavor' | 'audiences' | 'signingKeys' | 'roles'>;

export { defaultTokenAudience } from '../core/cluster.ts';

export function clusterDefaults(flavor: ClusterConfig['flavor'] = 'openshift', hasKube = false): ClusterDefaults {
  return {
    flavor,
    audiences: flavor === 'eks' ? ['sts.amazonaws.com'] : ['openshift', 'sts.amazonaws.com'],
    signingKeys: { fromCluster: hasKube, publicKeyPems: [], publicKeyFiles: [], nextKey: flavor === 'openshift' },
    roles: {
      list: [],
      credentialsRequests: [],
      fromCluster: false,
      sessionDurationSeconds: 900,
      verifyCredentials: false,
    },
  };
}
