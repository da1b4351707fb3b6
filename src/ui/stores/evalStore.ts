// Held-out evaluations of the current run: before training (step 0), every eval_steps, and after.
import { create } from 'zustand';
import type { EvalPoint } from '../../worker/protocol.ts';

interface EvalStore {
  points: EvalPoint[];
  /** Prompts done of the evaluation now running; null when none runs. */
  progress: { step: number; done: number; total: number } | null;
  /** Whether the next run's evaluations before and after training also run the jailbreak templates. */
  attacks: boolean;
  setAttacks(attacks: boolean): void;
  add(point: EvalPoint): void;
  setProgress(progress: EvalStore['progress']): void;
  reset(points?: EvalPoint[]): void;
}

export const useEvalStore = create<EvalStore>((set) => ({
  points: [],
  progress: null,
  attacks: false,
  setAttacks: (attacks) => set({ attacks }),
  add: (point) => set((s) => ({ points: [...s.points.filter((p) => p.step !== point.step), point].sort((a, b) => a.step - b.step), progress: null })),
  setProgress: (progress) => set({ progress }),
  reset: (points = []) => set({ points, progress: null }),
}));
