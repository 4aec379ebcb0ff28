// The bucket probe's reading of its evaluator's verdicts: which documents STS (or the distribution) must read and
// under which object keys, who reads them, the findings a denial or a block gives, and the check of each prediction
// against an anonymous GET of the document.
import { FetchError } from '../../src/clients/http.ts';
import type { FetchOptions } from '../../src/clients/http.ts';
import type { ClusterConfig } from '../../src/core/cluster.ts';
import type { EvidenceOf } from '../../src/core/findings.ts';
import { finding } from './findings.ts';
import type { BUCKET_FINDINGS } from './findings.ts';
import type { Finding } from '../../src/core/model.ts';
import type { ProbeContext } from '../../src/core/probe.ts';
import { evaluateRead } from '../shared/s3-read/eval.ts';
import type { ReadVerdict, Reader } from '../shared/s3-read/eval.ts';
import type { BucketRead } from './facts.ts';
import { conditionValues, readersOf } from '../shared/s3-read/readers.ts';

export { readersOf };
import { issuerBase, issuerDocuments } from '../shared/s3-read/documents.ts';
import type { IssuerDocument } from '../shared/s3-read/documents.ts';

export { issuerDocuments };
export type { IssuerDocument };

export interface Prediction {
  key: string;
  reader: Reader;
  verdict: ReadVerdict;
}

const FETCH_LIMITS = { connectTimeoutMs: 5_000, totalTimeoutMs: 10_000, maxBytes: 1024 * 1024 };

/** The jwks_uri of a discovery document when it lies under the issuer (else the JWKS is where ccoctl puts it). */
function jwksUrlIn(body: Buffer | undefined, base: string): string | undefined {
  try {
    const uri = (JSON.parse(body?.toString('utf8') ?? 'null') as { jwks_uri?: unknown } | null)?.jwks_uri;
    return typeof uri === 'string' && uri.startsWith(`${base}/`) ? uri : undefined;
  } catch {
    return undefined; // not JSON: the issuer probe reports that
  }
}

/** The two documents, each fetched anonymously when `confirm` (its status or error recorded). */
export async function documentsOf(
  cluster: ClusterConfig,
  ctx: ProbeContext,
  confirm: boolean,
): Promise<IssuerDocument[]> {
  if (!confirm) return issuerDocuments(cluster);
  const opts: FetchOptions = {
    ...FETCH_LIMITS,
    signal: ctx.signal,
    ...(cluster.caPem !== undefined && { ca: cluster.caPem }),
  };
  const fetchInto = async (doc: IssuerDocument): Promise<Buffer | undefined> => {
    try {
      const res = await ctx.http.get(doc.url, opts);
      doc.status = res.status;
      return res.body;
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      doc.error = `${err.code}: ${err.message}`;
      return undefined;
    }
  };
  const [discovery] = issuerDocuments(cluster) as [IssuerDocument];
  const body = await fetchInto(discovery);
  const jwksUrl = discovery.status === 200 ? jwksUrlIn(body, issuerBase(cluster.issuer)) : undefined;
  const jwks = issuerDocuments(cluster, jwksUrl)[1] as IssuerDocument;
  await fetchInto(jwks);
  return [discovery, jwks];
}

const statementEvidence = (v: ReadVerdict) =>
  v.statement && {
    statement: v.statement.sid ?? `#${v.statement.index}`,
    effect: v.statement.effect,
    ...(v.statement.condition !== undefined && { condition: v.statement.condition }),
  };

/** Where a policy the agent could not read came from (lockout.ts). */
export type VerdictSource = NonNullable<EvidenceOf<typeof BUCKET_FINDINGS, 'BUCKET_ANONYMOUS_READ_DENIED'>['source']>;

const sourceClause = (source: VerdictSource | undefined): string =>
  source?.kind === 'cloudtrail'
    ? ` (the policy as ${source.actor ?? 'someone'} set it at ${source.time ?? '?'}, CloudTrail event ${source.eventId ?? '?'}; the agent may not read it)`
    : '';

