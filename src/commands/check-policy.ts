// `irsa-sentinel check-policy --cluster NAME policy.json`: would this bucket policy break the cluster's issuer?
// Exit 0: STS keeps reading the documents and S3 would accept the policy; 1: it would break the issuer or S3 would
// refuse it (BlockPublicPolicy); 2: usage, config, unreadable or invalid policy, or the bucket's settings unreadable.
import { readFileSync } from 'node:fs';
import { SimulationError } from '../../probes/bucket/index.ts';
import type { PolicySimulation } from '../../probes/bucket/index.ts';
import { createLogger } from '../logger.ts';
import { redactText } from '../redact.ts';
import { loadConfigOrExit } from './config-or-exit.ts';

export interface CheckPolicyOptions {
  config: string;
  cluster: string;
  json?: boolean;
}

const fail = (message: string): never => {
  process.stderr.write(`irsa-sentinel check-policy: ${message}\n`);
  process.exit(2);
};

export function formatSimulation(s: PolicySimulation): string {
  const lines = [
    s.wouldBreak
      ? `BREAKS: with this policy STS could no longer read the issuer documents of ${s.cluster} (${s.bucket}).`
      : `OK: STS would still read the issuer documents of ${s.cluster} (${s.bucket}).`,
    ...s.documents.map((d) => `  ${d.allowed ? 'readable' : 'DENIED  '}  ${d.key}: ${d.message}`),
  ];
  if (s.refusedByBlockPublicPolicy)
    lines.push(
      `REFUSED: S3 would reject this PutBucketPolicy: the policy is public and BlockPublicPolicy is on at the ${s.refusedByBlockPublicPolicy.level} level.`,
    );
  for (const f of s.findings) lines.push('', `${f.code} (${f.severity}): ${f.message}`, `  fix: ${f.remediation}`);
  if (s.diff !== undefined) lines.push('', 'change against the current policy:', s.diff);
  return lines.join('\n') + '\n';
}

export async function runCheckPolicyCommand(file: string, opts: CheckPolicyOptions): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  // The agent (AWS SDK, lab, probes) loads only once the configuration is known to be good.
  const { createAgent } = await import('../agent.ts');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const log = createLogger(process.env.IRSA_SENTINEL_LOG_LEVEL ?? 'warn');
  const agent = await createAgent({ ...config, storage: { ...config.storage, inMemory: true } }, log, {
    metrics: false,
  });
  let result: PolicySimulation | undefined;
  let error: string | undefined;
  try {
    const cluster = agent.config.clusters.find((c) => c.name === opts.cluster);
    if (!cluster)
      error = `--cluster ${opts.cluster}: no such cluster (clusters: ${agent.config.clusters.map((c) => c.name).join(', ')})`;
    else result = await agent.simulateBucketPolicy(cluster, text);
  } catch (err) {
    if (!(err instanceof SimulationError)) throw err;
    error = `${file}: ${err.code}: ${err.message}`;
  } finally {
    await agent.stop();
  }
  if (error !== undefined || result === undefined) return fail(error ?? 'no result');
  // The current policy and the diff come from the bucket: redacted like every other output (src/redact.ts).
  process.stdout.write(redactText(opts.json ? JSON.stringify(result, null, 2) + '\n' : formatSimulation(result)));
  process.exit(result.wouldBreak || result.refusedByBlockPublicPolicy ? 1 : 0);
}
