// A model's parameters on the GPU, one tensor per Hugging Face name, allocated once from the
// sizes table; gradients of the same shapes on demand. Read back only to export a checkpoint.
import type { Gpu, Tensor } from '../gpu/gpu.ts';
import type { ModelConfig } from './config.ts';
import { parameterSpecs, type ParameterSpec } from './parameters.ts';

export class ParameterSet {
  readonly specs: ParameterSpec[];
  private readonly tensors = new Map<string, Tensor>();

  constructor(
    private readonly gpu: Gpu,
    specs: ParameterSpec[],
    label: string,
    values?: ReadonlyMap<string, Float32Array>,
  ) {
    this.specs = specs;
    for (const spec of specs) {
      const data = values?.get(spec.name);
      if (values && !data) throw new Error(`${label}: no values for ${spec.name}`);
      const tensor = gpu.tensor(spec.shape, `${label} ${spec.name}`, data);
      if (!data) gpu.clear([tensor]);
      this.tensors.set(spec.name, tensor);
    }
  }

  /** The model's weights from a checkpoint's f32 tensors. */
  static weights(gpu: Gpu, config: ModelConfig, values: ReadonlyMap<string, Float32Array>): ParameterSet {
    return new ParameterSet(gpu, parameterSpecs(config), 'weight', values);
  }

  /** Zero-initialised tensors of the same shapes: gradients, or optimiser moments. */
  zerosLike(label: string): ParameterSet {
    return new ParameterSet(this.gpu, this.specs, label);
  }

  get(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`no parameter ${name}`);
    return t;
  }

  /** `name` if the model has it (biases, an untied lm_head), else null. */
  maybe(name: string): Tensor | null {
    return this.tensors.get(name) ?? null;
  }

  all(): Tensor[] {
    return [...this.tensors.values()];
  }

  async download(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, t] of this.tensors) out.set(name, await this.gpu.readF32(t));
    return out;
  }

  upload(values: ReadonlyMap<string, Float32Array>): void {
    for (const [name, t] of this.tensors) {
      const data = values.get(name);
      if (!data || data.length !== t.size) throw new Error(`cannot upload ${name}: expected ${t.size} values`);
      this.gpu.write(t, data);
    }
  }

  release(): void {
    this.gpu.release(...this.tensors.values());
    this.tensors.clear();
  }
}
