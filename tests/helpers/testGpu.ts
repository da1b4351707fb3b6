// One device per test worker: opening Dawn on SwiftShader costs time, kernels are cheap.
import { createNodeGpu } from '../../src/gpu/node.ts';
import type { Gpu, Tensor } from '../../src/gpu/gpu.ts';

let shared: Promise<Gpu> | null = null;

export function testGpu(): Promise<Gpu> {
  shared ??= createNodeGpu();
  return shared;
}

/** Uploads float64 test data as an f32 tensor. */
export function upload(gpu: Gpu, shape: number[], data: Float64Array | number[], label = 'test'): Tensor {
  return gpu.tensor(shape, label, Float32Array.from(data));
}

export function uploadU32(gpu: Gpu, shape: number[], data: ArrayLike<number>, label = 'test ids'): Tensor {
  return gpu.tensor(shape, label, Uint32Array.from(data));
}

/** Runs the dispatches as one phase and reads the given tensors back. */
export async function runAndRead(gpu: Gpu, dispatches: Parameters<Gpu['run']>[0], ...outputs: Tensor[]): Promise<Float32Array[]> {
  gpu.run(dispatches);
  return Promise.all(outputs.map((t) => gpu.readF32(t)));
}
