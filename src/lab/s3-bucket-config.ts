// S3 bucket settings beside the policy: Block Public Access (its XML shared with s3control.ts), ACL, tagging and
// ownership controls, with the CloudTrail records of their writes.
import type { PublicAccessBlock } from './state.ts';
import {
  S3_NS,
  S3Failure,
  asList,
  bucketTrail,
  canonicalId,
  hostOf,
  malformedXml,
  noSuchPublicAccessBlock,
  ok,
  xmlBody,
  xmlOk,
} from './s3-wire.ts';
import type { Operation, S3Call } from './s3-wire.ts';
import type { LabRequest } from './wire.ts';

const PAB_SETTINGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

/** A <PublicAccessBlockConfiguration> body; absent settings are false. Undefined when it is not that document. */
export function parsePublicAccessBlockXml(body: Buffer): PublicAccessBlock | undefined {
  let el: Record<string, unknown>;
  try {
    el = xmlBody(body, 'PublicAccessBlockConfiguration');
  } catch {
    return undefined;
  }
  const out: PublicAccessBlock = {
    BlockPublicAcls: false,
    IgnorePublicAcls: false,
    BlockPublicPolicy: false,
    RestrictPublicBuckets: false,
  };
  for (const setting of PAB_SETTINGS) {
    const v = el[setting];
    if (v === undefined) continue;
    if (v !== 'true' && v !== 'false') return undefined;
    out[setting] = v === 'true';
  }
  return out;
}

export const publicAccessBlockXml = (pab: PublicAccessBlock, xmlns: string): Record<string, unknown> => ({
  PublicAccessBlockConfiguration: {
    '@_xmlns': xmlns,
    ...Object.fromEntries(PAB_SETTINGS.map((s) => [s, String(pab[s])])),
  },
});

/** CloudTrail's rendering of a PublicAccessBlockConfiguration request body (docs/aws-facts.md 3.3). */
export function publicAccessBlockTrail(body: Buffer, xmlns: string): Record<string, unknown> {
  const pab = parsePublicAccessBlockXml(body);
  if (!pab) return {};
  const { RestrictPublicBuckets, BlockPublicPolicy, BlockPublicAcls, IgnorePublicAcls } = pab;
  return {
    PublicAccessBlockConfiguration: {
      xmlns,
      RestrictPublicBuckets,
      BlockPublicPolicy,
      BlockPublicAcls,
      IgnorePublicAcls,
    },
  };
}

function parseTagging(req: LabRequest): Record<string, string> {
  const tagSet = xmlBody(req.body, 'Tagging').TagSet;
  const tags: Record<string, string> = {};
  const list = asList(tagSet === '' || tagSet === undefined ? undefined : (tagSet as Record<string, unknown>).Tag);
  if (list.length > 50) throw new S3Failure(400, 'BadRequest', 'Bucket tag count cannot be greater than 50');
  for (const tag of list) {
    const { Key: key, Value: value = '' } = (tag ?? {}) as { Key?: unknown; Value?: unknown };
    if (typeof key !== 'string' || typeof value !== 'string') throw malformedXml();
    if (key in tags) throw new S3Failure(400, 'InvalidTag', 'Cannot provide multiple Tags with the same key');
    if (key.length > 128) throw new S3Failure(400, 'InvalidTag', 'The TagKey you have provided is too long, max 128');
    if (value.length > 256) {
      throw new S3Failure(400, 'InvalidTag', 'The TagValue you have provided is too long, max 256');
    }
    if (key.startsWith('aws:')) throw new S3Failure(400, 'InvalidTag', 'Your TagKey cannot be prefixed with aws:');
    tags[key] = value;
  }
  return tags;
}

function putBucketTaggingTrail(call: S3Call): Record<string, unknown> {
  let tags: Record<string, string> | undefined;
  try {
    tags = parseTagging(call.req);
  } catch {
    tags = undefined;
  }
  return {
    bucketName: call.bucketName,
    Host: hostOf(call.req),
    tagging: '',
    ...(tags && {
      Tagging: { xmlns: S3_NS, TagSet: { Tag: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } },
    }),
  };
}

export const BUCKET_CONFIG_OPS = {
  GetPublicAccessBlock: {
    name: 'GetBucketPublicAccessBlock',
    action: 's3:GetBucketPublicAccessBlock',
    scope: 'bucket',
    run: (call, b) => {
      if (!b.publicAccessBlock) throw noSuchPublicAccessBlock({ BucketName: b.name });
      return xmlOk(call, publicAccessBlockXml(b.publicAccessBlock, S3_NS));
    },
  },
  PutPublicAccessBlock: {
    name: 'PutBucketPublicAccessBlock',
    action: 's3:PutBucketPublicAccessBlock',
    scope: 'bucket',
    trail: (call) => ({
      ...bucketTrail({ publicAccessBlock: '' })(call),
      ...publicAccessBlockTrail(call.req.body, S3_NS),
    }),
    run: (call, b) => {
      const pab = parsePublicAccessBlockXml(call.req.body);
      if (!pab) throw malformedXml();
      b.publicAccessBlock = pab;
      return ok(call, 200);
    },
  },
  DeletePublicAccessBlock: {
    name: 'DeleteBucketPublicAccessBlock',
    // DeletePublicAccessBlock is authorized by s3:PutBucketPublicAccessBlock (S3 API reference).
    action: 's3:PutBucketPublicAccessBlock',
    scope: 'bucket',
    trail: bucketTrail({ publicAccessBlock: '' }),
    run: (call, b) => {
      delete b.publicAccessBlock;
      return ok(call, 204);
    },
  },
  GetBucketAcl: {
    name: 'GetBucketAcl',
    action: 's3:GetBucketAcl',
    scope: 'bucket',
    run: (call) => {
      const owner = { ID: canonicalId(call.state.accountId) };
      return xmlOk(call, {
        AccessControlPolicy: {
          '@_xmlns': S3_NS,
          Owner: owner,
          AccessControlList: {
            Grant: {
              Grantee: {
                '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
                '@_xsi:type': 'CanonicalUser',
                ...owner,
              },
              Permission: 'FULL_CONTROL',
            },
          },
        },
      });
    },
  },
  GetBucketTagging: {
    name: 'GetBucketTagging',
    action: 's3:GetBucketTagging',
    scope: 'bucket',
    run: (call, b) => {
      const tags = Object.entries(b.tags);
      if (tags.length === 0) {
        throw new S3Failure(404, 'NoSuchTagSet', 'The TagSet does not exist', { BucketName: b.name });
      }
      return xmlOk(call, {
        Tagging: { '@_xmlns': S3_NS, TagSet: { Tag: tags.map(([Key, Value]) => ({ Key, Value })) } },
      });
    },
  },
  PutBucketTagging: {
    name: 'PutBucketTagging',
    action: 's3:PutBucketTagging',
    scope: 'bucket',
    trail: putBucketTaggingTrail,
    run: (call, b) => {
      b.tags = parseTagging(call.req);
      return ok(call, 204);
    },
  },
  GetBucketOwnershipControls: {
    name: 'GetBucketOwnershipControls',
    action: 's3:GetBucketOwnershipControls',
    scope: 'bucket',
    run: (call, b) =>
      xmlOk(call, { OwnershipControls: { '@_xmlns': S3_NS, Rule: { ObjectOwnership: b.objectOwnership } } }),
  },
} satisfies Record<string, Operation>;
