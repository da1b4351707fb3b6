// The browser's way to a device: navigator.gpu, which exists only in a secure context
// (https or http://localhost) of a browser with WebGPU turned on.
import { NoAdapterError, openDevice, type OpenedDevice } from './adapter.ts';

export async function openBrowserDevice(): Promise<OpenedDevice> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new NoAdapterError(
      'This browser exposes no navigator.gpu. Open the lab in Chrome or Edge 113 or newer over ' +
        'http://localhost or https; on Linux start Chromium with --enable-unsafe-webgpu.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new NoAdapterError(
      'The browser has WebGPU but offered no adapter: check chrome://gpu, update the GPU driver, ' +
        'or start Chromium with --enable-unsafe-webgpu (it falls back to SwiftShader on the CPU).',
    );
  }
  return openDevice(adapter);
}
