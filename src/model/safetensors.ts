// The safetensors format: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw little-endian data. The engine keeps f32;
// F16 and BF16 on disk are widened on read and narrowed (round to nearest even) on write.

import { narrowToHalves, widenHalves } from '../gpu/halfFloats.ts';

export { f16ToF32, f32ToF16 } from '../gpu/halfFloats.ts';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
  /** How this tensor is written, when not as the file's default: a checkpoint keeps what did not train as it came. */
  dtype?: SafetensorsDtype;
}

/** Thrown for a file that is not a valid safetensors file; the message names file and problem. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  /** Tensor names in file order. */
  names: string[];
  shape(name: string): number[];
  /** How the file stores the tensor. */
  dtype(name: string): SafetensorsDtype;
  /** The tensor widened to f32 (a copy). */
  read(name: string): Float32Array;
}

export function parseSafetensors(bytes: Uint8Array, fileName: string): SafetensorsFile {
  const fail = (problem: string): never => {
    throw new SafetensorsError(`${fileName}: ${problem}`);
  };
  if (bytes.byteLength < 8) fail(`${bytes.byteLength} bytes is too short for a safetensors file (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8) {
    fail(`the header claims ${headerLength} bytes but the file has ${bytes.byteLength - 8} after the length (truncated or not safetensors)`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch {
    return fail('the header is not valid JSON (corrupt, or not a safetensors file)');
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const entries = new Map<string, HeaderEntry>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as HeaderEntry;
    if (!(entry.dtype in BYTES_PER_ELEMENT)) {
      fail(`tensor "${name}" has dtype ${String(entry.dtype)}; the lab reads F32, F16 and BF16`);
    }
    const [begin, end] = entry.data_offsets ?? [];
    const count = (entry.shape ?? []).reduce((a, b) => a * b, 1);
    if (!Array.isArray(entry.shape) || typeof begin !== 'number' || typeof end !== 'number') {
      fail(`tensor "${name}" has no valid shape or data_offsets`);
    }
    if (end! > dataLength || begin! > end!) {
      fail(`tensor "${name}" spans bytes ${begin}..${end} but the data section has ${dataLength} bytes (truncated?)`);
    }
    if (end! - begin! !== count * BYTES_PER_ELEMENT[entry.dtype as SafetensorsDtype]) {
      fail(`tensor "${name}" has shape [${entry.shape.join(', ')}] of ${entry.dtype} but ${end! - begin!} bytes`);
    }
    entries.set(name, entry);
  }
  const names = [...entries.keys()].sort((a, b) => entries.get(a)!.data_offsets[0] - entries.get(b)!.data_offsets[0]);

  const entryOf = (name: string): HeaderEntry => {
    const entry = entries.get(name);
    if (!entry) throw new SafetensorsError(`${fileName}: has no tensor "${name}"`);
    return entry;
  };
  return {
    metadata,
    names,
    shape: (name) => [...entryOf(name).shape],
    dtype: (name) => entryOf(name).dtype as SafetensorsDtype,
    read(name) {
      const { dtype, data_offsets } = entryOf(name);
      const raw = bytes.subarray(dataStart + data_offsets[0], dataStart + data_offsets[1]);
      return decode(raw, dtype as SafetensorsDtype);
    },
  };
}

function decode(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  // Copy into an aligned buffer first: tensors in a file start at any byte offset. (Not
  // raw.slice(): on a Node Buffer that is a view, not a copy.)
  const aligned = new Uint8Array(raw);
  if (dtype === 'F32') return new Float32Array(aligned.buffer, 0, aligned.byteLength / 4);
  return widenHalves(new Uint16Array(aligned.buffer, 0, aligned.byteLength / 2), dtype === 'BF16' ? 'bf16' : 'f16');
}

export function serializeSafetensors(
  tensors: readonly NamedTensor[],
  dtype: SafetensorsDtype = 'F32',
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new RangeError(`${t.name}: shape [${t.shape}] holds ${count} values, data has ${t.data.length}`);
    const tensorDtype = t.dtype ?? dtype;
    header[t.name] = { dtype: tensorDtype, shape: t.shape, data_offsets: [offset, offset + count * BYTES_PER_ELEMENT[tensorDtype]] };
    offset += count * BYTES_PER_ELEMENT[tensorDtype];
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // the data section starts 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const t of tensors) {
    const encoded = encode(t.data, t.dtype ?? dtype);
    out.set(encoded, at);
    at += encoded.byteLength;
  }
  return out;
}

function encode(data: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(narrowToHalves(data, dtype === 'BF16' ? 'bf16' : 'f16').buffer);
}
