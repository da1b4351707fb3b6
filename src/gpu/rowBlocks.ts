// A (rows, cols) matrix stored as row blocks, each a buffer of its own no larger than the binding
// cap (the adapter's maxStorageBufferBindingSize, or the lower LAB_MAX_BINDING_MIB): a Llama-3.2-1B
// embedding (128256 × 2048 f32, 1.05 GB) is 9 blocks under a 128 MiB cap. A matrix within the cap
// is one block. Block b holds rows [b·rowsPerBlock, min(rows, (b + 1)·rowsPerBlock)).
import { narrowToHalves } from './halfFloats.ts';
import type { Gpu, Tensor, TensorDtype } from './gpu.ts';

/**
 * Rows per block for a (rows, cols) matrix under `capBytes`: all of them when it fits. A packed
 * 16-bit block (2 bytes a value) holds an even number of values, so each block is whole words.
 */
export function rowsPerBlock(rows: number, cols: number, capBytes: number, dtype: TensorDtype = 'f32'): number {
  const rowBytes = cols * (dtype === 'f32' ? 4 : 2);
  if (Math.ceil((rows * rowBytes) / 4) * 4 <= capBytes) return rows;
  let fit = Math.floor(capBytes / rowBytes);
  if (dtype !== 'f32' && (fit * cols) % 2 !== 0) fit -= 1;
  if (fit < 1) throw new RangeError(`one row of ${cols} ${dtype} values (${rowBytes} bytes) is over the binding cap of ${capBytes} bytes: raise the cap (LAB_MAX_BINDING_MIB)`);
  return fit;
}

export class RowBlocks {
  constructor(
    readonly blocks: readonly Tensor[], // (rows in block b, cols) each
    readonly rows: number,
    readonly cols: number,
    readonly rowsPerBlock: number,
  ) {
    if (blocks.length !== Math.ceil(rows / rowsPerBlock)) {
      throw new RangeError(`${rows} rows in blocks of ${rowsPerBlock} are ${Math.ceil(rows / rowsPerBlock)} blocks, not ${blocks.length}`);
    }
  }

  /** A whole matrix as its only block. */
  static whole(t: Tensor): RowBlocks {
    const rows = t.shape[0]!;
    return new RowBlocks([t], rows, t.size / rows, rows);
  }

  /**
   * Zero-filled (or `data`, rows·cols values) blocks of `rowsPerBlock` rows; with a 16-bit dtype
   * the data is a frozen weight, kept packed (it must be given).
   */
  static allocate(gpu: Gpu, rows: number, cols: number, perBlock: number, label: string, data?: Float32Array, dtype: TensorDtype = 'f32'): RowBlocks {
    const count = Math.ceil(rows / perBlock);
    const blocks = Array.from({ length: count }, (_, b) => {
      const first = b * perBlock;
      const n = Math.min(perBlock, rows - first);
      const name = count > 1 ? `${label} rows ${first}..${first + n}` : label;
      const values = data?.subarray(first * cols, (first + n) * cols);
      if (dtype !== 'f32') {
        if (!values) throw new RangeError(`${name}: a packed ${dtype} tensor needs its values`);
        return gpu.packedTensor([n, cols], name, narrowToHalves(values, dtype), dtype);
      }
      const t = gpu.tensor([n, cols], name, values);
      if (!data) gpu.clear([t]);
      return t;
    });
    return new RowBlocks(blocks, rows, cols, perBlock);
  }

  /** Block b's first row and row count. */
  extent(b: number): { first: number; rows: number } {
    const first = b * this.rowsPerBlock;
    return { first, rows: Math.min(this.rowsPerBlock, this.rows - first) };
  }

  /** Rows [first, first + count), which must lie in one block, as a view of that block. */
  slice(first: number, count: number): Tensor {
    const b = Math.floor(first / this.rowsPerBlock);
    const { first: start, rows } = this.extent(b);
    if (first + count > start + rows) {
      throw new RangeError(`rows [${first}, ${first + count}) cross the end of block ${b} (rows [${start}, ${start + rows}))`);
    }
    return this.blocks[b]!.rows(first - start, count);
  }

  /** All rows, read back into one array. */
  async download(gpu: Gpu): Promise<Float32Array> {
    const out = new Float32Array(this.rows * this.cols);
    for (const [b, block] of this.blocks.entries()) out.set(await gpu.readF32(block), this.extent(b).first * this.cols);
    return out;
  }

  /** Writes rows·cols values across the blocks. */
  upload(gpu: Gpu, data: Float32Array): void {
    if (data.length !== this.rows * this.cols) throw new RangeError(`${data.length} values for ${this.rows}×${this.cols} row blocks`);
    this.blocks.forEach((block, b) => {
      const { first, rows } = this.extent(b);
      gpu.write(block, data.subarray(first * this.cols, (first + rows) * this.cols));
    });
  }
}
