// The model in the worker: what is loading, how far, the memory planner's verdict, and what loaded.
import { create } from 'zustand';
import type { AdapterSummary } from '../../gpu/adapter.ts';
import type { MemoryPlan, RunShape } from '../../model/memoryPlanner.ts';
import { DEFAULT_RL_CONFIG, type RlConfig } from '../../rl/config.ts';
import type { ModelSourceSpec, ModelSummary } from '../../worker/protocol.ts';
import { sendToWorker } from '../engine.ts';

export const DEMO_MODEL_PATH = 'models/demo/';

export interface LoadProgress {
  phase: 'config' | 'download' | 'weights';
  done: number;
  total: number;
  label: string;
}

interface ModelStore {
  status: 'idle' | 'loading' | 'ready' | 'error';
  /** What is being loaded (or was last asked for). */
  requested: string | null;
  progress: LoadProgress | null;
  summary: ModelSummary | null;
  plan: { plan: MemoryPlan; shape: RunShape } | null;
  adapter: { summary: AdapterSummary; budgetBytes: number } | null;
  error: { message: string; recovery: string } | null;
  /** Which config sizes the memory verdict: set by the Training panel. */
  planConfig: () => RlConfig;
  load(source: ModelSourceSpec, transfer?: Transferable[]): void;
  loadDemo(): void;
  loadFiles(files: File[]): void;
  loadHub(repoId: string): void;
  importCheckpoint(file: Blob, name: string): Promise<void>;
  clearError(): void;
}

export const useModelStore = create<ModelStore>((set, get) => ({
  status: 'idle',
  requested: null,
  progress: null,
  summary: null,
  plan: null,
  adapter: null,
  error: null,
  planConfig: () => DEFAULT_RL_CONFIG,
  load(source, transfer = []) {
    const requested = source.kind === 'url' ? source.label : source.kind === 'hub' ? source.repoId : source.kind === 'files' ? source.label : source.name;
    set({ status: 'loading', requested, progress: null, error: null });
    sendToWorker({ type: 'load', source, config: get().planConfig() }, transfer);
  },
  loadDemo() {
    get().load({ kind: 'url', baseUrl: new URL(DEMO_MODEL_PATH, document.baseURI).href, label: 'demo model' });
  },
  loadFiles(files) {
    const folder = files[0]?.webkitRelativePath.split('/')[0];
    get().load({ kind: 'files', files, label: folder || `${files.length} dropped files` });
  },
  loadHub(repoId) {
    get().load({ kind: 'hub', repoId: repoId.trim(), revision: 'main' });
  },
  async importCheckpoint(file, name) {
    const bytes = await file.arrayBuffer();
    get().load({ kind: 'zip', bytes, name }, [bytes]);
  },
  clearError: () => set({ error: null }),
}));
