// The engine on Node (command line, tests, benchmarks): Dawn's device plus shaders read from disk.
import { Gpu } from './gpu.ts';
import { openNodeDevice } from './nodeDevice.ts';
import { loadNodeShaders } from './nodeShaders.ts';

export async function createNodeGpu(): Promise<Gpu> {
  return new Gpu(await openNodeDevice(), loadNodeShaders());
}
