// irsa-sentinel command line. Exit codes: 0 ok, 1 findings failed, 2 usage or configuration error.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { applyAgentHeapDefaults } from './heap-defaults.ts';

/** The package's version, read from package.json beside src/ (and beside dist/src/ in the image). */
function packageVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // not there: the other layout
    }
  }
  return 'unknown';
}

const program = new Command()
  .name('irsa-sentinel')
  .description('Watches the OIDC -> STS web-identity chain of a fleet of OpenShift and EKS clusters.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .exitOverride()
  .showHelpAfterError();

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
};

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** A command's module is loaded only when it runs: `validate` and `explain` need no AWS SDK or lab. */
const lazy =
  <M, K extends keyof M>(load: () => Promise<M>, name: K) =>
  async (...args: unknown[]): Promise<void> => {
    const run = (await load())[name] as (...a: unknown[]) => Promise<void> | void;
    await run(...args);
  };

/** An agent's command (serve, check, check-policy): V8 sized for a monitor (src/heap-defaults.ts) before it loads. */
const agent =
  <M, K extends keyof M>(load: () => Promise<M>, name: K) =>
  (...args: unknown[]): Promise<void> => {
    applyAgentHeapDefaults();
    return lazy(load, name)(...args);
  };

program
  .command('serve')
  .description('Run the agent: probes on schedule, results in the store, the HTTP API.')
  .requiredOption('-c, --config <path>', 'YAML config file or directory of them')
  .action(agent(() => import('./commands/serve.ts'), 'runServeCommand'));

program
  .command('check')
  .description('Run every probe once and print the findings; exit 0 ok or warn, 1 fail, 2 usage or config error.')
  .requiredOption('-c, --config <path>', 'YAML config file or directory of them')
  .option('--cluster <name>', 'only this cluster (repeatable)', collect)
  .option('--probe <name>', 'only this probe (repeatable)', collect)
  .option('--json', 'machine-readable output')
  .action(agent(() => import('./commands/check.ts'), 'runCheckCommand'));

program
  .command('check-policy')
  .description(
    "Would this bucket policy break the cluster's issuer? Reads the bucket's live Block Public Access, puts nothing; exit 0 safe, 1 breaks or refused, 2 usage.",
  )
  .requiredOption('-c, --config <path>', 'YAML config file or directory of them')
  .requiredOption('--cluster <name>', 'the cluster whose OIDC bucket the policy is for')
  .option('--json', 'machine-readable output')
  .argument('<policy>', 'the proposed bucket policy (JSON file)')
  .action(agent(() => import('./commands/check-policy.ts'), 'runCheckPolicyCommand'));

program
  .command('validate')
  .description('Load and validate the configuration; exit 2 naming the file and key path of the first error.')
  .requiredOption('-c, --config <path>', 'YAML config file or directory of them')
  .action(lazy(() => import('./commands/info.ts'), 'runValidateCommand'));

program
  .command('explain')
  .description('Explain a finding code and how to fix it.')
  .argument('<code>', 'finding code, e.g. ISSUER_HTTP_ERROR')
  .action(lazy(() => import('./commands/info.ts'), 'runExplainCommand'));

program
  .command('alerts')
  .description("The firing, pending and recently resolved alerts in the config's store, with their deliveries.")
  .requiredOption('-c, --config <path>', 'YAML config file or directory of them')
  .option('--json', 'machine-readable output')
  .action(lazy(() => import('./commands/alerts.ts'), 'runAlertsCommand'));

program
  .command('test-alert')
  .description('Send a sample alert through one sink to check its wiring; exit 0 delivered, 1 not, 2 usage or config.')
  .requiredOption('-c, --config <path>', 'YAML config file or directory of them')
  .requiredOption('--sink <name>', 'the sink (alerts.sinks[].name)')
  .action(lazy(() => import('./commands/alerts.ts'), 'runTestAlertCommand'));

program
  .command('lab')
  .description(
    'Run the AWS-faithful lab alone: S3, S3 Control, IAM, STS, CloudTrail and simulated clusters on one HTTPS port.',
  )
  .option('--port <n>', 'port to listen on (0 = any free port)', port, 0)
  .option('--data-dir <dir>', 'where the lab writes its CA (ca.pem)', 'data/lab')
  .option('--fleet <file>', 'YAML fleet file naming the clusters to simulate (default: three healthy clusters)')
  .action(lazy(() => import('./commands/lab.ts'), 'runLabCommand'));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  // An install without the lab's optional dependencies (npm ci --omit=optional) asked to run the lab.
  const code = (err as { code?: unknown }).code;
  if (code === 'LAB_UNAVAILABLE' || code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write(`irsa-sentinel: ${(err as Error).message}\n`);
    process.exit(2);
  }
  throw err;
}
