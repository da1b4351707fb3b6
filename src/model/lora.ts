// LoRA adapters (Hu et al. 2021) in PEFT's layout: a projection y = x·Wᵀ gains
// y += (alpha / r) · (x·Aᵀ)·Bᵀ with A (r, in) and B (out, r); the base stays frozen. Tensor names
// are PEFT's (base_model.model.<module>.lora_A.weight), so adapter_model.safetensors is written
// and read as it is. With the adapters switched off the model is the base: the reference policy
// of RL needs no second copy of the weights.
import type { Gpu } from '../gpu/gpu.ts';
import { seededRandom } from '../util/random.ts';
import type { ModelConfig } from './config.ts';
import type { ParameterSpec } from './parameters.ts';
import { ParameterSet } from './weights.ts';

/** The projections an adapter can sit on, by their Hugging Face module names. */
export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraSettings {
  rank: number;
  alpha: number;
  targets: readonly LoraTarget[];
  /** PEFT's lora_dropout: applied to an adapter's input while training, in [0, 1). */
  dropout: number;
}

export const DEFAULT_LORA: LoraSettings = { rank: 8, alpha: 16, targets: LORA_TARGETS, dropout: 0 };

export class LoraSettingsError extends Error {
  override name = 'LoraSettingsError';
}

export function checkLoraSettings(s: LoraSettings): void {
  if (!Number.isInteger(s.rank) || s.rank < 1 || s.rank > 512) throw new LoraSettingsError(`LoRA rank must be an integer in 1..512, not ${s.rank}`);
  if (!(s.alpha > 0)) throw new LoraSettingsError(`LoRA alpha must be positive, not ${s.alpha}`);
  if (!(s.dropout >= 0 && s.dropout < 1)) throw new LoraSettingsError(`LoRA dropout must be in [0, 1), not ${s.dropout}`);
  if (s.targets.length === 0) throw new LoraSettingsError(`LoRA needs at least one target module (${LORA_TARGETS.join(', ')})`);
  for (const t of s.targets) {
    if (!LORA_TARGETS.includes(t)) throw new LoraSettingsError(`"${t}" is not a LoRA target; choose from ${LORA_TARGETS.join(', ')}`);
  }
}

/** The Hugging Face module path of a target in layer l, e.g. model.layers.0.self_attn.q_proj. */
export function modulePath(l: number, target: LoraTarget): string {
  const block = ['gate_proj', 'up_proj', 'down_proj'].includes(target) ? 'mlp' : 'self_attn';
  return `model.layers.${l}.${block}.${target}`;
}

export const loraAName = (module: string) => `base_model.model.${module}.lora_A.weight`;
export const loraBName = (module: string) => `base_model.model.${module}.lora_B.weight`;

/** (out, in) of a target's base weight. */
export function targetShape(config: ModelConfig, target: LoraTarget): [number, number] {
  const { hiddenSize: C, intermediateSize: I, numHeads: NH, numKvHeads: NKV, headDim: hs } = config;
  const shapes: Record<LoraTarget, [number, number]> = {
    q_proj: [NH * hs, C],
    k_proj: [NKV * hs, C],
    v_proj: [NKV * hs, C],
    o_proj: [C, NH * hs],
    gate_proj: [I, C],
    up_proj: [I, C],
    down_proj: [C, I],
  };
  return shapes[target];
}

export function loraSpecs(config: ModelConfig, s: LoraSettings): ParameterSpec[] {
  const specs: ParameterSpec[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    for (const target of s.targets) {
      const [out, inp] = targetShape(config, target);
      specs.push({ name: loraAName(modulePath(l, target)), shape: [s.rank, inp] });
      specs.push({ name: loraBName(modulePath(l, target)), shape: [out, s.rank] });
    }
  }
  return specs;
}

