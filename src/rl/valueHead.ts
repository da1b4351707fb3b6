// The small value head of PPO with GAE (the paper's setting): V(s_t) = lnf_t · w + b on the
// policy's final normalised hidden state, trained with the clipped value loss beside the policy.
// It has its own AdamW, as veRL's critic has its own optimiser.
import type { Dispatch, Gpu, Tensor } from '../gpu/gpu.ts';
import { linearBackward } from '../model/backward.ts';
import { linearForward } from '../model/llama.ts';
import { parseSafetensors, serializeSafetensors } from '../model/safetensors.ts';
import { ParameterSet } from '../model/weights.ts';
import { AdamW, type OptimizerSettings } from '../train/optimizer.ts';

export const VALUE_HEAD_WEIGHT = 'value_head.weight';
export const VALUE_HEAD_BIAS = 'value_head.bias';

export class ValueHead {
  readonly weights: ParameterSet;
  readonly grads: ParameterSet;
  readonly optimizer: AdamW;

  /** Starts at zero (values 0 until it learns), unless `values` restores a checkpoint's. */
  constructor(
    private readonly gpu: Gpu,
    readonly C: number,
    settings: OptimizerSettings,
    values?: ReadonlyMap<string, Float32Array>,
  ) {
    const specs = [
      { name: VALUE_HEAD_WEIGHT, shape: [1, C] },
      { name: VALUE_HEAD_BIAS, shape: [1] },
    ];
    this.weights = new ParameterSet(gpu, specs, 'value head', values);
    this.grads = this.weights.zerosLike('value head grad');
    this.optimizer = new AdamW(gpu, this.weights, this.grads, settings);
  }

  /** values (N) = lnf (N, C) · wᵀ + b. */
  forward(values: Tensor, lnf: Tensor, N: number): Dispatch {
    return linearForward(this.gpu, values, lnf, this.weights.get(VALUE_HEAD_WEIGHT), this.weights.get(VALUE_HEAD_BIAS), N, 1, this.C);
  }

  /** dlnf += dvalue · w; dw += dvalueᵀ · lnf; db += Σ dvalue. */
  backward(dlnf: Tensor, dvalue: Tensor, lnf: Tensor, N: number): Dispatch[] {
    const g = this.grads;
    return linearBackward(this.gpu, dlnf, g.get(VALUE_HEAD_WEIGHT), g.get(VALUE_HEAD_BIAS), dvalue, lnf, this.weights.get(VALUE_HEAD_WEIGHT), N, 1, this.C, true);
  }

  /** Weights, moments and step as one safetensors file, beside a checkpoint's model. */
  async save(): Promise<Uint8Array> {
    const state = await this.optimizer.exportState();
    const weights = await this.weights.download();
    const tensors = this.weights.specs.flatMap(({ name, shape }) => [
      { name, shape, data: weights.get(name)! },
      { name: `m.${name}`, shape, data: state.m.get(name)! },
      { name: `v.${name}`, shape, data: state.v.get(name)! },
    ]);
    return serializeSafetensors(tensors, 'F32', { format: 'pt', step: String(state.t) });
  }

  /** Restores what save() wrote. */
  restore(bytes: Uint8Array, fileName: string): void {
    const file = parseSafetensors(bytes, fileName);
    const read = (prefix: string) => new Map(this.weights.specs.map(({ name }) => [name, file.read(`${prefix}${name}`)]));
    this.weights.upload(read(''));
    this.optimizer.importState({ t: Number(file.metadata.step ?? 0), m: read('m.'), v: read('v.') });
  }

  release(): void {
    this.weights.release();
    this.grads.release();
    this.optimizer.release();
  }
}
