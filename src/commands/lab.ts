// `irsa-sentinel lab`: run the lab alone until SIGTERM/SIGINT; one JSON line on stdout when it is ready.
import { startLab } from '../lab/index.ts';
import { FleetError, loadFleetFile } from '../lab/fleet.ts';

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
      ...(opts.fleet ? { fleet: loadFleetFile(opts.fleet) } : {}),
    });
  } catch (err) {
    if (err instanceof FleetError) {
      process.stderr.write(`irsa-sentinel lab: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const info = lab.info();
  process.stdout.write(
    JSON.stringify({
      event: 'lab-ready',
      endpoint: info.endpoint,
      caFile: info.caFile,
      region: info.region,
      accountId: info.accountId,
      clusters: info.clusters.map((c) => c.name),
    }) + '\n',
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`irsa-sentinel lab: ${signal}, stopping\n`);
    lab.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`irsa-sentinel lab: error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
