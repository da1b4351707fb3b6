// The sampled completions of the latest steps, for the Rollouts panel (older steps are dropped).
import { create } from 'zustand';
import type { RolloutView } from '../../worker/protocol.ts';

export const ROLLOUT_STEPS_KEPT = 20;

interface RolloutsStore {
  rollouts: RolloutView[];
  add(step: number, rollouts: RolloutView[]): void;
  reset(): void;
}

export const useRolloutsStore = create<RolloutsStore>((set) => ({
  rollouts: [],
  add: (step, rollouts) =>
    set((s) => ({ rollouts: [...s.rollouts.filter((r) => r.step < step && r.step > step - ROLLOUT_STEPS_KEPT), ...rollouts] })),
  reset: () => set({ rollouts: [] }),
}));
