// S3 bucket policy: Put/Get/Delete with S3's own validation and Block Public Access, and the policy status.
import { MalformedPolicyError, parsePolicy, statementsOf } from './policy.ts';
import { bucketPolicyPublicity } from './public.ts';
import { blockingLevel, bucketArn } from './s3-access.ts';
import type { Bucket } from './state.ts';
import { S3_NS, S3Failure, bucketTrail, hostOf, missingBody, ok, xmlOk } from './s3-wire.ts';
import type { Operation, S3Call } from './s3-wire.ts';
import { callerArn } from './wire.ts';
import type { LabResponse } from './wire.ts';

/** S3 accepts only Resources that name this bucket or objects in it ("Policy has invalid resource"). */
function resourcesNameBucket(resources: string[], bucket: string): boolean {
  return resources.every((r) => {
    const m = /^arn:aws:s3:::([^/]+)(\/.*)?$/.exec(r);
    if (!m) return false;
    const pattern = new RegExp(
      '^' +
        (m[1] as string)
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.') +
        '$',
    );
    return pattern.test(bucket);
  });
}

function putBucketPolicy(call: S3Call, bucket: Bucket): LabResponse {
  const text = call.req.body.toString('utf8');
  if (text.trim() === '') throw missingBody();
  if (!text.trimStart().startsWith('{')) {
    throw new S3Failure(400, 'MalformedPolicy', "Policies must be valid JSON and the first byte must be '{'");
  }
  let doc;
  try {
    doc = parsePolicy(text, 'resource');
  } catch (err) {
    if (err instanceof MalformedPolicyError) throw new S3Failure(400, 'MalformedPolicy', err.message);
    throw err;
  }
  for (const st of statementsOf(doc)) {
    const resources = [st.Resource ?? st.NotResource ?? []].flat();
    if (!resourcesNameBucket(resources, bucket.name)) {
      throw new S3Failure(400, 'MalformedPolicy', 'Policy has invalid resource');
    }
  }
  // BlockPublicPolicy on the bucket or the account rejects a public policy (docs/aws-facts.md 4.2, observed message).
  if (blockingLevel(call.state, bucket, 'BlockPublicPolicy') && bucketPolicyPublicity(doc).isPublic) {
    throw new S3Failure(
      403,
      'AccessDenied',
      `User: ${callerArn(call.req.caller) ?? 'anonymous'} is not authorized to perform: s3:PutBucketPolicy on resource: "${bucketArn(bucket.name)}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
    );
  }
  bucket.policy = text;
  return ok(call, 204);
}

function putBucketPolicyTrail(call: S3Call): Record<string, unknown> {
  let bucketPolicy: unknown;
  try {
    bucketPolicy = JSON.parse(call.req.body.toString('utf8'));
  } catch {
    bucketPolicy = undefined;
  }
  return {
    bucketName: call.bucketName,
    ...(bucketPolicy !== undefined && { bucketPolicy }),
    policy: '',
    Host: hostOf(call.req),
  };
}

function storedPolicyOrThrow(bucket: Bucket): string {
  if (bucket.policy === undefined) {
    throw new S3Failure(404, 'NoSuchBucketPolicy', 'The bucket policy does not exist', { BucketName: bucket.name });
  }
  return bucket.policy;
}

function getBucketPolicyStatus(call: S3Call, bucket: Bucket): LabResponse {
  const text = storedPolicyOrThrow(bucket);
  let isPublic: boolean;
  try {
    isPublic = bucketPolicyPublicity(parsePolicy(text, 'resource')).isPublic;
  } catch {
    isPublic = true; // S3 assumes a policy is public until shown otherwise (docs/aws-facts.md 4.1)
  }
  return xmlOk(call, { PolicyStatus: { '@_xmlns': S3_NS, IsPublic: isPublic } });
}

export const BUCKET_POLICY_OPS = {
  GetBucketPolicy: {
    name: 'GetBucketPolicy',
    action: 's3:GetBucketPolicy',
    scope: 'bucket',
    run: (call, b) => ok(call, 200, { 'content-type': 'application/json' }, storedPolicyOrThrow(b)),
  },
  PutBucketPolicy: {
    name: 'PutBucketPolicy',
    action: 's3:PutBucketPolicy',
    scope: 'bucket',
    trail: putBucketPolicyTrail,
    run: putBucketPolicy,
  },
  DeleteBucketPolicy: {
    name: 'DeleteBucketPolicy',
    action: 's3:DeleteBucketPolicy',
    scope: 'bucket',
    trail: bucketTrail({ policy: '' }),
    run: (call, b) => {
      delete b.policy;
      return ok(call, 204);
    },
  },
  GetBucketPolicyStatus: {
    name: 'GetBucketPolicyStatus',
    action: 's3:GetBucketPolicyStatus',
    scope: 'bucket',
    run: getBucketPolicyStatus,
  },
} satisfies Record<string, Operation>;
