// npm run bench:issuer — the agent's issuer probe against Prometheus blackbox_exporter's http probe, at the same
// concurrency against the same lab issuers, in one run. The lab runs in its own process with `issuerAddresses:
// distinct`: every cluster's issuer is its own host (127.0.x.y), so no connection is shared between clusters, as in a
// real fleet. Both sides start each round with no connection open (a new fetcher per agent round; blackbox_exporter
// opens one per probe), as a probe run once a minute finds its keep-alive connections (250 ms) closed. The lab counts the
// issuer documents it served: the agent fetches the discovery document and the JWKS per probe, blackbox_exporter
// only the discovery document; the figure compared is documents per second.
// BENCH_CLUSTERS (1000), BENCH_CONCURRENCY (32), BENCH_ROUNDS (3), BENCH_BLACKBOX (the exporter's path).
// Exit 2 when blackbox_exporter is missing (Debian: apt-get install prometheus-blackbox-exporter).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createIssuerProbe, ISSUER_PROBE_DEFAULTS } from '../probes/issuer/probe.ts';
import { createHttpFetcher } from '../src/clients/http-fetcher.ts';
import { clusterDefaults } from '../src/config/defaults.ts';
import type { ClusterConfig } from '../src/config/types.ts';
import { createRunner } from '../src/scheduler/runner.ts';
import { BLACKBOX_EXPORTER, blackboxAvailable, startBlackbox } from './blackbox.ts';
import { cpuSeconds, mib, startLabProcess } from './lab-process.ts';

