import { describe, expect, it } from 'vitest';
import { bucketFromIssuer } from '../../src/config/issuer-url.ts';

describe('bucketFromIssuer', () => {
  it.each([
    // virtual-hosted, regional
    ['https://my-oidc.s3.us-east-2.amazonaws.com', 'my-oidc', 'us-east-2'],
    ['https://my-oidc.s3.eu-central-1.amazonaws.com/', 'my-oidc', 'eu-central-1'],
    ['https://my-oidc.s3.us-west-2.amazonaws.com/cluster-a', 'my-oidc', 'us-west-2'],
    ['https://my.dotted.bucket.s3.ap-southeast-2.amazonaws.com', 'my.dotted.bucket', 'ap-southeast-2'],
    ['https://gov-oidc.s3.us-gov-west-1.amazonaws.com', 'gov-oidc', 'us-gov-west-1'],
    ['https://my-oidc.s3.dualstack.eu-west-1.amazonaws.com', 'my-oidc', 'eu-west-1'],
    // virtual-hosted, global endpoint (us-east-1)
    ['https://my-oidc.s3.amazonaws.com', 'my-oidc', 'us-east-1'],
    // virtual-hosted, legacy dash form
    ['https://my-oidc.s3-us-west-1.amazonaws.com', 'my-oidc', 'us-west-1'],
    ['https://my-oidc.s3-external-1.amazonaws.com', 'my-oidc', 'us-east-1'],
    // path style
    ['https://s3.us-east-2.amazonaws.com/my-oidc', 'my-oidc', 'us-east-2'],
    ['https://s3.us-east-2.amazonaws.com/my-oidc/', 'my-oidc', 'us-east-2'],
    ['https://s3.amazonaws.com/my-oidc/cluster-a', 'my-oidc', 'us-east-1'],
    ['https://s3-eu-west-1.amazonaws.com/my-oidc', 'my-oidc', 'eu-west-1'],
    // China partition
    ['https://cn-oidc.s3.cn-north-1.amazonaws.com.cn', 'cn-oidc', 'cn-north-1'],
    ['https://s3.cn-northwest-1.amazonaws.com.cn/cn-oidc', 'cn-oidc', 'cn-northwest-1'],
  ])('%s -> %s in %s', (issuer, name, region) => {
    expect(bucketFromIssuer(issuer)).toEqual({ name, region });
  });

  it.each([
    ['CloudFront', 'https://d111111abcdef8.cloudfront.net'],
    ['a custom domain', 'https://oidc.example.com/cluster-a'],
    ['EKS', 'https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE'],
    ['the lab (path style on an IP)', 'https://127.0.0.1:4566/prod-east-oidc'],
    ['plain http', 'http://my-oidc.s3.us-east-1.amazonaws.com'],
    ['path style without a bucket', 'https://s3.us-east-1.amazonaws.com/'],
    ['a website endpoint', 'https://my-oidc.s3-website-us-east-1.amazonaws.com'],
    ['transfer acceleration', 'https://my-oidc.s3-accelerate.amazonaws.com'],
    ['a cn region outside .cn', 'https://cn-oidc.s3.cn-north-1.amazonaws.com'],
    ['a non-cn region inside .cn', 'https://my-oidc.s3.us-east-1.amazonaws.com.cn'],
    ['a bucket name that breaks the naming rules', 'https://s3.us-east-1.amazonaws.com/My_Bucket'],
    ['not a URL', 'my-oidc.s3.us-east-1.amazonaws.com'],
  ])('%s gives nothing', (_what, issuer) => {
    expect(bucketFromIssuer(issuer)).toBeUndefined();
  });
});
