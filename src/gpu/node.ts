// The engine on Node (command line, tests, benchmarks): Dawn's device plus shaders read from disk.
// LAB_MAX_BINDING_MIB lowers the binding cap below the adapter's maxStorageBufferBindingSize, so
// the row-block path of large tensors runs (and is tested) on any adapter.
import { useAutotuneStore } from './autotune.ts';
import { autotuneFileStore } from './autotuneFile.ts';
import { Gpu } from './gpu.ts';
import { openNodeDevice } from './nodeDevice.ts';
import { loadNodeShaders } from './nodeShaders.ts';

/** The binding cap in bytes that LAB_MAX_BINDING_MIB asks for, or undefined when it is not set. */
export function bindingCapFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env.LAB_MAX_BINDING_MIB;
  if (raw === undefined || raw === '') return undefined;
  const mib = Number(raw);
  if (!(Number.isFinite(mib) && mib > 0)) throw new RangeError(`LAB_MAX_BINDING_MIB is "${raw}": set it to a number of MiB above 0 (e.g. 128), or unset it`);
  return Math.max(256, Math.floor(mib * 2 ** 20));
}

export async function createNodeGpu(options: { maxBindingBytes?: number } = {}): Promise<Gpu> {
  const gpu = new Gpu(await openNodeDevice(), loadNodeShaders(), { maxBindingBytes: options.maxBindingBytes ?? bindingCapFromEnv(process.env) });
  // Autotuned kernel picks are remembered in a file (autotuneFile.ts).
  await useAutotuneStore(gpu, autotuneFileStore());
  return gpu;
}
