// A model's parameters on the GPU, one tensor per Hugging Face name, allocated once from the
// sizes table; gradients of the same shapes on demand. Read back only to export a checkpoint.
// A matrix over the GPU's binding cap (a large vocabulary's embedding or lm_head) is stored as
// row blocks (RowBlocks), each bindable; its gradients and optimiser moments are split alike.
// A frozen base may keep its matrices as the checkpoint stores them (f16 or bf16, packed two per
// u32, unpacked by the kernels that read them); norms and biases, and whatever trains, are f32.
import type { Gpu, Tensor, TensorDtype } from '../gpu/gpu.ts';
import { RowBlocks, rowsPerBlock } from '../gpu/rowBlocks.ts';
import type { ModelConfig } from './config.ts';
import { parameterSpecs, type ParameterSpec } from './parameters.ts';

export class ParameterSet {
  readonly specs: ParameterSpec[];
  private readonly tensors = new Map<string, RowBlocks>();

  /** dtype: how its matrices are stored ('f32', or a frozen base's 'f16' / 'bf16', which needs values). */
  constructor(
    private readonly gpu: Gpu,
    specs: ParameterSpec[],
    label: string,
    values?: ReadonlyMap<string, Float32Array>,
    readonly dtype: TensorDtype = 'f32',
  ) {
    this.specs = specs;
    for (const spec of specs) {
      const data = values?.get(spec.name);
      if (values && !data) throw new Error(`${label}: no values for ${spec.name}`);
      const [rows, cols = 1] = spec.shape;
      // Only matrices are read by the kernels that unpack (matmul's b, the embedding gather).
      const stored = spec.shape.length === 2 ? dtype : 'f32';
      const perBlock = rowsPerBlock(rows!, cols, gpu.maxBindingBytes, stored);
      if (perBlock < rows! || stored !== 'f32') {
        this.tensors.set(spec.name, RowBlocks.allocate(gpu, rows!, cols, perBlock, `${label} ${spec.name}`, data, stored));
      } else {
        const tensor = gpu.tensor(spec.shape, `${label} ${spec.name}`, data);
        if (!data) gpu.clear([tensor]);
        this.tensors.set(spec.name, RowBlocks.whole(tensor));
      }
    }
  }

  /** The model's weights from a checkpoint's tensors (widened to f32), stored as `dtype`. */
  static weights(gpu: Gpu, config: ModelConfig, values: ReadonlyMap<string, Float32Array>, dtype: TensorDtype = 'f32'): ParameterSet {
    return new ParameterSet(gpu, parameterSpecs(config), 'weight', values, dtype);
  }

  /** Zero-initialised f32 tensors of the same shapes: gradients, or optimiser moments. */
  zerosLike(label: string): ParameterSet {
    return new ParameterSet(this.gpu, this.specs, label);
  }

  /** `name` as one tensor; a parameter stored as row blocks is read with `blocks`. */
  get(name: string): Tensor {
    const blocks = this.blocks(name);
    if (blocks.blocks.length > 1) {
      throw new Error(`${name} is stored as ${blocks.blocks.length} row blocks (it is over the ${this.gpu.maxBindingBytes}-byte binding cap): read it with blocks()`);
    }
    return blocks.blocks[0]!;
  }

  /** `name` if the model has it (biases, an untied lm_head), else null. */
  maybe(name: string): Tensor | null {
    return this.tensors.has(name) ? this.get(name) : null;
  }

  /** `name` as row blocks (one block when it is within the binding cap). */
  blocks(name: string): RowBlocks {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`no parameter ${name}`);
    return t;
  }

  maybeBlocks(name: string): RowBlocks | null {
    return this.tensors.get(name) ?? null;
  }

  /** Every tensor, blocks one by one: for elementwise work (zeroing, norms, optimiser updates). */
  all(): Tensor[] {
    return [...this.tensors.values()].flatMap((t) => t.blocks);
  }

  async download(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, t] of this.tensors) out.set(name, await t.download(this.gpu));
    return out;
  }

  upload(values: ReadonlyMap<string, Float32Array>): void {
    for (const [name, t] of this.tensors) {
      const data = values.get(name);
      if (!data || data.length !== t.rows * t.cols) throw new Error(`cannot upload ${name}: expected ${t.rows * t.cols} values`);
      t.upload(this.gpu, data);
    }
  }

  release(): void {
    this.gpu.release(...this.all());
    this.tensors.clear();
  }
}
