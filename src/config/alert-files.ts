// The loader's part for alerts and API tokens: secrets read from the files that hold them (urlFile, secretFile,
// routingKeyFile, tokenFile), sink CA files read, IRSA_SENTINEL_API_TOKEN added, and every such secret registered
// with the redaction (src/redact.ts) so that no log line, API response or stored row can carry it. Problems name the
// key path, never the secret.
import { readFileSync } from 'node:fs';
import { registerSecrets } from '../redact.ts';
import { LAB_RECEIVER_URL } from './alerts-schema.ts';
import type { KeyPath } from './key-path.ts';
import type { ConfigFile } from './schema.ts';
import type { AlertsConfig, ApiTokenConfig, SinkConfig } from './types.ts';

export const API_TOKEN_ENV = 'IRSA_SENTINEL_API_TOKEN';

export interface FileAccess {
  /** A path of the config, resolved against the directory of the file that names it. */
  resolveIn(path: KeyPath, file: string): string;
  readPem(path: KeyPath, file: string): string | undefined;
  problem(path: KeyPath, message: string): void;
}

function readSecret(access: FileAccess, path: KeyPath, file: string): string {
  try {
    const value = readFileSync(access.resolveIn(path, file), 'utf8').trim();
    if (value === '') access.problem(path, 'the file is empty');
    return value;
  } catch (err) {
    access.problem(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    return '';
  }
}

/**
 * The URL's secret parts: the whole URL, its query, a path long enough to hold a token (Slack's
 * /services/T…/B…/…), a password. lab:receiver is a name, not a secret.
 */
function urlSecrets(url: string): string[] {
  if (url === LAB_RECEIVER_URL || !/^https?:\/\//.test(url) || !URL.canParse(url))
    return url === LAB_RECEIVER_URL ? [] : [url];
  const u = new URL(url);
  return [
    url,
    ...(u.search.length > 1 ? [u.search.slice(1)] : []),
    ...(u.pathname.length >= 16 ? [u.pathname] : []),
    ...(u.password ? [decodeURIComponent(u.password)] : []),
  ];
}

export function readAlertFiles(
  config: Pick<ConfigFile, 'alerts' | 'server'>,
  env: Record<string, string | undefined>,
  access: FileAccess,
): { alerts: AlertsConfig; tokens: ApiTokenConfig[] } {
  const secrets: string[] = [];
  const sinks = config.alerts.sinks.map((s, i): SinkConfig => {
    const at = (key: string): KeyPath => ['alerts', 'sinks', i, key];
    const out: SinkConfig = { ...s };
    if (s.urlFile !== undefined) out.url = readSecret(access, at('urlFile'), s.urlFile);
    if (out.type === 'webhook' && s.type === 'webhook' && s.secretFile !== undefined)
      out.secret = readSecret(access, at('secretFile'), s.secretFile);
    if (out.type === 'pagerduty' && s.type === 'pagerduty' && s.routingKeyFile !== undefined)
      out.routingKey = readSecret(access, at('routingKeyFile'), s.routingKeyFile);
    if (s.caFile !== undefined) {
      const caFile = access.resolveIn(at('caFile'), s.caFile);
      out.caFile = caFile;
      const pem = access.readPem(at('caFile'), caFile);
      if (pem !== undefined) out.caPem = pem;
    }
    if (out.type !== 'pagerduty' || out.url !== undefined) secrets.push(...urlSecrets(out.url));
    if (out.type === 'webhook' && out.secret) secrets.push(out.secret);
    if (out.type === 'webhook') secrets.push(...Object.values(out.headers ?? {}));
    if (out.type === 'pagerduty' && out.routingKey) secrets.push(out.routingKey);
    return out;
  });
  const tokens = config.server.auth.tokens.map((t, i): ApiTokenConfig => {
    const token =
      t.tokenFile === undefined
        ? t.token
        : readSecret(access, ['server', 'auth', 'tokens', i, 'tokenFile'], t.tokenFile);
    return { ...t, token };
  });
  const fromEnv = env[API_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 16) access.problem([API_TOKEN_ENV], 'must be at least 16 characters');
    tokens.push({ name: 'env', token: fromEnv, scopes: ['read', 'write'] });
  }
  secrets.push(...tokens.map((t) => t.token));
  // The public Events API endpoint is no secret; a pagerduty url is kept out of the list when it is the default one.
  registerSecrets(secrets.filter((v) => v !== '' && !v.startsWith('https://events.pagerduty.com/')));
  return { alerts: { ...config.alerts, sinks }, tokens };
}
