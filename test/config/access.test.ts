// server.access: one key per read surface, public or token, defaults filled in for the keys not given; a wrong value or
// an unknown surface is a config error naming the key path.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { DEFAULT_ACCESS } from '../../src/core/access.ts';
import { loadText, ONE_CLUSTER, textError } from './temp-config.ts';

describe('server.access', () => {
  it('fills the defaults around what is given', () => {
    const config = loadText(`${ONE_CLUSTER}server:\n  access:\n    metrics: token\n    details: public\n`);
    expect(config.server.access).toEqual({
      page: 'public',
      summary: 'public',
      badges: 'public',
      health: 'public',
      metrics: 'token',
      details: 'public',
    });
  });

  it.each([
    ['    details: private\n', 'server.access.details', 'public'],
    ['    page: true\n', 'server.access.page', 'public'],
    ['    alerts: token\n', 'server.access', 'alerts'],
  ])('%s is refused, naming %s', (text, path, word) => {
    const err = textError(`${ONE_CLUSTER}server:\n  access:\n${text}`);
    expect(err.message).toContain(path);
    expect(err.message).toContain(word);
  });

  it('config/demo.yaml: bound to loopback, the details public, every other surface as by default', () => {
    const config = loadConfig(join(import.meta.dirname, '..', '..', 'config', 'demo.yaml'), {});
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.server.access).toEqual({ ...DEFAULT_ACCESS, details: 'public' });
  });
});
