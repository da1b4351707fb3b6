// The training worker driven through its protocol in Node: the worker module itself, with Dawn's
// device in place of navigator.gpu and a stand-in for the worker's global scope, so a request can be
// sent at an exact moment of a run (from inside the event that marks it). Every request must get
// its answer or an error, in whatever state the run is.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import { request, type WorkerEvent, type WorkerRequest, type WorkerRequestBody } from '../../src/worker/protocol.ts';
import { VOWEL_REWARD } from '../helpers/vowelReward.ts';

vi.mock('../../src/gpu/browser.ts', async () => {
  const { testGpu } = await import('../helpers/testGpu.ts');
  return { createBrowserGpu: testGpu };
});

const MODEL_DIR = 'tests/fixtures/models/llama-gqa';
const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];

const train: PromptRow[] = [
  { id: '1', prompt: 'the thin', label: 'harmful' },
  { id: '2', prompt: 'answer on', label: 'benign' },
];
const held: PromptRow[] = [
  { id: '3', prompt: 'on the', label: 'harmful', split: 'eval' },
  { id: '4', prompt: 'thin answer', label: 'benign', split: 'eval' },
];

/** A run of `steps` steps, evaluated before and after on the two held-out prompts by the rules alone. */
function startRun(steps: number): WorkerRequestBody {
  const config = parseRlConfig({ ...VOWEL_REWARD, max_steps: steps, eval_steps: 0, eval_judge: 'rules' });
  return { type: 'start', config, train, eval: held, evalLimit: held.length, dataset: 'test', heldOut: { fromFile: true, made: null, editedByHand: false }, resume: false, attacks: false };
}

/** What the worker posted, in order; `onEvent` sees each as it is posted, before the worker goes on. */
const events: WorkerEvent[] = [];
let onEvent: (event: WorkerEvent) => void = () => {};
let deliver: ((message: { data: WorkerRequest }) => void) | null = null;

function send(body: WorkerRequestBody): void {
  deliver!({ data: request(body) });
}

/** The first event from `from` on that matches. */
async function eventMatching<T extends WorkerEvent['type']>(type: T, from: number, matches: (event: Extract<WorkerEvent, { type: T }>) => boolean = () => true, timeout = 60_000) {
  const found = () => events.slice(from).find((e): e is Extract<WorkerEvent, { type: T }> => e.type === type && matches(e as Extract<WorkerEvent, { type: T }>));
  await vi.waitFor(() => expect(found(), `a ${type} event`).toBeDefined(), { timeout, interval: 20 });
  return found()!;
}

vi.stubGlobal('self', {
  postMessage(event: WorkerEvent) {
    events.push(event);
    onEvent(event);
  },
  addEventListener(type: string, listener: (message: { data: WorkerRequest }) => void) {
    if (type === 'message') deliver = listener;
  },
});
await import('../../src/worker/trainingWorker.ts');

describe('the training worker, before any model', () => {
  it('answers a plan with an error', async () => {
    const from = events.length;
    send({ type: 'plan', config: parseRlConfig({}) });
    const error = await eventMatching('error', from, () => true, 5_000);
    expect(error.area).toBe('plan');
    expect(error.message).toMatch(/no model is loaded/);
  });
});

describe('the training worker answers every request of a run', () => {
  beforeAll(async () => {
    const from = events.length;
    const files = MODEL_FILES.map((name) => new File([readFileSync(`${MODEL_DIR}/${name}`)], name));
    send({ type: 'load', source: { kind: 'files', files, label: 'llama-gqa', hub: null }, config: parseRlConfig(VOWEL_REWARD) });
    await eventMatching('loaded', from);
  });

  it('answers a pause of a paused run with its state, an export at once, and a resume with the run going on', async () => {
    const from = events.length;
    onEvent = (event) => {
      if (event.type === 'step' && event.metrics.step === 1) send({ type: 'pause' });
    };
    send(startRun(2));
    await eventMatching('runState', from, (e) => e.state === 'paused');
    onEvent = () => {};
    // The pause's checkpoint is its last work before it waits.
    await eventMatching('checkpoint', from, (e) => e.reason === 'autosave' && e.step === 1);
    const paused = events.length;
    send({ type: 'pause' });
    expect((await eventMatching('runState', paused, () => true, 5_000)).state).toBe('paused');
    const exported = events.length;
    send({ type: 'export', adapter: 'alone' });
    expect((await eventMatching('checkpoint', exported, (e) => e.reason === 'export', 30_000)).step).toBe(1);
    send({ type: 'resume' });
    await eventMatching('runState', exported, (e) => e.state === 'finished');
  });

  it('times only the newest of several estimates asked for at once, and none that a Start overtakes', async () => {
    const from = events.length;
    const config = (max_completion_length: number) => parseRlConfig({ ...VOWEL_REWARD, max_completion_length });
    // A form being filled in: three step shapes in a row; the newest is the one timed.
    for (const length of [4, 5, 6]) send({ type: 'estimate', config: config(length) });
    const timed = await eventMatching('estimate', from);
    expect(timed.config.max_completion_length).toBe(6);
    // Asked for, then a Start: the run goes first and nothing is calibrated behind it.
    const started = events.length;
    send({ type: 'estimate', config: config(7) });
    send(startRun(1));
    await eventMatching('runState', started, (e) => e.state === 'finished');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(events.slice(from).filter((e) => e.type === 'estimate').map((e) => (e as Extract<WorkerEvent, { type: 'estimate' }>).config.max_completion_length)).toEqual([6]);
    expect(events.slice(from).filter((e) => e.type === 'error')).toEqual([]);
  });

  it('answers an export asked for during the closing evaluation, after it, with the checkpoint of the last step', async () => {
    const from = events.length;
    let askedAt = -1;
    onEvent = (event) => {
      // The closing evaluation is the one at the last step; the request lands while it runs.
      if (event.type === 'evalProgress' && event.step === 1 && askedAt < 0) {
        askedAt = events.length; // the index of the events after this one
        send({ type: 'export', adapter: 'alone' });
      }
    };
    send(startRun(1));
    await eventMatching('runState', from, (e) => e.state === 'finished');
    expect(askedAt).toBeGreaterThan(from);
    const exported = await eventMatching('checkpoint', askedAt, (e) => e.reason === 'export', 30_000);
    onEvent = () => {};
    expect(exported.step).toBe(1);
    expect(exported.fileName).toBe('alphaalign-step-1.zip');
    // It came after the closing evaluation, so the checkpoint holds it.
    const closingEval = events.findIndex((e, i) => i >= from && e.type === 'eval' && e.point.step === 1);
    expect(closingEval).toBeGreaterThanOrEqual(askedAt);
    expect(events.indexOf(exported)).toBeGreaterThan(closingEval);
    expect(events.slice(from).filter((e) => e.type === 'error')).toEqual([]);
  });
});
