// `serve` reloads its configuration file when it changes and on SIGHUP: an added cluster shows in the API, an invalid
// file is refused with the error `validate` gives for it while the running configuration goes on, a key that applies
// only at start is named in a warning, and SIGHUP with nothing changed says so. (Probes are off: this is about the
// configuration, not the runs.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { startServe, until } from '../helpers/serve.ts';
import type { LogLine, ServeProcess } from '../helpers/serve.ts';

const dir = mkdtempSync(join(tmpdir(), 'irsa-cli-reload-'));
const file = join(dir, 'config.yaml');
const off = { enabled: false };
const cluster = (name: string) => ({ name, issuer: `https://${name}-oidc.s3.us-east-1.amazonaws.com` });
const write = (clusters: string[], more: Record<string, unknown> = {}) =>
  writeFileSync(
    file,
    stringify({
      clusters: clusters.map(cluster),
      schedules: { issuer: off, jwks: off, bucket: off, cloudtrail: off, roles: off },
      storage: { dataDir: join(dir, 'data') },
      ...more,
      // The test reads the detailed status without a token.
      server: { port: 0, access: { details: 'public' }, ...(more.server as object | undefined) },
    }),
  );

let serve: ServeProcess | undefined;
afterAll(async () => {
  await serve?.stop();
});

async function names(url: string): Promise<string[]> {
  const res = await request(`${url}/api/v1/status`);
  return ((await res.body.json()) as { clusters: { name: string }[] }).clusters.map((c) => c.name);
}

/** The next log line with this message after the first `seen` lines. */
const next = (s: ServeProcess, msg: string, seen: number): Promise<LogLine> =>
  until(
    `log "${msg}"\n${s.tail()}`,
    () => s.lines.slice(seen).find((l) => l.msg === msg),
    (l) => l !== undefined,
    15_000,
    100,
  ) as Promise<LogLine>;

describe('serve reloads its configuration', () => {
  it(
    'on a change of the file and on SIGHUP; an invalid file is refused and the old one kept',
    {
      timeout: 60_000,
    },
    async () => {
      write(['one']);
      serve = startServe(file);
      const url = await serve.url;
      expect(await names(url)).toEqual(['one']);

      let seen = serve.lines.length;
      write(['one', 'two']);
      expect(await next(serve, 'configuration reloaded', seen)).toMatchObject({
        reason: 'config changed',
        applied: ['clusters'],
        clusters: 2,
      });
      expect(await names(url)).toEqual(['one', 'two']);

      // Invalid: refused with the text validate prints (after its "irsa-sentinel: "), and the fleet is unchanged.
      seen = serve.lines.length;
      writeFileSync(file, 'clusters:\n  - name: three\n    issuer: http://three.example.com\n');
      let expected = '';
      try {
        loadConfig(file);
      } catch (err) {
        expected = (err as ConfigError).message;
      }
      expect(expected).toMatch(/config\.yaml: clusters\[0\]\.issuer: must start with https:\/\//);
      const refused = await next(serve, 'configuration refused, the running one is kept', seen);
      expect(refused.error).toBe(expected);
      expect(await names(url)).toEqual(['one', 'two']);

      // A port change waits for a restart; the rest applies.
      seen = serve.lines.length;
      write(['two'], { server: { port: 1 } });
      expect(await next(serve, 'configuration reloaded', seen)).toMatchObject({ applied: ['clusters'] });
      const warned = serve.lines.slice(seen).find((l) => Array.isArray(l.keys));
      expect(warned?.keys).toEqual(['server.port']);
      expect(await names(url)).toEqual(['two']);

      seen = serve.lines.length;
      serve.child.kill('SIGHUP');
      expect(await next(serve, 'configuration reloaded: nothing to apply', seen)).toMatchObject({ reason: 'SIGHUP' });
      expect(await names(url)).toEqual(['two']);
      expect(await serve.stop()).toBe(0);
    },
  );
});
