// The user's ONNX models: the helpfulness scorer "onnx"'s reward model and the "onnx" refusal
// judge's classifier. The worker holds them; the page knows whether each is loading, ready or
// refused, and its name. One store per model, alike.
import { create } from 'zustand';
import type { OnnxModelRole } from '../../worker/protocol.ts';
import { sendToWorker } from '../engine.ts';

interface OnnxModelStore {
  status: 'none' | 'loading' | 'ready' | 'error';
  label: string | null;
  error: { message: string; recovery: string } | null;
  /** Sends the picked files (one .onnx, tokenizer.json, and its JSON configs) to the worker. */
  load(files: File[]): void;
}

function onnxModelStore(role: OnnxModelRole) {
  return create<OnnxModelStore>((set) => ({
    status: 'none',
    label: null,
    error: null,
    load(files) {
      const onnx = files.find((f) => f.name.endsWith('.onnx'));
      const label = onnx?.name ?? `${files.length} files`;
      set({ status: 'loading', label, error: null });
      sendToWorker({ type: 'loadOnnxModel', role, files, label });
    },
  }));
}

export const onnxModelStores: Record<OnnxModelRole, ReturnType<typeof onnxModelStore>> = { reward: onnxModelStore('reward'), refusal: onnxModelStore('refusal') };