const clusters = Number(process.env.BENCH_CLUSTERS ?? 1000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

if (!blackboxAvailable()) {
  process.stderr.write(
    `bench:issuer: blackbox_exporter not found at ${BLACKBOX_EXPORTER} (Debian: apt-get install prometheus-blackbox-exporter; or set BENCH_BLACKBOX)\n`,
  );
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-issuer-'));
const lab = await startLabProcess({
  dataDir: dir,
  fleet: `issuerAddresses: distinct\ngenerate: { prefix: bench, count: ${clusters} }\n`,
});
const info = await lab.info();
const fleet: ClusterConfig[] = info.clusters.map((c) => ({
  name: c.name,
  issuer: c.issuer,
  ...clusterDefaults(),
  region: info.region,
  labels: {},
  caPem: lab.caPem,
}));
const blackbox = await startBlackbox({ dir, caFile: lab.caFile, connections: concurrency });
const probe = createIssuerProbe(ISSUER_PROBE_DEFAULTS);

interface Round {
  seconds: number;
  documents: number;
  ok: number;
  failed: number;
  /** CPU seconds the prober (this process, or blackbox_exporter) and the lab used during the round. */
  proberCpu: number;
  labCpu: number;
}

/** Documents the lab served while `work` ran, how long it took, and the CPU the prober and the lab spent on it. */
async function measured(proberPid: number, work: () => Promise<{ ok: number; failed: number }>): Promise<Round> {
  const before = (await lab.stats()).issuerDocuments;
  const cpu0 = [cpuSeconds(proberPid), cpuSeconds(lab.pid)];
  const t0 = performance.now();
  const { ok, failed } = await work();
  const seconds = (performance.now() - t0) / 1000;
  const [proberCpu, labCpu] = [cpuSeconds(proberPid) - cpu0[0]!, cpuSeconds(lab.pid) - cpu0[1]!];
  const after = (await lab.stats()).issuerDocuments;
  const documents = after.discovery - before.discovery + after.jwks - before.jwks;
  return { seconds, documents, ok, failed, proberCpu, labCpu };
}

let agentPeakRss = 0;
const sampleRss = setInterval(() => (agentPeakRss = Math.max(agentPeakRss, process.memoryUsage.rss())), 200);
/** Finding codes of the agent's runs: what a probe that did not pass said. */
const findingCounts = new Map<string, number>();
async function agentRound(): Promise<Round> {
  const http = createHttpFetcher();
  let ok = 0;
  let failed = 0;
  const runner = createRunner({
    concurrency,
    http,
    log: pino({ level: 'silent' }),
    previousOf: () => undefined,
    onResult: (r) => {
      if (r.status === 'ok') ok++;
      else failed++;
      for (const f of r.findings) findingCounts.set(f.code, (findingCounts.get(f.code) ?? 0) + 1);
    },
    timeoutMsFor: () => 20_000,
  });
  try {
    return await measured(process.pid, async () => {
      await Promise.all(fleet.map((c) => runner.run(c, probe)));
      return { ok, failed };
    });
  } finally {
    await http.close();
  }
}

async function blackboxRound(): Promise<Round> {
  return measured(blackbox.pid, async () => {
    let next = 0;
    let ok = 0;
    let failed = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < fleet.length; i = next++) {
        if (await blackbox.probe(`${fleet[i]!.issuer}/.well-known/openid-configuration`)) ok++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { ok, failed };
  });
}

const line = (who: string, round: string, r: Round): void =>
  console.log(
    [
      `${who.padEnd(9)} ${round.padEnd(8)} ${r.seconds.toFixed(2).padStart(6)} s`,
      `${String(r.ok).padStart(5)} ok ${String(r.failed).padStart(4)} failed`,
      `${String(r.documents).padStart(5)} documents ${(r.documents / r.seconds).toFixed(0).padStart(5)}/s`,
      `${((r.ok + r.failed) / r.seconds).toFixed(0).padStart(4)} probes/s`,
      `CPU s: prober ${r.proberCpu.toFixed(1).padStart(5)} lab ${r.labCpu.toFixed(1).padStart(5)}`,
    ].join('  '),
  );

try {
  console.log(
    `${clusters} issuers, each on its own address (lab in its own process, pid ${lab.pid}); concurrency ${concurrency}; ${rounds} rounds after a warm-up`,
  );
  line('agent', 'warm-up', await agentRound());
  line('blackbox', 'warm-up', await blackboxRound());
  const agent: Round[] = [];
  const bb: Round[] = [];
  for (let i = 1; i <= rounds; i++) {
    const a = await agentRound();
    line('agent', `round ${i}`, a);
    agent.push(a);
    const b = await blackboxRound();
    line('blackbox', `round ${i}`, b);
    bb.push(b);
  }
  const best = (rs: Round[]): Round => rs.reduce((x, y) => (y.documents / y.seconds > x.documents / x.seconds ? y : x));
  const [a, b] = [best(agent), best(bb)];
  const rate = (r: Round): number => r.documents / r.seconds;
  console.log(`\nbest of ${rounds}, concurrency ${concurrency}, ${clusters} issuers on distinct addresses:`);
  console.log(
    `agent issuer probe:           ${((a.ok + a.failed) / a.seconds).toFixed(0)} probes/s (${a.ok} passed), ${rate(a).toFixed(0)} documents/s`,
  );
  console.log(
    `blackbox_exporter http probe: ${((b.ok + b.failed) / b.seconds).toFixed(0)} probes/s (${b.ok} passed), ${rate(b).toFixed(0)} documents/s`,
  );
  console.log(`ratio (agent documents/s ÷ blackbox documents/s): ${(rate(a) / rate(b)).toFixed(2)} (target ≥ 1.0)`);
  // CPU per document over every measured round: less sensitive to what else the shared machine runs.
  const cpuPerDocument = (rs: Round[], of: 'proberCpu' | 'labCpu'): string =>
    ((rs.reduce((s, r) => s + r[of], 0) / rs.reduce((s, r) => s + r.documents, 0)) * 1000).toFixed(2);
  console.log(
    `CPU ms per document: agent ${cpuPerDocument(agent, 'proberCpu')} (lab ${cpuPerDocument(agent, 'labCpu')}), blackbox_exporter ${cpuPerDocument(bb, 'proberCpu')} (lab ${cpuPerDocument(bb, 'labCpu')})`,
  );
  console.log(`agent RSS peak (this process): ${mib(agentPeakRss)} MiB; lab RSS peak: ${mib(lab.memory().peak)} MiB`);
  const failures = [...agent, ...bb].reduce((n, r) => n + r.failed, 0);
  if (failures > 0) {
    console.log(
      `note: ${failures} probes did not pass; agent finding codes: ${JSON.stringify(Object.fromEntries(findingCounts))}`,
    );
  }
} finally {
  clearInterval(sampleRss);
  await blackbox.stop();
  await lab.stop();
}