/** PEFT's initialisation: A uniform in ±1/√in (kaiming_uniform with a = √5), B zero. */
export function initialLoraWeights(config: ModelConfig, s: LoraSettings, seed: number): Map<string, Float32Array> {
  const random = seededRandom(seed);
  const weights = new Map<string, Float32Array>();
  for (const spec of loraSpecs(config, s)) {
    const values = new Float32Array(spec.shape[0]! * spec.shape[1]!);
    if (spec.name.endsWith('lora_A.weight')) {
      const bound = 1 / Math.sqrt(spec.shape[1]!);
      for (let i = 0; i < values.length; i++) values[i] = (2 * random() - 1) * bound;
    }
    weights.set(spec.name, values);
  }
  return weights;
}

/** The adapters of a model on the GPU. */
export class LoraAdapter {
  readonly weights: ParameterSet;
  readonly scale: number;

  constructor(
    gpu: Gpu,
    readonly config: ModelConfig,
    readonly settings: LoraSettings,
    values: ReadonlyMap<string, Float32Array>,
  ) {
    checkLoraSettings(settings);
    this.weights = new ParameterSet(gpu, loraSpecs(config, settings), 'lora', values);
    this.scale = settings.alpha / settings.rank;
  }

  /** A and B of one projection, or null where it has no adapter. */
  of(l: number, target: LoraTarget) {
    if (!this.settings.targets.includes(target)) return null;
    const module = modulePath(l, target);
    return { A: this.weights.get(loraAName(module)), B: this.weights.get(loraBName(module)) };
  }
}

/** PEFT's adapter_config.json for these settings. */
export function adapterConfig(s: LoraSettings, baseModel: string): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: s.rank,
    lora_alpha: s.alpha,
    lora_dropout: s.dropout,
    target_modules: [...s.targets],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: false,
  };
}

/** Settings from a PEFT adapter_config.json, refusing what the engine does not implement. */
export function parseAdapterConfig(json: Record<string, unknown>, fileName: string): LoraSettings {
  const fail = (problem: string): never => {
    throw new LoraSettingsError(`${fileName}: ${problem}`);
  };
  if (json.peft_type !== 'LORA') fail(`peft_type is ${JSON.stringify(json.peft_type)}; the lab reads LORA adapters`);
  if (json.fan_in_fan_out === true) fail('fan_in_fan_out adapters (GPT-2 style Conv1D) are not supported');
  if (json.bias !== undefined && json.bias !== 'none') fail(`bias "${String(json.bias)}" is not supported; only "none"`);
  if (json.use_dora === true) fail('DoRA adapters are not supported');
  const targets = json.target_modules;
  if (!Array.isArray(targets)) fail('target_modules must be a list of module names');
  const settings: LoraSettings = {
    rank: Number(json.r),
    alpha: Number(json.lora_alpha ?? json.r),
    targets: targets as LoraTarget[],
    dropout: Number(json.lora_dropout ?? 0),
  };
  try {
    checkLoraSettings(settings);
  } catch (error) {
    fail((error as Error).message);
  }
  return settings;
}

/** W + (alpha/r)·B·A for every adapted projection: the merged weights of an export. */
export function mergeLora(
  config: ModelConfig,
  s: LoraSettings,
  base: ReadonlyMap<string, Float32Array>,
  lora: ReadonlyMap<string, Float32Array>,
): Map<string, Float32Array> {
  const merged = new Map(base);
  const scale = s.alpha / s.rank;
  for (let l = 0; l < config.numLayers; l++) {
    for (const target of s.targets) {
      const module = modulePath(l, target);
      const [out, inp] = targetShape(config, target);
      const A = lora.get(loraAName(module))!;
      const B = lora.get(loraBName(module))!;
      const W = Float32Array.from(base.get(`${module}.weight`)!);
      for (let o = 0; o < out; o++) {
        for (let i = 0; i < inp; i++) {
          let sum = 0;
          for (let r = 0; r < s.rank; r++) sum += B[o * s.rank + r]! * A[r * inp + i]!;
          W[o * inp + i] = W[o * inp + i]! + scale * sum;
        }
      }
      merged.set(`${module}.weight`, W);
    }
  }
  return merged;
}
