// What a probe is: a module that declares itself (name, schedule, settings, finding codes, AWS actions) and, once
// loaded, runs against one cluster with only what its context gives it. Probes never read config files, write the
// store or alert: they return results (DESIGN.md "Data flow").
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AwsClients } from '../clients/aws.ts';
import type { HttpFetcher } from '../clients/http.ts';
import type { KubeAccess } from '../clients/kube.ts';
import type { ClusterConfig } from './cluster.ts';
import type { FindingTable } from './findings.ts';
import type { ProbeName, ProbeOutcome, ProbeResult } from './model.ts';

/** What a probe may touch. */
export interface ProbeContext {
  http: HttpFetcher;
  log: Logger;
  now: () => Date;
  /** The previous result of the same probe for the same cluster, if any. */
  previous?: ProbeResult;
  /** Aborted when the run's timeout passes or the agent shuts down. */
  signal: AbortSignal;
  /** AWS clients for the cluster's account and region; absent when the cluster names no account. */
  aws?: AwsClients;
  /** The cluster's API; absent when the cluster has no `kube` access configured. */
  kube?: KubeAccess;
  /** Read a projected token file (the agent's own); the token is never logged or stored. */
  readTokenFile: (path: string) => Promise<string>;
}

/** A loaded probe, ready to run. */
export interface Probe {
  name: ProbeName;
  /** One line for docs and `check` output. */
  description: string;
  /** Whether the probe has anything to check for this cluster (e.g. the bucket probe needs a bucket). Default yes. */
  appliesTo?(cluster: ClusterConfig): boolean;
  /** See ProbeModule.sharedBy. */
  sharedBy?(cluster: ClusterConfig): string;
  run(cluster: ClusterConfig, ctx: ProbeContext): Promise<ProbeOutcome>;
}

export interface DefaultSchedule {
  /** node-cron expression of the default schedule. */
  cron: string;
  /** The same in words, for the docs: "every minute". */
  every: string;
  /** Default per-run budget in ms. */
  timeoutMs: number;
}

/**
 * A probe's declaration, everything the rest of the agent builds from: the config schema (schedule and settings),
 * docs/findings.md and `explain` (findings), the IAM policy check (awsActions). `load` brings in the code that runs,
 * so `validate` and `explain` never load it.
 */
export interface ProbeModule<
  N extends ProbeName = ProbeName,
  S extends z.ZodType | undefined = z.ZodType | undefined,
  F extends FindingTable = FindingTable,
> {
  name: N;
  description: string;
  schedule: DefaultSchedule;
  /** The `probes.<name>` settings with their defaults (zod, `.prefault({})`); undefined when there are none. */
  settings: S;
  /** The codes this probe emits, with their evidence types. */
  findings: F;
  /** The shape of the observations the probe keeps for its next run and the API. */
  observations: z.ZodType;
  /** IAM actions the probe calls that need a permission (calls needing none, like AssumeRoleWithWebIdentity, aside). */
  awsActions: readonly string[];
  /** Whether the probe has anything to check for this cluster. Default yes. */
  appliesTo?: (cluster: ClusterConfig) => boolean;
  /**
   * For a probe whose runs wait on work shared by many clusters (the cloudtrail probe: one scan per account and
   * region), the key of that work: runs with the same key hold at most SHARED_RUNS of the runner's slots at once, so
   * a long shared scan does not stall every other probe of the fleet. Default: no key, every run takes a slot.
   */
  sharedBy?: (cluster: ClusterConfig) => string;
  /** The probe's code, loaded on demand. */
  load(): Promise<(settings: S extends z.ZodType ? z.output<S> : undefined) => Probe>;
}

/** Declares a probe; the identity function that lets TypeScript infer the module's exact types. */
export const defineProbe = <N extends ProbeName, S extends z.ZodType | undefined, F extends FindingTable>(
  module: ProbeModule<N, S, F>,
): ProbeModule<N, S, F> => module;

/** What a loaded probe takes from its declaration: name, description, applicability and sharing, written once. */
export const declared = (module: ProbeModule): Pick<Probe, 'name' | 'description' | 'appliesTo' | 'sharedBy'> => ({
  name: module.name,
  description: module.description,
  ...(module.appliesTo && { appliesTo: module.appliesTo }),
  ...(module.sharedBy && { sharedBy: module.sharedBy }),
});
