// irsa-sentinel command line. Exit codes: 0 ok, 1 findings failed, 2 usage or configuration error.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { runLabCommand } from './commands/lab.ts';

const program = new Command()
  .name('irsa-sentinel')
  .description('Watches the OIDC -> STS web-identity chain of a fleet of OpenShift and EKS clusters.')
  .exitOverride()
  .showHelpAfterError();

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
};

program
  .command('lab')
  .description(
    'Run the AWS-faithful lab alone: S3, S3 Control, IAM, STS, CloudTrail and simulated clusters on one HTTPS port.',
  )
  .option('--port <n>', 'port to listen on (0 = any free port)', port, 0)
  .option('--data-dir <dir>', 'where the lab writes its CA (ca.pem)', 'data/lab')
  .option('--fleet <file>', 'YAML fleet file naming the clusters to simulate (default: three healthy clusters)')
  .action(runLabCommand);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  throw err;
}
