// Kernels timed on the user's adapter. The first time a launcher meets a shape class on an adapter
// (say "NN, large, vec4-aligned" for matmul), it asks for a tuning: every candidate kernel runs on
// operands of that class, is checked against a trusted kernel's result (a candidate that computes
// anything else is dropped, whatever its speed) and timed, and the fastest is picked. Picks are
// remembered per adapter and lab version in a store (a JSON file for the command line, IndexedDB in
// the page), so the next run on that adapter starts with them and times nothing.
//
// Launchers build dispatches synchronously, so a tuning runs in the background, one at a time:
// dispatches built before it ends use the launcher's default, those built after use the pick.
import { APP_VERSION } from '../version.ts';
import type { AdapterSummary } from './adapter.ts';
import type { Dispatch, Gpu } from './gpu.ts';

/** Remembered picks of every adapter seen: adapter key → shape class → kernel id. */
export type AutotunePicks = Record<string, Record<string, string>>;

/** Where picks are kept between runs. */
export interface AutotuneStore {
  /** What was saved last ({} if nothing was). */
  load(): Promise<AutotunePicks>;
  save(picks: AutotunePicks): Promise<void>;
}

/** Picks hold for one adapter (vendor, architecture, device, driver description) and one lab version. */
export function adapterKey(adapter: AdapterSummary, version: string = APP_VERSION): string {
  return [adapter.vendor, adapter.architecture, adapter.device, adapter.description, `lab ${version}`].join(' | ');
}

/** One tuning of one shape class: candidates bound to the same operands. */
export interface TuneJob {
  candidates: ReadonlyArray<{ id: string; dispatch: Dispatch }>;
  /** Runs candidate `id` once more and says whether its output matches the trusted kernel's. */
  check(id: string): Promise<boolean>;
  /** Gives back the job's buffers. */
  release(): void;
}

export interface TuneResult {
  /** The fastest candidate that passed its check. */
  pick: string;
  /** Median seconds of each candidate that passed. */
  seconds: Record<string, number>;
  /** Candidates whose output did not match the trusted kernel's. */
  rejected: string[];
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * Median seconds of each dispatch, timed in rounds (every candidate once per round, after one
 * warm-up round that also compiles them), so load from elsewhere hits all alike.
 */
export async function timeCandidates(gpu: Gpu, candidates: ReadonlyArray<{ id: string; dispatch: Dispatch }>, rounds = 5): Promise<Record<string, number>> {
  const times = new Map<string, number[]>(candidates.map((c) => [c.id, []]));
  for (let round = -1; round < rounds; round++) {
    for (const c of candidates) {
      const t = await gpu.time([c.dispatch], `autotune ${c.id}`);
      if (round >= 0) times.get(c.id)!.push(t);
    }
  }
  return Object.fromEntries([...times].map(([id, ts]) => [id, median(ts)]));
}

/** Checks every candidate of `job`, times those that pass and picks the fastest. */
export async function tune(gpu: Gpu, job: TuneJob, rounds = 5): Promise<TuneResult> {
  const passed = [];
  const rejected: string[] = [];
  for (const c of job.candidates) {
    if (await job.check(c.id)) passed.push(c);
    else rejected.push(c.id);
  }
  if (passed.length === 0) throw new Error(`autotune: no candidate matched the trusted result (${rejected.join(', ')})`);
  const seconds = await timeCandidates(gpu, passed, rounds);
  const pick = passed.reduce((best, c) => (seconds[c.id]! < seconds[best.id]! ? c : best)).id;
  return { pick, seconds, rejected };
}

/** The tuning state of one device. */
class Autotuner {
  private remembered: AutotunePicks = {};
  private readonly picks: Record<string, string> = {};
  private readonly requested = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  /** Set once the device is gone (destroyed at the end of a command, or lost): tunings queued then are dropped quietly. */
  private deviceGone = false;

  constructor(
    private readonly gpu: Gpu,
    private readonly store: AutotuneStore | null,
    private readonly key: string,
  ) {
    void gpu.device.lost.then(() => {
      this.deviceGone = true;
    });
  }

  async load(): Promise<void> {
    if (!this.store) return;
    try {
      this.remembered = await this.store.load();
    } catch (error) {
      // Storage the browser refuses (a private window, a full disk) only costs a new tuning.
      console.warn(`autotune: remembered picks could not be read, tuning afresh: ${error instanceof Error ? error.message : String(error)}`);
    }
    Object.assign(this.picks, this.remembered[this.key] ?? {});
  }

  pick(shapeClass: string): string | undefined {
    return this.picks[shapeClass];
  }

  request(shapeClass: string, makeJob: () => TuneJob): void {
    if (this.picks[shapeClass] !== undefined || this.requested.has(shapeClass)) return;
    this.requested.add(shapeClass);
    this.queue = this.queue.then(() => this.run(shapeClass, makeJob));
  }

  private async run(shapeClass: string, makeJob: () => TuneJob): Promise<void> {
    if (this.deviceGone) return;
    let job: TuneJob | null = null;
    try {
      job = makeJob();
      const { pick, rejected } = await tune(this.gpu, job);
      if (rejected.length) console.warn(`autotune ${shapeClass}: ${rejected.join(', ')} computed wrong results on this adapter and will not be used`);
      this.picks[shapeClass] = pick;
      if (this.store) {
        this.remembered = { ...this.remembered, [this.key]: { ...this.remembered[this.key], [shapeClass]: pick } };
        await this.store.save(this.remembered);
      }
    } catch (error) {
      if (this.deviceGone) return;
      // The launcher's default stays in use: slower, perhaps, never wrong.
      console.warn(`autotune ${shapeClass} failed, keeping the default kernel: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      job?.release();
    }
  }

  settled(): Promise<void> {
    return this.queue;
  }
}

const tuners = new WeakMap<Gpu, Autotuner>();

function tunerOf(gpu: Gpu): Autotuner {
  let tuner = tuners.get(gpu);
  if (!tuner) {
    tuner = new Autotuner(gpu, null, adapterKey(gpu.adapter));
    tuners.set(gpu, tuner);
  }
  return tuner;
}

/** Remembers picks for `gpu` in `store` and loads those saved for its adapter. Call once, before any launcher. */
export async function useAutotuneStore(gpu: Gpu, store: AutotuneStore): Promise<void> {
  const tuner = new Autotuner(gpu, store, adapterKey(gpu.adapter));
  tuners.set(gpu, tuner);
  await tuner.load();
}

/** The remembered pick of a shape class on this device, if it was tuned. */
export function autotunePick(gpu: Gpu, shapeClass: string): string | undefined {
  return tunerOf(gpu).pick(shapeClass);
}

/** Asks for a background tuning of a shape class (once: later requests of the same class do nothing). */
export function requestAutotune(gpu: Gpu, shapeClass: string, makeJob: () => TuneJob): void {
  tunerOf(gpu).request(shapeClass, makeJob);
}

/** Resolves when every tuning asked for so far has ended. */
export function autotuneSettled(gpu: Gpu): Promise<void> {
  return tunerOf(gpu).settled();
}
