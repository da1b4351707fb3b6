// The page's end of the training worker: one Worker, typed requests out, events routed to the
// stores. Nothing here computes; it only moves messages, so the main thread stays free.
import { request, type WorkerEvent, type WorkerRequestBody } from '../worker/protocol.ts';

type Listener = (event: WorkerEvent) => void;

let worker: Worker | null = null;
const listeners = new Set<Listener>();

function ensureWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('../worker/trainingWorker.ts', import.meta.url), { type: 'module', name: 'alphaalign-training' });
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
