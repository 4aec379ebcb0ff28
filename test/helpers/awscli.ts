// Run the real AWS CLI v2 (Debian's /usr/bin/aws) against the lab, from a clean environment.
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabInfo } from '../../src/lab/control.ts';

/** PATH resolves `aws` to a pip v1 on the build machine; the v2 CLI is Debian's (STACK.md 9). */
export const AWS_CLI = '/usr/bin/aws';

/** Fail loudly rather than skip: CI (.ci/run) installs Debian's awscli. */
export function requireAwsCli(): void {
  try {
    accessSync(AWS_CLI, constants.X_OK);
  } catch {
    throw new Error(
      `${AWS_CLI} is missing: these interop tests need AWS CLI v2; CI installs Debian's awscli (apt-get install awscli)`,
    );
  }
}

export interface CliTarget {
  endpoint: string;
  caFile: string;
}

export interface CliCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let home: string | undefined;

/** A private HOME with only a config file: region us-east-1, path-style S3. */
function cliHome(): string {
  if (!home) {
    home = mkdtempSync(join(tmpdir(), 'irsa-awscli-'));
    writeFileSync(join(home, 'config'), '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n');
  }
  return home;
}

/** A file in the CLI's private HOME, for `file://` arguments. */
export function cliFile(name: string, content: string): string {
  const path = join(cliHome(), name);
  writeFileSync(path, content);
  return path;
}

/**
 * `aws <args> --endpoint-url <lab> --output json` with nothing inherited from this machine's environment
 * (it sets AWS_CA_BUNDLE and NODE_EXTRA_CA_CERTS globally). No credentials → no AWS keys in the env at all.
 */
export function awsCli(
  target: CliTarget,
  args: string[],
  credentials?: CliCredentials,
  extraEnv: Record<string, string> = {},
): Promise<CliResult> {
  if (!target.caFile) throw new Error('AWS_CA_BUNDLE must never be empty: the CLI then skips TLS verification');
  const dir = cliHome();
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/bin:/bin',
    HOME: dir,
    LANG: 'C.UTF-8',
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_CA_BUNDLE: target.caFile,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    ...(credentials
      ? { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey }
      : {}),
    ...extraEnv,
  };
  return new Promise((resolve) => {
    execFile(
      AWS_CLI,
      [...args, '--endpoint-url', target.endpoint, '--output', 'json'],
      { env, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** stdout parsed as JSON; a failed call throws with the CLI's stderr (which never holds secrets). */
export function cliJson<T = Record<string, unknown>>(result: CliResult): T {
  if (result.code !== 0) throw new Error(`aws exited ${result.code}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as T;
}

/**
 * `aws s3control` against the lab: its --endpoint-url is info.s3controlEndpoint (https://localhost:PORT, which the
 * CLI turns into <account>.localhost:PORT) and the one extra variable HTTPS_PROXY=info.s3controlProxy, the lab's own
 * CONNECT proxy (src/lab/connect-proxy.ts).
 */
export function s3controlCli(info: LabInfo): { target: CliTarget; env: Record<string, string> } {
  if (!info.s3controlEndpoint || !info.s3controlProxy) throw new Error('the lab info names no S3 Control proxy');
  return {
    target: { endpoint: info.s3controlEndpoint, caFile: info.caFile },
    env: { HTTPS_PROXY: info.s3controlProxy },
  };
}
