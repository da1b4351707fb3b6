// The model in the worker: what is loading, how far, the memory planner's verdict, and what loaded.
import { create } from 'zustand';
import type { AdapterSummary } from '../../gpu/adapter.ts';
import { parseHubReference } from '../../model/hubSource.ts';
import type { MemoryPlan, RunShape } from '../../model/memoryPlanner.ts';
import { DEFAULT_RL_CONFIG, type RlConfig } from '../../rl/config.ts';
import { counted } from '../../util/plural.ts';
import type { FrozenBase, ModelSourceSpec, ModelSummary } from '../../worker/protocol.ts';
import { sendToWorker } from '../engine.ts';
import { useHubSettingsStore } from './hubSettingsStore.ts';

export const DEMO_MODEL_PATH = 'models/demo/';

export interface LoadProgress {
  phase: 'config' | 'weights';
  done: number;
  total: number;
  label: string;
}

/** One file of the model being fetched: bytes so far of its Content-Length (null: the server gave none). */
export interface FileDownload {
  file: string;
  received: number;
  total: number | null;
}

interface ModelStore {
  status: 'idle' | 'loading' | 'ready' | 'error';
  /** What is being loaded (or was last asked for). */
  requested: string | null;
  progress: LoadProgress | null;
  /** The files fetched for the load in progress, in the order they started. */
  downloads: FileDownload[];
  summary: ModelSummary | null;
  plan: { plan: MemoryPlan; shape: RunShape } | null;
  adapter: { summary: AdapterSummary; budgetBytes: number } | null;
  error: { message: string; recovery: string } | null;
  /** Which config sizes the memory verdict: set by the Training panel. */
  planConfig: () => RlConfig;
  load(source: ModelSourceSpec, transfer?: Transferable[]): void;
  loadDemo(): void;
  /** A model folder's files, or a single checkpoint zip. */
  loadFiles(files: File[]): void;
  /** A repo id, or the address of its page on huggingface.co. */
  loadHub(input: string): void;
  /** A checkpoint zip; `base`: the frozen base a LoRA autosave's adapter goes on (its files, or null when no longer kept). */
  importCheckpoint(file: Blob, name: string, base?: FrozenBase & { files: ArrayBuffer | null }): Promise<void>;
  /** A file's download moved on (the worker's downloadProgress event). */
  downloadProgress(download: FileDownload): void;
  clearError(): void;
}

export const useModelStore = create<ModelStore>((set, get) => ({
  status: 'idle',
  requested: null,
  progress: null,
  downloads: [],
  summary: null,
  plan: null,
  adapter: null,
  error: null,
  planConfig: () => DEFAULT_RL_CONFIG,
  load(source, transfer = []) {
    const requested = source.kind === 'url' ? source.label : source.kind === 'hub' ? source.repoId : source.kind === 'files' ? source.label : source.name;
    // The last model's plan goes: the new one's comes from its config.json, before any weights.
    set({ status: 'loading', requested, progress: null, downloads: [], plan: null, error: null });
    sendToWorker({ type: 'load', source, config: get().planConfig() }, transfer);
  },
  loadDemo() {
    get().load({ kind: 'url', baseUrl: new URL(DEMO_MODEL_PATH, document.baseURI).href, label: 'demo model' });
  },
  loadFiles(files) {
    // A checkpoint zip (the Export panel's download) goes to the same loader as its import.
    const zip = files.length === 1 && /\.zip$/i.test(files[0]!.name) ? files[0]! : null;
    if (zip) {
      void get().importCheckpoint(zip, zip.name);
      return;
    }
    const folder = files[0]?.webkitRelativePath.split('/')[0];
    const { baseUrl, token } = useHubSettingsStore.getState();
    const hub = baseUrl === null ? null : { baseUrl, token: token || null };
    get().load({ kind: 'files', files, label: folder || counted(files.length, 'dropped file'), hub });
  },
  loadHub(input) {
    // A pasted model page's address becomes its repo id (and revision); anything else goes as
    // typed, for the worker's hub source to refuse with its message.
    const reference = parseHubReference(input);
    const { baseUrl, baseUrlProblem, token } = useHubSettingsStore.getState();
    if (baseUrl === null) {
      set({ error: { message: `the Hub address: ${baseUrlProblem ?? 'not an address'}`, recovery: 'Correct the Hub address, or clear it for huggingface.co.' } });
      return;
    }
    get().load({ kind: 'hub', repoId: reference?.repoId ?? input.trim(), revision: reference?.revision ?? 'main', baseUrl, token: token || null });
  },
  async importCheckpoint(file, name, base) {
    const bytes = await file.arrayBuffer();
    get().load({ kind: 'zip', bytes, name, ...(base ? { base } : {}) }, [bytes, ...(base?.files ? [base.files] : [])]);
  },
  downloadProgress(download) {
    const downloads = get().downloads;
    const at = downloads.findIndex((d) => d.file === download.file);
    set({ downloads: at < 0 ? [...downloads, download] : downloads.map((d, i) => (i === at ? download : d)) });
  },
  clearError: () => set({ error: null }),
}));
