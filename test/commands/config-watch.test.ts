// What reloads the configuration under serve: a change of the file (written in place or renamed over it), a YAML file
// of a config directory, a ConfigMap's ..data swap, and SIGHUP; debounced, one reload at a time.
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isConfigChange, watchConfig } from '../../src/commands/config-watch.ts';
import type { ConfigWatch, ReloadReason } from '../../src/commands/config-watch.ts';
import { until } from '../helpers/serve.ts';

let watch: ConfigWatch | undefined;
afterEach(() => watch?.close());

function watching(path: string, reloadMs = 0) {
  const reasons: ReloadReason[] = [];
  let running = 0;
  let overlapped = false;
  watch = watchConfig({
    path,
    debounceMs: 100,
    onWatchError: (err) => {
      throw err;
    },
    reload: async (reason) => {
      if (running++ > 0) overlapped = true;
      reasons.push(reason);
      await new Promise((r) => setTimeout(r, reloadMs));
      running--;
    },
  });
  return { reasons, overlapped: () => overlapped };
}

describe('config watch', () => {
  it('tells a change of the configuration from others in its directory', () => {
    expect(isConfigChange('config.yaml', 'config.yaml')).toBe(true);
    expect(isConfigChange('irsa-sentinel.db-wal', 'config.yaml')).toBe(false);
    expect(isConfigChange('other.yaml', 'config.yaml')).toBe(false);
    expect(isConfigChange('..data', 'config.yaml')).toBe(true);
    expect(isConfigChange('20-alerts.yml', undefined)).toBe(true);
    expect(isConfigChange('README.md', undefined)).toBe(false);
    expect(isConfigChange(null, 'config.yaml')).toBe(true);
  });

  it('reloads once for a burst of writes, and for a file renamed over the config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'irsa-watch-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'clusters: []\n');
    const w = watching(file);
    for (let i = 0; i < 5; i++) writeFileSync(file, `clusters: [] # ${i}\n`);
    writeFileSync(join(dir, 'unrelated.db'), 'x');
    await until(
      'a reload',
      () => w.reasons.length,
      (n) => n >= 1,
      5_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(w.reasons).toEqual(['config changed']);
    writeFileSync(join(dir, 'config.yaml.tmp'), 'clusters: [] # renamed\n');
    renameSync(join(dir, 'config.yaml.tmp'), file);
    await until(
      'a second reload',
      () => w.reasons.length,
      (n) => n === 2,
      5_000,
      50,
    );
  });

  it('reloads on SIGHUP one at a time (one more for what came during it), and for a file of a config directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'irsa-watch-'));
    writeFileSync(join(dir, '10-fleet.yaml'), 'clusters: []\n');
    const w = watching(dir, 200);
    process.emit('SIGHUP', 'SIGHUP');
    process.emit('SIGHUP', 'SIGHUP');
    process.emit('SIGHUP', 'SIGHUP');
    await until(
      'two reloads',
      () => w.reasons.length,
      (n) => n >= 2,
      5_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(w.reasons).toEqual(['SIGHUP', 'SIGHUP']);
    expect(w.overlapped()).toBe(false);
    writeFileSync(join(dir, '20-alerts.yaml'), 'alerts: {}\n');
    await until(
      'a reload for the new file',
      () => w.reasons.length,
      (n) => n === 3,
      5_000,
      50,
    );
    expect(w.reasons[2]).toBe('config changed');
  });
});
