// Types for the parts of rendered Kubernetes objects the chart tests read, accessors, and the security-context check.
import { expect } from 'vitest';
import type { K8sObject } from './chart-tools.ts';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

export interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string; defaultMode?: number };
  emptyDir?: object;
  projected?: {
    sources: { serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string } }[];
  };
}

export interface Container {
  name: string;
  image: string;
  args: string[];
  ports: { name: string; containerPort: number; protocol: string }[];
  env?: EnvVar[];
  envFrom?: { secretRef?: { name: string } }[];
  volumeMounts: VolumeMount[];
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
}

export interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: Volume[];
}

export interface StatefulSetSpec {
  replicas: number;
  serviceName: string;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: PodSpec };
  volumeClaimTemplates?: { metadata: { name: string }; spec: { resources: { requests: { storage: string } } } }[];
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export const spec = <T>(o: K8sObject): T => o.spec as T;

export function containerOf(sts: K8sObject): Container {
  const { containers } = spec<StatefulSetSpec>(sts).template.spec;
  if (containers.length !== 1) throw new Error(`expected one container, found ${containers.length}`);
  return containers[0]!;
}

export const envOf = (sts: K8sObject): EnvVar[] => containerOf(sts).env ?? [];

/** A label selector (matchLabels only) selects an object when every label matches. */
export const selects = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The restricted security context every rendering must keep. */
export function expectRestricted(sts: K8sObject, label: string) {
  const pod = spec<StatefulSetSpec>(sts).template.spec;
  expect(pod.securityContext.runAsNonRoot, `${label}: pod runAsNonRoot`).toBe(true);
  expect(pod.securityContext.seccompProfile, label).toEqual({ type: 'RuntimeDefault' });
  const c = containerOf(sts).securityContext;
  expect(c.runAsNonRoot, `${label}: runAsNonRoot`).toBe(true);
  expect(c.readOnlyRootFilesystem, `${label}: readOnlyRootFilesystem`).toBe(true);
  expect(c.allowPrivilegeEscalation, `${label}: allowPrivilegeEscalation`).toBe(false);
  expect(c.capabilities, `${label}: capabilities`).toEqual({ drop: ['ALL'] });
  expect(c.privileged ?? false, `${label}: privileged`).toBe(false);
}
