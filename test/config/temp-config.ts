// Config files in temporary directories, and the ConfigError a load is expected to throw.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import type { AgentConfig } from '../../src/config/types.ts';

type Env = Record<string, string | undefined>;

export const ONE_CLUSTER = `clusters:
  - name: a
    issuer: https://a-oidc.s3.us-east-1.amazonaws.com
`;

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'irsa-config-'));
}

/** Write `files` (relative name -> text) under a new temporary directory; returns the directory. */
export function writeFiles(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export function loadText(text: string, env: Env = {}): AgentConfig {
  return loadConfig(join(writeFiles({ 'config.yaml': text }), 'config.yaml'), env);
}

export function loadError(pathOrDir: string, env: Env = {}): ConfigError {
  try {
    loadConfig(pathOrDir, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    return err as ConfigError;
  }
  throw new Error(`expected ${pathOrDir} to be rejected`);
}

/** The error loading `text` as config.yaml gives. */
export function textError(text: string, env: Env = {}): ConfigError {
  return loadError(join(writeFiles({ 'config.yaml': text }), 'config.yaml'), env);
}
