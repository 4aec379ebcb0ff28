// Merging the files of a config directory, in name order: top-level `clusters` and `accounts` lists are
// concatenated, mappings are merged key by key, and a key set to different values in two files is a conflict.
// Remembers which file each key path came from, so that errors found later name the right file.
import { isDeepStrictEqual } from 'node:util';
import { formatKeyPath } from './key-path.ts';
import type { KeyPath } from './key-path.ts';

export interface Layer {
  file: string;
  data: Record<string, unknown>;
}

export interface MergeConflict {
  path: PropertyKey[];
  /** The file that set the key first, and the one that sets it again. */
  files: [string, string];
}

export interface Merged {
  data: Record<string, unknown>;
  conflicts: MergeConflict[];
  /** The file that holds this key path (or its nearest ancestor). */
  fileOf(path: KeyPath): string | undefined;
}

const CONCATENATED = new Set(['clusters', 'accounts']);

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergeLayers(layers: readonly Layer[]): Merged {
  const origins = new Map<string, string>();
  const conflicts: MergeConflict[] = [];

  const record = (value: unknown, path: PropertyKey[], file: string): void => {
    const key = formatKeyPath(path);
    if (!origins.has(key)) origins.set(key, file);
    if (Array.isArray(value)) value.forEach((item, i) => record(item, [...path, i], file));
    else if (isMapping(value)) for (const [k, v] of Object.entries(value)) record(v, [...path, k], file);
  };

  const merge = (target: Record<string, unknown>, source: Record<string, unknown>, path: string[], file: string) => {
    for (const [key, value] of Object.entries(source)) {
      const at = [...path, key];
      const existing = target[key];
      if (!(key in target)) {
        target[key] = value;
        record(value, at, file);
      } else if (isMapping(existing) && isMapping(value)) {
        merge(existing, value, at, file);
      } else if (path.length === 0 && CONCATENATED.has(key) && Array.isArray(existing) && Array.isArray(value)) {
        value.forEach((item, i) => record(item, [...at, existing.length + i], file));
        existing.push(...(value as unknown[]));
      } else if (!isDeepStrictEqual(existing, value)) {
        conflicts.push({ path: at, files: [origins.get(formatKeyPath(at)) ?? '?', file] });
      }
    }
  };

  const data: Record<string, unknown> = {};
  for (const layer of layers) merge(data, structuredClone(layer.data), [], layer.file);

  return {
    data,
    conflicts,
    fileOf(path) {
      for (let n = path.length; n > 0; n--) {
        const file = origins.get(formatKeyPath(path.slice(0, n)));
        if (file !== undefined) return file;
      }
      return undefined;
    },
  };
}
