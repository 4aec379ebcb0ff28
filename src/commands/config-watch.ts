// When `serve` reads its configuration again: on SIGHUP, and when the config file or a YAML file of the config
// directory changes. The directory holding the file is watched, not the file: editors and `kubectl apply` replace a
// file by renaming a new one over it, and a Kubernetes ConfigMap volume swaps a `..data` symlink, either of which a
// watch on the file itself would miss. Changes are debounced (an editor writes in steps), and reloads run one at a time:
// a change during a reload asks for one more after it.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export type ReloadReason = 'SIGHUP' | 'config changed';

export interface ConfigWatchOptions {
  /** The --config path: a file or a directory. */
  path: string;
  /** Loads and applies the configuration; must not reject (it logs what went wrong). */
  reload: (reason: ReloadReason) => Promise<void>;
  /** Quiet time after the last change before reloading. Default 500 ms. */
  debounceMs?: number;
  /** A watch that could not be set up or failed (reloads then come only from SIGHUP). */
  onWatchError: (err: unknown) => void;
}

export interface ConfigWatch {
  close(): void;
}

/** Whether a change of `name` in the watched directory may change the configuration. */
export function isConfigChange(name: string | null, file: string | undefined): boolean {
  if (name === null) return true; // the platform did not say which: look
  if (name.startsWith('..')) return true; // a ConfigMap volume's ..data swap
  return file === undefined ? /\.ya?ml$/.test(name) : name === file;
}

export function watchConfig(opts: ConfigWatchOptions): ConfigWatch {
  const debounceMs = opts.debounceMs ?? 500;
  const path = resolve(opts.path);
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // the file is being replaced: watch its directory anyway
  }
  const dir = isDir ? path : dirname(path);
  const file = isDir ? undefined : basename(path);
  let running = false;
  let again: ReloadReason | undefined;
  let timer: NodeJS.Timeout | undefined;

  const run = (reason: ReloadReason): void => {
    if (running) {
      again = reason;
      return;
    }
    running = true;
    void opts.reload(reason).finally(() => {
      running = false;
      const next = again;
      again = undefined;
      if (next !== undefined) run(next);
    });
  };
  const soon = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => run('config changed'), debounceMs);
  };
  const onHup = (): void => {
    clearTimeout(timer);
    run('SIGHUP');
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (isConfigChange(name === null ? null : String(name), file)) soon();
    });
    watcher.on('error', (err) => opts.onWatchError(err));
  } catch (err) {
    opts.onWatchError(err);
  }
  process.on('SIGHUP', onHup);
  return {
    close() {
      clearTimeout(timer);
      watcher?.close();
      process.off('SIGHUP', onHup);
    },
  };
}
