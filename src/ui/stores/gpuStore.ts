// Which WebGPU adapter the page has, or why it has none; and the page's binding cap (the CLI's
// LAB_MAX_BINDING_MIB): a size below the adapter's maxStorageBufferBindingSize that the training
// worker's device works to, storing larger tensors as row blocks (to run a phone's 128 MiB on a
// desktop, or to get round a driver's limit). It is kept in localStorage, not the lab's IndexedDB:
// it must be known synchronously, before the worker opens its device for the first model.
import { create } from 'zustand';
import type { AdapterSummary } from '../../gpu/adapter.ts';
import { openBrowserDevice } from '../../gpu/browserDevice.ts';
import { setBindingCap } from '../engine.ts';

/** localStorage key of the binding cap, in MiB. */
export const BINDING_CAP_KEY = 'alphaalign-lab max binding MiB';

/** The field's text as a cap: '' is none (the adapter's limit), else MiB above 0; or what is wrong. */
export function parseBindingCap(text: string): { mib: number | null } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { mib: null };
  const mib = Number(trimmed);
  if (!(Number.isFinite(mib) && mib > 0)) return { problem: `"${trimmed}" is not a size: give MiB above 0 (e.g. 128), or leave it empty for the adapter's own limit` };
  return { mib };
}

function savedBindingCap(): string {
  try {
    return globalThis.localStorage?.getItem(BINDING_CAP_KEY) ?? '';
  } catch {
    return ''; // storage blocked: no cap
  }
}

type GpuState =
  | { status: 'probing' }
  | { status: 'ready'; adapter: AdapterSummary }
  | { status: 'error'; message: string };

interface GpuStore {
  state: GpuState;
  probe(): Promise<void>;
  /** The binding cap field's text: '' or MiB. */
  bindingCapText: string;
  /** Why the text is not a cap, or null. */
  bindingCapProblem: string | null;
  /** Takes the field's text; a valid cap is saved and handed to the training worker. */
  setBindingCapText(text: string): void;
}

const initialCap = savedBindingCap();
const parsedInitialCap = parseBindingCap(initialCap);
setBindingCap('mib' in parsedInitialCap && parsedInitialCap.mib !== null ? Math.floor(parsedInitialCap.mib * 2 ** 20) : null);

export const useGpuStore = create<GpuStore>((set) => ({
  state: { status: 'probing' },
  bindingCapText: 'mib' in parsedInitialCap ? initialCap : '',
  bindingCapProblem: null,
  setBindingCapText(text) {
    const parsed = parseBindingCap(text);
    if ('problem' in parsed) {
      set({ bindingCapText: text, bindingCapProblem: parsed.problem });
      return;
    }
    set({ bindingCapText: text, bindingCapProblem: null });
    try {
      globalThis.localStorage?.setItem(BINDING_CAP_KEY, text.trim());
    } catch {
      // storage blocked: the cap holds for this page only
    }
    setBindingCap(parsed.mib === null ? null : Math.floor(parsed.mib * 2 ** 20));
  },
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
