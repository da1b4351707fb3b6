// Launchers for shaders/embedding.wgsl. Shapes: tokens (N) u32, N = B·T; wte, dwte (V, C), a
// tensor or row blocks (one dispatch per block); out, dout (N, C).
//
// The backward pass needs the positions of each token id, grouped on the CPU (the host knows
// the ids: they are data, or sampled ids it read back). Per step:
//   const grouping = embeddingGroupingTensors(gpu, N);          // once per shape
//   const bwd = embeddingBackward(gpu, dwte, dout, grouping, N, C, V); // once per shape
//   uploadTokenGrouping(gpu, grouping, groupTokens(ids, V));    // each step, before gpu.run
import { u32 } from '../params.ts';
import { grid1d, Tensor, type Dispatch, type Gpu } from '../gpu.ts';
import { RowBlocks } from '../rowBlocks.ts';

const WG = 256;

/**
 * The positions of N token ids grouped by id (CSR), padded to N slots so the GPU tensors keep
 * one size every step: run u (u < count) is id unique[u] at rows
 * positions[offsets[u] .. offsets[u+1]), rows increasing; slots u ≥ count are empty runs
 * (offsets[u] = offsets[u+1] = N, unique[u] = 0).
 */
export interface TokenGrouping {
  /** The number of distinct ids U. */
  count: number;
  /** (N) the distinct ids in increasing order, then zeros. */
  unique: Uint32Array;
  /** (N + 1) where each run starts in positions; offsets[N] = N. */
  offsets: Uint32Array;
  /** (N) the rows 0..N−1, grouped by id. */
  positions: Uint32Array;
}

/** Pure CPU helper: groups the rows of `tokens` by id. Throws on an id that is not in [0, V). */
export function groupTokens(tokens: ArrayLike<number>, V: number): TokenGrouping {
  const N = tokens.length;
  for (let n = 0; n < N; n++) {
    const t = tokens[n]!;
    if (!Number.isInteger(t) || t < 0 || t >= V) throw new RangeError(`token ${n} is ${t}, not an id in [0, ${V})`);
  }
  const positions = Uint32Array.from({ length: N }, (_, n) => n).sort((a, b) => tokens[a]! - tokens[b]! || a - b);
  const unique = new Uint32Array(N);
  const offsets = new Uint32Array(N + 1).fill(N);
  let count = 0;
  for (let k = 0; k < N; k++) {
    const t = tokens[positions[k]!]!;
    if (k === 0 || t !== unique[count - 1]) {
      unique[count] = t;
      offsets[count] = k;
      count++;
    }
  }
  return { count, unique, offsets, positions };
}

/** The GPU copy of a TokenGrouping for N rows: unique (N), offsets (N + 1), positions (N), all u32. */
export interface TokenGroupingTensors {
  unique: Tensor;
  offsets: Tensor;
  positions: Tensor;
}

/** Allocates the three grouping tensors for N rows, once per shape. */
export function embeddingGroupingTensors(gpu: Gpu, N: number, label = 'token grouping'): TokenGroupingTensors {
  return {
    unique: gpu.tensor([N], `${label} unique`),
    offsets: gpu.tensor([N + 1], `${label} offsets`),
    positions: gpu.tensor([N], `${label} positions`),
  };
}

/** Writes a grouping of this step's ids into its tensors (queue writes, ordered before the next run). */
export function uploadTokenGrouping(gpu: Gpu, tensors: TokenGroupingTensors, grouping: TokenGrouping): void {
  if (grouping.positions.length !== tensors.positions.size) {
    throw new RangeError(`grouping of ${grouping.positions.length} rows into tensors for ${tensors.positions.size}`);
  }
  gpu.write(tensors.unique, grouping.unique);
  gpu.write(tensors.offsets, grouping.offsets);
  gpu.write(tensors.positions, grouping.positions);
}

/** The table as row blocks: a tensor is its own only block. */
function blocksOf(table: Tensor | RowBlocks): RowBlocks {
  return table instanceof Tensor ? RowBlocks.whole(table) : table;
}

/** out[n, :] = wte[tokens[n], :]; an id ≥ V gives a row of zeros. One dispatch per block of wte. */
export function embeddingForward(
  gpu: Gpu,
  out: Tensor, // (N, C) =
  tokens: Tensor, // (N) u32
  wte: Tensor | RowBlocks, // (V, C)
  N: number,
  C: number,
  V: number,
): Dispatch[] {
  const table = blocksOf(wte);
  if (table.rows !== V) throw new RangeError(`embeddingForward: a table of ${table.rows} rows for V = ${V}`);
  return table.blocks.map((block, b) => {
    const { first, rows } = table.extent(b);
    // A frozen table kept 16-bit (f16 or bf16) is unpacked as it is read.
    const entry = block.dtype === 'f32' ? 'embeddingForward' : 'embeddingForwardPacked';
    return gpu.dispatch(
      table.blocks.length > 1 ? `${entry} ids ${first}..${first + rows}` : entry,
      block.dtype === 'f32' ? gpu.pipeline('embedding', entry) : gpu.pipeline('embedding', entry, { BF16: block.dtype === 'bf16' ? 1 : 0 }),
      [out, tokens, block],
      [u32(N), u32(C), u32(rows), u32(first), u32(b === 0 ? 1 : 0)],
      grid1d(N * C, WG),
    );
  });
}

/**
 * dwte[id, :] += Σ dout[n, :] over the rows n holding id, deterministic and without atomics:
 * `grouping` holds this step's groupTokens(ids, V), uploaded with uploadTokenGrouping. One
 * dispatch per block of dwte.
 */
export function embeddingBackward(
  gpu: Gpu,
  dwte: Tensor | RowBlocks, // (V, C) +=
  dout: Tensor, // (N, C)
  grouping: TokenGroupingTensors, // unique (N), offsets (N + 1), positions (N), u32
  N: number,
  C: number,
  V: number,
): Dispatch[] {
  const table = blocksOf(dwte);
  if (table.rows !== V) throw new RangeError(`embeddingBackward: a table of ${table.rows} rows for V = ${V}`);
  if (table.blocks.some((block) => block.dtype !== 'f32')) throw new TypeError('embeddingBackward: the gradient table must be f32, not a packed 16-bit one');
  return table.blocks.map((block, b) => {
    const { first, rows } = table.extent(b);
    return gpu.dispatch(
      table.blocks.length > 1 ? `embeddingBackward ids ${first}..${first + rows}` : 'embeddingBackward',
      gpu.pipeline('embedding', 'embeddingBackward'),
      [block, dout, grouping.unique, grouping.offsets, grouping.positions],
      [u32(N), u32(C), u32(rows), u32(first), u32(0)],
      grid1d(N * C, WG),
    );
  });
}
