// `irsa-sentinel lab`: run the lab alone until SIGTERM/SIGINT; one JSON line on stdout when it is ready.
import { agentConfigYaml } from '../lab-adapter.ts';
import { LabPortInUseError, startLab } from '../lab/index.ts';
import { FleetError, loadFleetFile } from '../lab/fleet.ts';
import { onShutdownSignals } from './signals.ts';

export interface LabCommandOptions {
  port: number;
  dataDir: string;
  fleet?: string;
}

export async function runLabCommand(opts: LabCommandOptions): Promise<void> {
  let lab;
  try {
    lab = await startLab({
      port: opts.port,
      dataDir: opts.dataDir,
      agentConfig: agentConfigYaml,
      ...(opts.fleet ? { fleet: loadFleetFile(opts.fleet) } : {}),
    });
  } catch (err) {
    if (err instanceof FleetError) {
      process.stderr.write(`irsa-sentinel lab: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof LabPortInUseError) {
      process.stderr.write(
        `irsa-sentinel lab: ${err.message}; choose another with --port N (--port 0 picks a free one)\n`,
      );
      process.exit(2);
    }
    throw err;
  }
  const started = lab;
  // Handlers first: a SIGTERM sent as soon as the ready line is read must stop the lab cleanly.
  onShutdownSignals({
    stop: () => started.close(),
    exit: (code) => process.exit(code),
    report: (event, { signal, err }) =>
      process.stderr.write(
        `irsa-sentinel lab: ${signal}: ${event}${err ? `: ${err instanceof Error ? err.message : JSON.stringify(err)}` : ''}\n`,
      ),
  });
  const info = started.info();
  process.stdout.write(
    JSON.stringify({
      event: 'lab-ready',
      endpoint: info.endpoint,
      caFile: info.caFile,
      region: info.region,
      accountId: info.accountId,
      clusters: info.clusters.map((c) => c.name),
      // The control API's bearer token (also in controlTokenFile) and the AWS CLI's S3 Control way in.
      controlToken: started.controlToken,
      controlTokenFile: started.controlTokenFile,
      s3controlProxy: info.s3controlProxy,
      s3controlEndpoint: info.s3controlEndpoint,
    }) + '\n',
  );
}
