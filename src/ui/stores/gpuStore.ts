// Which WebGPU adapter the page has, or why it has none.
import { create } from 'zustand';
import type { AdapterSummary } from '../../gpu/adapter.ts';
import { openBrowserDevice } from '../../gpu/browserDevice.ts';

type GpuState =
  | { status: 'probing' }
  | { status: 'ready'; adapter: AdapterSummary }
  | { status: 'error'; message: string };

interface GpuStore {
  state: GpuState;
  probe(): Promise<void>;
}

export const useGpuStore = create<GpuStore>((set) => ({
  state: { status: 'probing' },
  async probe() {
    set({ state: { status: 'probing' } });
    try {
      const { device, summary } = await openBrowserDevice();
      // The probe only reports the adapter; the training worker opens its own device.
      device.destroy();
      set({ state: { status: 'ready', adapter: summary } });
    } catch (error) {
      set({ state: { status: 'error', message: error instanceof Error ? error.message : String(error) } });
    }
  },
}));
