// Fresh weights for a config, as Hugging Face initialises a Llama: normal(0, 0.02) for
// embeddings and projections, zeros for biases, ones for norm weights. Seeded, so a
// benchmark or a demo model built from scratch is the same every time.
import { seededRandom } from '../util/random.ts';
import type { ModelConfig } from './config.ts';
import { parameterSpecs } from './parameters.ts';

export function initialWeights(config: ModelConfig, seed: number, std = 0.02): Map<string, Float32Array> {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const weights = new Map<string, Float32Array>();
  for (const { name, shape } of parameterSpecs(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name.endsWith('norm.weight')) values.fill(1);
    else if (!name.endsWith('.bias')) for (let i = 0; i < size; i++) values[i] = std * normal();
    weights.set(name, values);
  }
  return weights;
}
