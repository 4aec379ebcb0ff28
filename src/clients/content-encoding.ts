// Bodies sent with a Content-Encoding. The fetcher sends no Accept-Encoding, which "implies that the user agent has
// no preferences regarding content-codings" (RFC 9110 12.5.3), and S3 serves an object with the Content-Encoding it
// was uploaded with whatever the request says: a gzip-encoded document is a document, so it is decoded. undici's
// request() decodes nothing, so it is done here, as a stream the fetcher reads under its size cap: the cap counts
// decoded bytes, and a gzip bomb stops at maxBytes after reading a few kilobytes of it.
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

const DECODERS: Record<string, () => Readable & NodeJS.WritableStream> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The body decoded by its one Content-Encoding (gzip, deflate, br). Identity, none, an unknown coding or a list of
 * codings: the body as it came (its bytes are then judged as they are). Errors of the body reach the decoded stream.
 */
export function decodedBody(body: Readable, contentEncoding: string | string[] | undefined): Readable {
  const coding = typeof contentEncoding === 'string' ? contentEncoding.trim().toLowerCase() : '';
  const make = Object.hasOwn(DECODERS, coding) ? DECODERS[coding] : undefined;
  if (make === undefined) return body;
  const decoder = make();
  // Destroying the decoder (the size cap) destroys the body and its socket; a body error destroys the decoder.
  pipeline(body, decoder, () => undefined);
  return decoder;
}

/** zlib's and brotli's errors for data that is not what its coding says (Z_DATA_ERROR, Z_BUF_ERROR, ERR__ERROR_…). */
export function isDecodeError(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.errno === 'number' &&
    typeof e.code === 'string' &&
    /^(Z_|ERR__)/.test(e.code)
  );
}
