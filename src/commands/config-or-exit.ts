// Load the configuration or exit 2 with the error naming file, key path and problem; nothing starts.
import { ConfigError, loadConfig } from '../config/load.ts';
import type { AgentConfig } from '../config/types.ts';

export function loadConfigOrExit(path: string): AgentConfig {
  try {
    return loadConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`irsa-sentinel: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