/** The finding a denied read of an S3 issuer gives, by the verdict's reason. */
function directFinding(v: ReadVerdict, keys: string[], read: BucketRead, source?: VerdictSource): Finding {
  const bucket = read.facts.bucket;
  const evidence = { documents: keys, reason: v.reason, ...statementEvidence(v), ...(source && { source }) };
  const message = `${v.message.replace(/\.$/, '')}${sourceClause(source)}.`;
  if (v.reason === 'public-access-blocked' && v.blockedBy)
    return finding('BUCKET_PUBLIC_ACCESS_BLOCKED', message, {
      subject: bucket,
      evidence: { ...evidence, ...v.blockedBy },
    });
  if (v.reason === 'no-grant' && read.facts.policy === undefined)
    return finding(
      'BUCKET_POLICY_MISSING',
      `${bucket} has no bucket policy, so nothing lets STS read ${keys.join(' and ')}${sourceClause(source)}.`,
      {
        subject: bucket,
        evidence,
      },
    );
  if (v.reason === 'policy-invalid') return finding('BUCKET_ACCESS_UNKNOWN', message, { subject: bucket, evidence });
  return finding('BUCKET_ANONYMOUS_READ_DENIED', message, { subject: bucket, evidence });
}

/** One finding per distinct cause, naming every document it denies. */
export function verdictFindings(
  cluster: ClusterConfig,
  predictions: Prediction[],
  read: BucketRead,
  source?: VerdictSource,
): Finding[] {
  const keys = [...new Set(predictions.map((p) => p.key))];
  const bucket = read.facts.bucket;
  if (cluster.cloudfront) {
    const denied = keys.filter((k) => !predictions.some((p) => p.key === k && p.verdict.allowed));
    if (denied.length === 0) return [];
    const first = predictions.find((p) => p.key === denied[0]);
    const why = first ? first.verdict.message : 'The policy grants no origin access identity or origin access control.';
    return [
      finding(
        'BUCKET_ORIGIN_ACCESS_DENIED',
        `${bucket} does not let the CloudFront distribution read ${denied.join(' and ')}: ${why.replace(/\.$/, '')}${sourceClause(source)}.`,
        {
          subject: bucket,
          evidence: {
            documents: denied,
            readers: [...new Map(predictions.map((p) => [JSON.stringify(p.reader), p.reader])).values()],
            ...(first && statementEvidence(first.verdict)),
          },
        },
      ),
    ];
  }
  const causes = new Map<string, { verdict: ReadVerdict; keys: string[] }>();
  for (const p of predictions) {
    if (p.verdict.allowed) continue;
    const id = JSON.stringify([p.verdict.reason, p.verdict.statement?.index, p.verdict.blockedBy]);
    const cause = causes.get(id) ?? { verdict: p.verdict, keys: [] };
    causes.set(id, cause);
    cause.keys.push(p.key);
  }
  return [...causes.values()].map((c) => directFinding(c.verdict, c.keys, read, source));
}

/** The agent itself may read through a VPC endpoint or VPC that the policy admits, where STS cannot. */
function readableFromInsideVpc(read: BucketRead, key: string): boolean {
  const vpces = conditionValues(read.facts.policy, 'aws:SourceVpce');
  const vpcs = conditionValues(read.facts.policy, 'aws:SourceVpc');
  return [...vpces.map((sourceVpce) => ({ sourceVpce })), ...vpcs.map((sourceVpc) => ({ sourceVpc }))].some(
    (via) => evaluateRead(read.facts, key, { kind: 'anonymous', ...via }).allowed,
  );
}

/** BUCKET_PREDICTION_MISMATCH for each document whose GET answered 200 or 403 against the prediction. */
export function confirmReads(
  documents: IssuerDocument[],
  predictedAllowed: (key: string) => boolean,
  read: BucketRead,
  canonical: (v: unknown) => string,
): Finding[] {
  return documents.flatMap((d) => {
    if (d.status !== 200 && d.status !== 403) return [];
    const observed = d.status === 200;
    const predicted = predictedAllowed(d.key);
    if (observed === predicted) return [];
    if (observed && readableFromInsideVpc(read, d.key)) return []; // the agent runs inside the VPC the policy admits
    return [
      finding(
        'BUCKET_PREDICTION_MISMATCH',
        `The evaluator predicted ${predicted ? 'a read' : 'a denial'} of ${d.key}, but an anonymous GET of ${d.url} answered ${d.status}.`,
        {
          subject: read.facts.bucket,
          evidence: {
            url: d.url,
            key: d.key,
            predicted: predicted ? 'allowed' : 'denied',
            observedStatus: d.status,
            policy: read.facts.policy === undefined ? null : canonical(read.facts.policy),
            bucketPublicAccessBlock: read.facts.bucketBlock ?? null,
            accountPublicAccessBlock: read.facts.accountBlock ?? null,
          },
        },
      ),
    ];
  });
}
