// The page's end of the training worker: one Worker, typed requests out, events routed to the
// stores. Nothing here computes; it only moves messages, so the main thread stays free.
import { request, type WorkerEvent, type WorkerRequestBody } from '../worker/protocol.ts';

type Listener = (event: WorkerEvent) => void;

let worker: Worker | null = null;
const listeners = new Set<Listener>();
/** The page's binding cap in bytes (the GPU panel's setting), or null for the adapter's limit. */
let bindingCapBytes: number | null = null;

/**
 * Sets the binding cap the worker's device works to: sent as the worker's first request when it
 * starts (before any model loads), and at once to a running worker (its device, already open,
 * takes it at the next page load).
 */
export function setBindingCap(bytes: number | null): void {
  bindingCapBytes = bytes;
  if (worker) worker.postMessage(request({ type: 'bindingCap', bytes }));
}

function ensureWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('../worker/trainingWorker.ts', import.meta.url), { type: 'module', name: 'alphaalign-training' });
  worker.postMessage(request({ type: 'bindingCap', bytes: bindingCapBytes }));
  worker.addEventListener('message', (e: MessageEvent<WorkerEvent>) => {
    for (const listener of listeners) listener(e.data);
  });
  worker.addEventListener('error', (e) => {
    const message = e.message || 'the training worker failed to start';
    for (const listener of listeners) listener({ v: 1, type: 'error', area: 'protocol', message, recovery: 'Reload the page.' });
  });
  return worker;
}

export function sendToWorker(body: WorkerRequestBody, transfer: Transferable[] = []): void {
  ensureWorker().postMessage(request(body), transfer);
}

export function onWorkerEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
