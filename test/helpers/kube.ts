// Kube access tests: the KubeError a promise rejects with (the test fails if it resolves or rejects otherwise).
import { expect } from 'vitest';
import { KubeError } from '../../src/clients/kube.ts';

export async function kubeError(p: Promise<unknown>): Promise<KubeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KubeError);
  return err as KubeError;
}
