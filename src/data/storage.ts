// What the lab keeps between visits, in the browser's IndexedDB (no library): datasets, reward
// settings, configs, finished runs and checkpoints, each in an object store of its own, keyed by a
// string. Values go in by structured clone, so plain objects, arrays, typed arrays, ArrayBuffers and
// Blobs all store as they are. Where IndexedDB is missing (Node, some private windows) an in-memory
// backend with the same API stands in, and `persistent` says so.
import type { ImportProblem } from './import.ts';
import { parseLabel, parseSplit, type PromptRow } from './schema.ts';
import { reviveHeldOutChoice, type HeldOutChoice } from './splits.ts';

export const DB_NAME = 'alphaalign-lab';
// 2: the store "bases" joined (a LoRA run's frozen base, kept once beside its autosaves).
export const DB_VERSION = 2;

/** The object stores: one per kind of thing kept. */
export const STORE_NAMES = ['datasets', 'settings', 'configs', 'runs', 'checkpoints', 'bases'] as const;
export type StoreName = (typeof STORE_NAMES)[number];

/** One object store: string keys, values of one type. */
export interface KeyValueStore<T> {
  get(key: string): Promise<T | undefined>;
  put(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
  /** Every value, in key order. */
  getAll(): Promise<T[]>;
  clear(): Promise<void>;
}

export interface StorageBackend {
  /** Whether what is put survives a reload (false: the in-memory stand-in). */
  readonly persistent: boolean;
  store<T>(name: StoreName): KeyValueStore<T>;
}

export class StorageError extends Error {
  override name = 'StorageError';
}

// ------------------------------------------------------------------------------- IndexedDB

const promised = <T>(request: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new StorageError(request.error?.message ?? 'an IndexedDB request failed'));
  });

export function indexedDbBackend(factory: IDBFactory = indexedDB, dbName = DB_NAME): StorageBackend {
  let opening: Promise<IDBDatabase> | null = null;
  const open = () =>
    (opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(dbName, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const name of STORE_NAMES) if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => {
        opening = null;
        reject(new StorageError(`the browser's storage (IndexedDB) could not be opened: ${request.error?.message ?? 'unknown error'}`));
      };
      request.onblocked = () => reject(new StorageError('the lab is open in another tab with an older version: close that tab and reload'));
    }));

  const run = async <R>(name: StoreName, mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<R>): Promise<R> => {
    const db = await open();
    const transaction = db.transaction(name, mode);
    const result = promised(act(transaction.objectStore(name)));
    await new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(new StorageError(transaction.error?.message ?? 'an IndexedDB transaction failed'));
      transaction.onabort = () =>
        reject(
          new StorageError(
            transaction.error?.name === 'QuotaExceededError'
              ? "the browser's storage is full: delete old runs or checkpoints, or allow the site more storage"
              : (transaction.error?.message ?? 'an IndexedDB transaction was aborted'),
          ),
        );
    });
    return result;
  };

  return {
    persistent: true,
    store<T>(name: StoreName): KeyValueStore<T> {
      return {
        get: (key) => run(name, 'readonly', (s) => s.get(key) as IDBRequest<T | undefined>),
        put: async (key, value) => {
          await run(name, 'readwrite', (s) => s.put(value, key));
        },
        delete: async (key) => {
          await run(name, 'readwrite', (s) => s.delete(key));
        },
        keys: async () => (await run(name, 'readonly', (s) => s.getAllKeys())).map(String),
        getAll: () => run(name, 'readonly', (s) => s.getAll() as IDBRequest<T[]>),
        clear: async () => {
          await run(name, 'readwrite', (s) => s.clear());
        },
      };
    },
  };
}

// --------------------------------------------------------------------------------- memory

/** The same API in memory: for Node and tests, and where IndexedDB cannot be opened. */
export function memoryBackend(): StorageBackend {
  const stores = new Map<StoreName, Map<string, unknown>>();
  const of = (name: StoreName) => {
    let map = stores.get(name);
    if (!map) stores.set(name, (map = new Map()));
    return map;
  };
  return {
    persistent: false,
    store<T>(name: StoreName): KeyValueStore<T> {
      const map = of(name);
      const sortedKeys = () => [...map.keys()].sort();
      return {
        get: async (key) => (map.has(key) ? structuredClone(map.get(key) as T) : undefined),
        put: async (key, value) => {
          map.set(key, structuredClone(value));
        },
        delete: async (key) => {
          map.delete(key);
        },
        keys: async () => sortedKeys(),
        getAll: async () => sortedKeys().map((k) => structuredClone(map.get(k) as T)),
        clear: async () => map.clear(),
      };
    },
  };
}

let shared: StorageBackend | null = null;

/** The page's storage: IndexedDB where the browser has it, memory otherwise. */
export function labStorage(): StorageBackend {
  return (shared ??= typeof indexedDB === 'undefined' ? memoryBackend() : indexedDbBackend());
}

/** Replace the page's storage (tests; or memory after IndexedDB failed to open). */
export function setLabStorage(backend: StorageBackend): void {
  shared = backend;
}

// -------------------------------------------------------------------------- stored records

/** A dataset as the Data panel keeps it (store 'datasets', key CURRENT_DATASET_KEY for the open one). */
export interface StoredDataset {
  version: 1;
  name: string;
  rows: PromptRow[];
  /** The rows of the file that could not be read, by line and reason. */
  problems: ImportProblem[];
  /** How its held-out split came about (absent in a dataset saved before this was kept). */
  heldOut?: HeldOutChoice;
  /** ISO time of the last save. */
  savedAt: string;
}

export const CURRENT_DATASET_KEY = 'current';

/** A stored dataset read back, rows checked one by one (a bad row is dropped and counted); null if it is not one. */
export function reviveStoredDataset(value: unknown): { dataset: StoredDataset; droppedRows: number } | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (v.version !== 1 || typeof v.name !== 'string' || !Array.isArray(v.rows)) return null;
  const rows: PromptRow[] = [];
  let droppedRows = 0;
  for (const item of v.rows as unknown[]) {
    const row = revivePromptRow(item);
    if (row) rows.push(row);
    else droppedRows++;
  }
  const problems = Array.isArray(v.problems)
    ? (v.problems as unknown[]).filter(
        (p): p is ImportProblem => !!p && typeof (p as ImportProblem).line === 'number' && typeof (p as ImportProblem).reason === 'string',
      )
    : [];
  const heldOut = reviveHeldOutChoice(v.heldOut);
  return { dataset: { version: 1, name: v.name, rows, problems, ...(heldOut ? { heldOut } : {}), savedAt: typeof v.savedAt === 'string' ? v.savedAt : '' }, droppedRows };
}

function revivePromptRow(value: unknown): PromptRow | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const label = parseLabel(v.label);
  if (typeof v.id !== 'string' || typeof v.prompt !== 'string' || !label) return null;
  const row: PromptRow = { id: v.id, prompt: v.prompt, label };
  if (typeof v.reference === 'string') row.reference = v.reference;
  const split = v.split === undefined ? null : parseSplit(v.split);
  if (split) row.split = split;
  if (typeof v.type === 'string') row.type = v.type;
  return row;
}
