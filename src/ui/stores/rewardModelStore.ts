// The ONNX reward model of the helpfulness scorer "onnx": the worker holds it; the page knows
// whether one is loading, ready or refused, and its name.
import { create } from 'zustand';
import { sendToWorker } from '../engine.ts';

interface RewardModelStore {
  status: 'none' | 'loading' | 'ready' | 'error';
  label: string | null;
  error: { message: string; recovery: string } | null;
  /** Sends the picked files (one .onnx, tokenizer.json, optionally tokenizer_config.json) to the worker. */
  load(files: File[]): void;
}

export const useRewardModelStore = create<RewardModelStore>((set) => ({
  status: 'none',
  label: null,
  error: null,
  load(files) {
    const onnx = files.find((f) => f.name.endsWith('.onnx'));
    const label = onnx?.name ?? `${files.length} files`;
    set({ status: 'loading', label, error: null });
    sendToWorker({ type: 'loadRewardModel', files, label });
  },
}));
