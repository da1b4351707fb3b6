// The engine in the page (or its worker): navigator.gpu plus shaders bundled by Vite.
import { openBrowserDevice } from './browserDevice.ts';
import { loadBrowserShaders } from './browserShaders.ts';
import { Gpu } from './gpu.ts';

export async function createBrowserGpu(): Promise<Gpu> {
  return new Gpu(await openBrowserDevice(), loadBrowserShaders());
}
