// String formats the config schema's parts share: file paths, IAM role ARNs and `namespace/name` service accounts.
import { z } from 'zod';

export const filePath = z.string().min(1, 'must not be empty');

export const iamRoleArn = z
  .string()
  .regex(/^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN');

// A namespace is a DNS-1123 label, a service account name a DNS-1123 subdomain.
const SERVICE_ACCOUNT = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

export const serviceAccountRef = z
  .string()
  .regex(
    SERVICE_ACCOUNT,
    'must be namespace/name of a service account (lowercase letters, digits, hyphens), e.g. openshift-ingress-operator/ingress-operator',
  );
