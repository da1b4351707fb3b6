// Progress inside a run, finer than its steps: which phase is in flight (an evaluation, or a
// step's generating, judging and updating), how far it has gone, and the run's remaining time
// estimated from how long the phases take. The trainer and the evaluations report phases to a
// listener; the page (through the worker) and `lab train` time them with a StepPhaseTimer.

/** A step's phases, in the order the trainer runs them. */
export const STEP_PHASES = ['generating', 'judging', 'updating'] as const;
export type StepPhaseKind = (typeof STEP_PHASES)[number];

/**
 * Where a run is. `done` of `total` units are finished: generation batches (generating), the whole
 * judging (0 or 1 of 1: the verifiers, the rewards and the advantages), micro-batches over every
 * PPO epoch (updating), batches of held-out prompts (evaluating). A phase is reported as it
 * begins (done 0) and after each unit.
 */
export type RunPhase =
  | { kind: StepPhaseKind; /** The step in flight (1 for the first). */ step: number; done: number; total: number }
  | {
      kind: 'evaluating';
      /** Steps taken before this evaluation: 0 before training. */
      afterStep: number;
      /** The held-out prompts, or the held-out harmful ones under the jailbreak templates. */
      prompts: 'held-out' | 'attacks';
      done: number;
      total: number;
    };

export type RunPhaseListener = (phase: RunPhase) => void;

/** An evaluation's phase from `evaluate`'s progress, which counts prompts: batches of `batch` prompts. */
export function evaluatingPhase(afterStep: number, prompts: 'held-out' | 'attacks', donePrompts: number, totalPrompts: number, batch: number): RunPhase {
  return { kind: 'evaluating', afterStep, prompts, done: Math.ceil(donePrompts / batch), total: Math.ceil(totalPrompts / batch) };
}

/** The phase in words, naming the unit in flight: "step 3: updating micro-batch 2 of 4". */
export function phaseText(phase: RunPhase): string {
  const unit = (name: string) => `${name} ${Math.min(phase.done + 1, phase.total)} of ${phase.total}`;
  switch (phase.kind) {
    case 'evaluating': {
      const when = phase.afterStep === 0 ? 'before training' : `after step ${phase.afterStep}`;
      const what = phase.prompts === 'held-out' ? 'held-out prompts' : 'attacks';
      return `evaluating ${what} ${when}: ${unit('batch')}`;
    }
    case 'generating':
      return `step ${phase.step}: generating, ${unit('batch')}`;
    case 'judging':
      return `step ${phase.step}: judging`;
    case 'updating':
      return `step ${phase.step}: updating, ${unit('micro-batch')}`;
  }
}

/** phaseText, with the share of the step done for a step's phases: "step 3: judging (40 % of the step)". */
export function phaseProgressText(phase: RunPhase, estimate: RunEstimate | null): string {
  const share = phase.kind === 'evaluating' || !estimate ? '' : ` (${Math.round(100 * estimate.stepFraction)} % of the step)`;
  return `${phaseText(phase)}${share}`;
}

/** Steps finished when a phase is reported. */
export function stepsDoneAt(phase: RunPhase): number {
  return phase.kind === 'evaluating' ? phase.afterStep : phase.step - 1;
}

/** How far the step in flight is and how long the run has left. */
export interface RunEstimate {
  /** The share of the step in flight that is done, 0 to 1 (0 between steps). */
  stepFraction: number;
  /** Seconds until the last step ends (evaluations not counted); null before anything is timed. */
  etaSeconds: number | null;
  /** The ETA counts only the phases seen so far (during the first step): the run takes at least that. */
  etaAtLeast: boolean;
}

/** Steps whose mean time the ETA takes once steps have finished. */
const RECENT_STEPS = 5;

/**
 * Times the phases of the steps from their reports (observe, with the time they arrive) and
 * estimates the rest of the run from them:
 * - once a step has finished, a step takes the mean time of the last few, and the step in flight
 *   is as far as its phases are, each weighted by its share of the last finished step's time;
 * - during the first step, each phase seen so far takes what it has taken per unit times its units
 *   (at least what it has taken), and phases not yet seen take nothing, so the ETA is a lower
 *   bound until the last phase has finished a unit; with no time to weigh them by, the step's
 *   phases count a third each.
 * Evaluations are between steps and are not timed.
 */
