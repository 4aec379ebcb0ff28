// Who must read the issuer documents from the bucket: STS, anonymously from the internet, for an S3 issuer; the
// CloudFront distribution's identity (origin access identity or control) for a private bucket behind CloudFront.
import type { ClusterConfig } from '../../../src/core/cluster.ts';
import type { Reader } from './eval.ts';

const OAI = /^arn:aws:iam::cloudfront:user\/CloudFront Origin Access Identity [A-Z0-9]+$/;

/** Every value of `key` among the policy's conditions, whatever the operator: the VPCs or distributions it names. */
export function conditionValues(policy: unknown, key: string): string[] {
  const found = new Set<string>();
  const visit = (v: unknown, under: string | undefined): void => {
    if (typeof v === 'string' && under?.toLowerCase() === key.toLowerCase()) found.add(v);
    else if (Array.isArray(v)) v.forEach((x) => visit(x, under));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, under ?? k);
  };
  const st = (policy as { Statement?: unknown } | null | undefined)?.Statement;
  for (const s of Array.isArray(st) ? st : [st]) {
    const cond = (s as { Condition?: unknown } | null | undefined)?.Condition;
    if (cond !== null && typeof cond === 'object') for (const byKey of Object.values(cond)) visit(byKey, undefined);
  }
  return [...found];
}

/** AWS principals of the policy that are origin access identities. */
function oaisIn(policy: unknown): string[] {
  const out = new Set<string>();
  const st = (policy as { Statement?: unknown } | null | undefined)?.Statement;
  for (const s of Array.isArray(st) ? st : [st]) {
    const aws = ((s as { Principal?: unknown } | null | undefined)?.Principal as { AWS?: unknown } | undefined)?.AWS;
    for (const v of Array.isArray(aws) ? aws : [aws]) if (typeof v === 'string' && OAI.test(v)) out.add(v);
  }
  return [...out];
}

/**
 * Who must read the documents: STS from the internet for an S3 issuer; for a CloudFront issuer the distribution's
 * identity, as configured or else every OAI and OAC grant the policy holds.
 */
export function readersOf(cluster: ClusterConfig, policy: unknown): Reader[] {
  const cf = cluster.cloudfront;
  if (!cf) return [{ kind: 'anonymous' }];
  if (cf.originAccessIdentity !== undefined || cf.distributionArn !== undefined)
    return [
      ...(cf.originAccessIdentity !== undefined
        ? [{ kind: 'cloudfront-oai' as const, oaiArn: cf.originAccessIdentity }]
        : []),
      ...(cf.distributionArn !== undefined
        ? [{ kind: 'cloudfront-oac' as const, distributionArn: cf.distributionArn }]
        : []),
    ];
  return [
    ...oaisIn(policy).map((oaiArn): Reader => ({ kind: 'cloudfront-oai', oaiArn })),
    ...conditionValues(policy, 'AWS:SourceArn')
      .filter((arn) => arn.startsWith('arn:aws:cloudfront::'))
      .map((distributionArn): Reader => ({ kind: 'cloudfront-oac', distributionArn })),
  ];
}
