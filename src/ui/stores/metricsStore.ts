// The per-step metrics of the current run (train rollouts), for the Charts panel and the CSV export.
import { create } from 'zustand';
import type { StepMetrics } from '../../rl/metrics.ts';

interface MetricsStore {
  history: StepMetrics[];
  add(metrics: StepMetrics): void;
  reset(history?: StepMetrics[]): void;
}

export const useMetricsStore = create<MetricsStore>((set) => ({
  history: [],
  add: (metrics) => set((s) => ({ history: [...s.history.filter((m) => m.step < metrics.step), metrics] })),
  reset: (history = []) => set({ history }),
}));