export class StepPhaseTimer {
  /** The step in flight: when each of its phases began (ms), its latest report and when it came. */
  private current: { step: number; began: Partial<Record<StepPhaseKind, number>>; latest: RunPhase & { kind: StepPhaseKind }; latestAt: number } | null = null;
  /** Seconds each phase took in the last few finished steps, oldest first. */
  private finished: Record<StepPhaseKind, number>[] = [];

  observe(phase: RunPhase, nowMs: number): void {
    if (phase.kind === 'evaluating') return;
    if (this.current?.step !== phase.step) this.current = { step: phase.step, began: {}, latest: phase, latestAt: nowMs };
    this.current.began[phase.kind] ??= nowMs;
    this.current.latest = phase;
    this.current.latestAt = nowMs;
  }

  /** The step in flight has ended (its result is in): its phase times weigh the next estimates. */
  stepEnded(nowMs: number): void {
    if (!this.current) return;
    const { began } = this.current;
    const seconds = {} as Record<StepPhaseKind, number>;
    STEP_PHASES.forEach((kind, i) => {
      const start = began[kind];
      // A phase ends where the next one seen begins, the last at the step's end.
      const end = STEP_PHASES.slice(i + 1).map((next) => began[next]).find((t) => t !== undefined) ?? nowMs;
      seconds[kind] = start === undefined ? 0 : (end - start) / 1000;
    });
    this.finished = [...this.finished, seconds].slice(-RECENT_STEPS);
    this.current = null;
  }

  /** The estimate at nowMs, with `stepsDone` steps finished of `maxSteps`. */
  estimate(stepsDone: number, maxSteps: number, nowMs: number): RunEstimate {
    const current = this.current;
    const newest = this.finished.at(-1);
    if (newest) {
      const total = (s: Record<StepPhaseKind, number>) => STEP_PHASES.reduce((sum, kind) => sum + s[kind], 0);
      const stepSeconds = this.finished.reduce((sum, s) => sum + total(s), 0) / this.finished.length;
      const share = (kind: StepPhaseKind) => (total(newest) > 0 ? newest[kind] / total(newest) : 1 / STEP_PHASES.length);
      const stepFraction = current ? this.fractionOfStep(current.latest, share) : 0;
      return { stepFraction, etaSeconds: stepSeconds * Math.max(0, maxSteps - stepsDone - stepFraction), etaAtLeast: false };
    }
    if (!current) return { stepFraction: 0, etaSeconds: null, etaAtLeast: false };
    let stepSeconds = 0;
    let atLeast = false;
    STEP_PHASES.forEach((kind, i) => {
      const start = current.began[kind];
      if (start === undefined) {
        atLeast = true;
        return;
      }
      const next = STEP_PHASES.slice(i + 1).map((k) => current.began[k]).find((t) => t !== undefined);
      if (next !== undefined) {
        stepSeconds += (next - start) / 1000;
        return;
      }
      const { done, total } = current.latest;
      const elapsed = (nowMs - start) / 1000;
      if (done === 0) atLeast = true;
      stepSeconds += done === 0 ? elapsed : Math.max(elapsed, (((current.latestAt - start) / 1000) * total) / done);
    });
    const stepStart = Math.min(...Object.values(current.began));
    const elapsed = (nowMs - stepStart) / 1000;
    const stepsAfter = Math.max(0, maxSteps - current.step);
    return {
      stepFraction: this.fractionOfStep(current.latest, () => 1 / STEP_PHASES.length),
      etaSeconds: Math.max(0, stepSeconds - elapsed) + stepSeconds * stepsAfter,
      etaAtLeast: atLeast,
    };
  }

  /** The phases before the latest in full, and the latest as far as its units, by each phase's share. */
  private fractionOfStep(latest: RunPhase & { kind: StepPhaseKind }, share: (kind: StepPhaseKind) => number): number {
    const index = STEP_PHASES.indexOf(latest.kind);
    const before = STEP_PHASES.slice(0, index).reduce((sum, kind) => sum + share(kind), 0);
    return Math.min(1, before + (share(latest.kind) * latest.done) / Math.max(1, latest.total));
  }
}
