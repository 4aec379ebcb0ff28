// Reads the protobuf TokenRequest that `kubectl create token` POSTs (STACK 8): the `k8s\0` envelope around a
// runtime.Unknown{typeMeta=1, raw=2, contentEncoding=3, contentType=4}, raw = TokenRequest{metadata=1, spec=2},
// spec = {audiences=1, boundObjectRef=3{kind=1, apiVersion=2, name=3}, expirationSeconds=4}.

export const KUBE_PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The parts of a protobuf TokenRequest the lab acts on. */
export interface DecodedTokenRequest {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  audiences: string[];
  /** Absent when the client did not set it (kubectl without --duration). */
  expirationSeconds?: number;
  boundObjectRef?: BoundObjectRef;
}

export interface BoundObjectRef {
  kind: string;
  apiVersion: string;
  name: string;
}

interface Field {
  num: number;
  varint?: bigint;
  bytes?: Buffer;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readVarint(buf: Buffer, at: number): [bigint, number] {
  let value = 0n;
  for (let shift = 0n, i = at; i < buf.length && shift < 70n; shift += 7n, i++) {
    const byte = buf[i] as number;
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return [value, i + 1];
  }
  throw new Error('truncated or overlong varint');
}

/** Top-level fields of one message; fixed-width fields are skipped, groups are refused. */
function readFields(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const [key, next] = readVarint(buf, at);
    const num = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (num === 0) throw new Error('field number 0');
    if (wireType === 0) {
      const [varint, end] = readVarint(buf, next);
      fields.push({ num, varint });
      at = end;
    } else if (wireType === 2) {
      const [length, start] = readVarint(buf, next);
      const end = start + Number(length);
      if (length > BigInt(buf.length) || end > buf.length) throw new Error('length-delimited field overruns message');
      fields.push({ num, bytes: buf.subarray(start, end) });
      at = end;
    } else if (wireType === 1 || wireType === 5) {
      at = next + (wireType === 1 ? 8 : 4);
      if (at > buf.length) throw new Error('fixed-width field overruns message');
    } else {
      throw new Error(`unsupported wire type ${wireType}`);
    }
  }
  return fields;
}

const lastBytes = (fields: Field[], num: number): Buffer | undefined =>
  fields.filter((f) => f.num === num && f.bytes !== undefined).at(-1)?.bytes;

const text = (bytes: Buffer | undefined): string => (bytes === undefined ? '' : utf8.decode(bytes));

/** Decode kubectl's protobuf TokenRequest body; throws an Error describing what is malformed. */
export function decodeTokenRequest(body: Buffer): DecodedTokenRequest {
  if (body.length < 4 || !body.subarray(0, 4).equals(KUBE_PROTOBUF_MAGIC))
    throw new Error('missing k8s protobuf prefix');
  const unknown = readFields(body.subarray(4));
  const encoding = text(lastBytes(unknown, 3));
  if (encoding !== '') throw new Error(`unsupported content encoding "${encoding}"`);
  const typeMeta = readFields(lastBytes(unknown, 1) ?? Buffer.alloc(0));
  const tokenRequest = readFields(lastBytes(unknown, 2) ?? Buffer.alloc(0));
  const metadata = readFields(lastBytes(tokenRequest, 1) ?? Buffer.alloc(0));
  const spec = readFields(lastBytes(tokenRequest, 2) ?? Buffer.alloc(0));
  const boundRef = lastBytes(spec, 3);
  const ref = boundRef === undefined ? undefined : readFields(boundRef);
  const expiration = spec.filter((f) => f.num === 4 && f.varint !== undefined).at(-1)?.varint;
  return {
    apiVersion: text(lastBytes(typeMeta, 1)),
    kind: text(lastBytes(typeMeta, 2)),
    name: text(lastBytes(metadata, 1)),
    namespace: text(lastBytes(metadata, 3)),
    audiences: spec.filter((f) => f.num === 1 && f.bytes !== undefined).map((f) => text(f.bytes)),
    // int64 on the wire: negative values arrive as ten-byte two's complement.
    ...(expiration === undefined ? {} : { expirationSeconds: Number(BigInt.asIntN(64, expiration)) }),
    ...(ref === undefined
      ? {}
      : {
          boundObjectRef: {
            kind: text(lastBytes(ref, 1)),
            apiVersion: text(lastBytes(ref, 2)),
            name: text(lastBytes(ref, 3)),
          },
        }),
  };
}
