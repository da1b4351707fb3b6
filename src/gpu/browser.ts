// The engine in the page (or its worker): navigator.gpu plus shaders bundled by Vite.
// Autotuned kernel picks are remembered in IndexedDB (autotuneBrowser.ts).
import { useAutotuneStore } from './autotune.ts';
import { autotuneSettingsStore } from './autotuneBrowser.ts';
import { openBrowserDevice } from './browserDevice.ts';
import { loadBrowserShaders } from './browserShaders.ts';
import { Gpu } from './gpu.ts';

/** maxBindingBytes: the page's binding cap (the GPU panel's setting), below the adapter's limit. */
export async function createBrowserGpu(options: { maxBindingBytes?: number } = {}): Promise<Gpu> {
  const gpu = new Gpu(await openBrowserDevice(), loadBrowserShaders(), options);
  await useAutotuneStore(gpu, autotuneSettingsStore());
  return gpu;
}
