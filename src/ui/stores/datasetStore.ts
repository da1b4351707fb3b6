// The open dataset: rows with labels and splits, the problems of the file they came from, the
// import that waits for a label (AdvBench), how its held-out split came about, the last change
// that can be undone, and their persistence in IndexedDB. The training run reads the rows through
// getTrainRows() and getEvalRows(), and the held-out choice through getHeldOutChoice().
import { create } from 'zustand';
import { exportJsonl, importDataset, ImportError, type ImportProblem } from '../../data/import.ts';
import type { Label, PromptRow, Split } from '../../data/schema.ts';
import { assignSplits, DEFAULT_EVAL_FRACTION, IMPORT_SPLIT_SEED, type HeldOutChoice } from '../../data/splits.ts';
import { CURRENT_DATASET_KEY, labStorage, reviveStoredDataset, type StoredDataset } from '../../data/storage.ts';
import { counted } from '../../util/plural.ts';

/** A row of the table: the dataset's row plus a key that stays put while the row is edited. */
export type TableRow = PromptRow & { uid: number };

export interface ImportSummary {
  fileName: string;
  format: 'csv' | 'jsonl' | 'json' | 'demo' | 'saved';
  rows: number;
  problems: number;
  duplicates: number;
}

export interface PendingImport {
  fileName: string;
  text: string;
  append: boolean;
}

type SaveState = 'idle' | 'saving' | 'saved' | 'error';

/** What an undo puts back: the dataset as it was before a change. */
interface DatasetSnapshot {
  name: string;
  rows: TableRow[];
  problems: (ImportProblem & { file: string })[];
  lastImport: ImportSummary | null;
  heldOut: HeldOutChoice;
}

/** The last import or bulk change: what it did, and the dataset before it. */
export interface UndoEntry {
  description: string;
  before: DatasetSnapshot;
  /** The rows it left; once the rows change again (any edit), the undo is gone. */
  after: TableRow[];
}

/** Where the share held out by default is kept (store 'settings'). */
export const EVAL_FRACTION_KEY = 'heldOutFraction';
const NO_HELD_OUT: HeldOutChoice = { fromFile: false, made: null, editedByHand: false };

interface DatasetStore {
  status: 'empty' | 'loading' | 'ready';
  /** The last thing that went wrong (a bad file, storage), shown with a way out. */
  error: string | null;
  name: string;
  rows: TableRow[];
  /** The rows of the imported file(s) that could not be read. */
  problems: (ImportProblem & { file: string })[];
  lastImport: ImportSummary | null;
  /** A file without a label column, waiting for the user to say which label applies to all rows. */
  pendingLabel: PendingImport | null;
  saveState: SaveState;
  /** Goes up each time a new dataset replaces or joins the rows (the table then resets its filters). */
  generation: number;
  /** Whether the data survive a reload (false: IndexedDB is not available in this browser). */
  persistent: boolean;
  /** The share of each label (each type in proportion) held out when a file without a split column is imported. */
  evalFraction: number;
  heldOut: HeldOutChoice;
  /** The last import or bulk change, while nothing has changed the rows since. */
  undo: UndoEntry | null;

  init(): Promise<void>;
  importText(text: string, fileName: string, options?: { append?: boolean; defaultLabel?: Label }): void;
  importFile(file: File, append?: boolean): Promise<void>;
  resolvePendingLabel(label: Label | null): void;
  /**
   * The demo data. By default they fill only a table still empty when they arrive (the page's first
   * load, a run started without data), so a file imported meanwhile wins; `replace`: they replace
   * the rows (the user asked for them).
   */
  loadDemo(options?: { replace?: boolean }): Promise<void>;
  updateRow(uid: number, patch: Partial<Omit<PromptRow, 'id'>>): void;
  setLabel(uids: readonly number[], label: Label): void;
  setSplit(uids: readonly number[], split: Split | null): void;
  addRow(row: Omit<PromptRow, 'id'>): void;
  deleteRows(uids: readonly number[]): void;
  autoSplit(evalFraction: number, seed?: number, overwrite?: boolean): void;
  setEvalFraction(fraction: number): void;
  /** Puts back the dataset as it was before the last import or bulk change. */
  undoLast(): void;
  clearError(): void;
}

let nextUid = 1;
const snapshot = (s: DatasetSnapshot): DatasetSnapshot => ({ name: s.name, rows: s.rows, problems: s.problems, lastImport: s.lastImport, heldOut: s.heldOut });
const undoOf = (description: string, before: DatasetSnapshot, after: TableRow[]): { undo: UndoEntry } => ({ undo: { description, before: snapshot(before), after } });
const withUid = (row: PromptRow): TableRow => ({ ...row, uid: nextUid++ });
const stripUid = ({ uid: _uid, ...row }: TableRow): PromptRow => row;

export const DEMO_FILES = ['datasets/demo-train.jsonl', 'datasets/demo-eval.jsonl'] as const;

let initStarted: Promise<void> | null = null;

export const useDatasetStore = create<DatasetStore>((set, get) => ({
  status: 'empty',
  error: null,
  name: '',
  rows: [],
  problems: [],
  lastImport: null,
  pendingLabel: null,
  saveState: 'idle',
  generation: 0,
  persistent: true,
  evalFraction: DEFAULT_EVAL_FRACTION,
  heldOut: NO_HELD_OUT,
  undo: null,

  init() {
    // Once per page (React's StrictMode runs effects twice).
    return (initStarted ??= (async () => {
      set({ status: 'loading', persistent: labStorage().persistent });
      try {
        const fraction = await labStorage().store<unknown>('settings').get(EVAL_FRACTION_KEY);
        if (typeof fraction === 'number' && fraction >= 0 && fraction <= 1) set({ evalFraction: fraction });
      } catch (error) {
        set({ error: `The saved held-out share could not be read (${message(error)}); ${Math.round(DEFAULT_EVAL_FRACTION * 100)} % is used.` });
      }
      let stored: StoredDataset | null = null;
      try {
        const revived = reviveStoredDataset(await labStorage().store<unknown>('datasets').get(CURRENT_DATASET_KEY));
        if (revived) {
          stored = revived.dataset;
          if (revived.droppedRows > 0) set({ error: `${counted(revived.droppedRows, 'saved row')} could not be read back and were left out.` });
        }
      } catch (error) {
        set({ error: `The saved dataset could not be read (${message(error)}); the demo data are loaded instead.` });
      }
      // A file imported while the saved dataset was read wins over it, and over the demo data.
      if (get().rows.length > 0) return;
      if (stored) {
        set({
          status: 'ready',
          name: stored.name,
          rows: stored.rows.map(withUid),
          problems: stored.problems.map((p) => ({ ...p, file: stored.name })),
          lastImport: { fileName: stored.name, format: 'saved', rows: stored.rows.length, problems: stored.problems.length, duplicates: 0 },
          // A dataset saved before the choice was kept: its splits came with its rows.
          heldOut: stored.heldOut ?? { ...NO_HELD_OUT, fromFile: stored.rows.some((r) => r.split) },
          saveState: 'saved',
        });
        return;
      }
      await get().loadDemo();
    })());
  },

  importText(text, fileName, options = {}) {
    const append = options.append ?? false;
    let result;
    try {
      result = importDataset(text, fileName, options.defaultLabel ? { defaultLabel: options.defaultLabel } : {});
    } catch (error) {
      set({ error: error instanceof ImportError ? error.message : `${fileName} could not be read: ${message(error)}` });
      return;
    }
    if (result.needsLabel) {
      set({ pendingLabel: { fileName, text, append }, error: null });
      return;
    }
    if (result.rows.length === 0 && result.problems.length === 0) {
      set({ error: `${fileName} holds no rows` });
      return;
    }
    const problems = result.problems.map((p) => ({ ...p, file: fileName }));
    // A file without a split column gets a held-out split (XSTest, AdvBench as published): without
    // one a run has nothing to evaluate.
    const fromFile = result.rows.some((r) => r.split);
    const fraction = get().evalFraction;
    const imported = fromFile ? result.rows : assignSplits(result.rows, fraction, IMPORT_SPLIT_SEED);
    const made = fromFile ? null : { fraction, seed: IMPORT_SPLIT_SEED };
    set((s) => {
      // Appended rows keep their own ids unless these collide with rows already here.
      const taken = new Set(append ? s.rows.map((r) => r.id) : []);
      const added = imported.map((r) => withUid(taken.has(r.id) ? { ...r, id: `${fileName}:${r.id}` } : r));
      const rows = append ? [...s.rows, ...added] : added;
      const heldOut: HeldOutChoice = append && s.rows.length > 0 ? { ...s.heldOut, fromFile: s.heldOut.fromFile || fromFile, made: made ?? s.heldOut.made } : { fromFile, made, editedByHand: false };
      const description = append ? `Added ${counted(added.length, 'row')} from ${fileName}` : `Replaced ${counted(s.rows.length, 'row')} with ${fileName}`;
      return {
        status: 'ready',
        error: null,
        pendingLabel: null,
        name: append && s.rows.length > 0 ? `${s.name} + ${fileName}` : fileName,
        rows,
        problems: append ? [...s.problems, ...problems] : problems,
        generation: s.generation + 1,
        lastImport: { fileName, format: result.format, rows: result.rows.length, problems: result.problems.length, duplicates: result.duplicates.length },
        heldOut,
        ...(s.rows.length > 0 ? undoOf(description, s, rows) : { undo: null }),
      };
    });
  },

  async importFile(file, append = false) {
    let text: string;
    try {
      text = await file.text();
    } catch (error) {
      set({ error: `${file.name} could not be read: ${message(error)}` });
      return;
    }
    get().importText(text, file.name, { append });
  },

  resolvePendingLabel(label) {
    const pending = get().pendingLabel;
    if (!pending) return;
    if (!label) {
      set({ pendingLabel: null });
      return;
    }
    get().importText(pending.text, pending.fileName, { append: pending.append, defaultLabel: label });
  },

  async loadDemo({ replace = false } = {}) {
    if (!replace && get().rows.length > 0) return;
    set({ status: 'loading' });
    try {
      const base = import.meta.env.BASE_URL;
      const texts = await Promise.all(
        DEMO_FILES.map(async (path) => {
          const response = await fetch(`${base}${path}`);
          if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
          return response.text();
        }),
      );
      const rows = texts.flatMap((text, i) => importDataset(text, DEMO_FILES[i]!).rows).map(withUid);
      if (!replace && get().rows.length > 0) return;
      set((s) => ({
        status: 'ready',
        generation: s.generation + 1,
        name: 'Demo data (AdvBench, CatQA, XSTest, Alpaca, self-instruct)',
        rows,
        problems: [],
        lastImport: { fileName: 'demo', format: 'demo', rows: rows.length, problems: 0, duplicates: 0 },
        // The demo's files carry their split (demo-eval.jsonl is held out).
        heldOut: { fromFile: true, made: null, editedByHand: false },
        ...(s.rows.length > 0 ? undoOf(`Replaced ${counted(s.rows.length, 'row')} with the demo data`, s, rows) : { undo: null }),
      }));
    } catch (error) {
      set((s) => ({ status: s.rows.length ? 'ready' : 'empty', error: `The demo data could not be loaded (${message(error)}): drop a dataset file instead.` }));
    }
  },

  updateRow(uid, patch) {
    set((s) => ({ rows: s.rows.map((r) => (r.uid === uid ? { ...r, ...patch } : r)) }));
  },

  setLabel(uids, label) {
    const chosen = new Set(uids);
    set((s) => {
      const changed = s.rows.filter((r) => chosen.has(r.uid) && r.label !== label).length;
      if (changed === 0) return {};
      const rows = s.rows.map((r) => (chosen.has(r.uid) && r.label !== label ? { ...r, label } : r));
      return { rows, ...undoOf(`Labelled ${counted(changed, 'row')} ${label}`, s, rows) };
    });
  },

  setSplit(uids, split) {
    const chosen = new Set(uids);
    set((s) => {
      const rows = s.rows.map((r) => {
        if (!chosen.has(r.uid)) return r;
        const { split: _old, ...rest } = r;
        return split ? { ...rest, split } : rest;
      });
      const heldOut = { ...s.heldOut, editedByHand: true };
      // One row's menu is an edit like any other; a bulk move can be undone.
      return uids.length > 1 ? { rows, heldOut, ...undoOf(`Moved ${counted(uids.length, 'row')} to ${split ?? 'no split'}`, s, rows) } : { rows, heldOut };
    });
  },

  addRow(row) {
    set((s) => {
      const ids = new Set(s.rows.map((r) => r.id));
      let n = s.rows.length + 1;
      while (ids.has(`added-${n}`)) n++;
      return {
        status: 'ready',
        name: s.name || 'New dataset',
        rows: [withUid({ ...row, id: `added-${n}` }), ...s.rows],
        heldOut: row.split ? { ...s.heldOut, editedByHand: true } : s.heldOut,
      };
    });
  },

  deleteRows(uids) {
    const chosen = new Set(uids);
    set((s) => {
      const rows = s.rows.filter((r) => !chosen.has(r.uid));
      const deleted = s.rows.length - rows.length;
      return deleted === 0 ? {} : { rows, ...undoOf(`Deleted ${counted(deleted, 'row')}`, s, rows) };
    });
  },

  autoSplit(evalFraction, seed = 0, overwrite = false) {
    set((s) => {
      const split = assignSplits(s.rows.map(stripUid), evalFraction, seed, overwrite);
      const rows = s.rows.map((r, i) => ({ ...split[i]!, uid: r.uid }));
      const changed = rows.filter((r, i) => r.split !== s.rows[i]!.split).length;
      if (changed === 0) return {};
      const heldOut: HeldOutChoice = { fromFile: !overwrite && s.heldOut.fromFile, made: { fraction: evalFraction, seed }, editedByHand: !overwrite && s.heldOut.editedByHand };
      return { rows, heldOut, ...undoOf(`Split ${counted(changed, 'row')} (${rows.filter((r) => r.split === 'eval').length} held out in all)`, s, rows) };
    });
  },

  setEvalFraction(fraction) {
    const evalFraction = Math.min(1, Math.max(0, fraction));
    set({ evalFraction });
    labStorage()
      .store<number>('settings')
      .put(EVAL_FRACTION_KEY, evalFraction)
      .catch((error: unknown) => set({ error: `The held-out share could not be saved in this browser: ${message(error)}.` }));
  },

  undoLast() {
    const undo = get().undo;
    if (!undo || undo.after !== get().rows) return;
    set((s) => ({ ...undo.before, undo: null, generation: s.generation + 1 }));
  },

  clearError() {
    set({ error: null });
  },
}));

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ------------------------------------------------------------------------- for the trainer

/** The dataset's rows as plain PromptRows (split 'eval' is held out; any other row trains). */
export function getDatasetRows(): PromptRow[] {
  return useDatasetStore.getState().rows.map(stripUid);
}

/** The rows the training run samples from: every row not in the eval split. */
export function getTrainRows(): PromptRow[] {
  return getDatasetRows().filter((r) => r.split !== 'eval');
}

/** The held-out rows for evaluation: split 'eval'. */
export function getEvalRows(): PromptRow[] {
  return getDatasetRows().filter((r) => r.split === 'eval');
}

/** How the held-out split came about, for the run's card. */
export function getHeldOutChoice(): HeldOutChoice {
  return useDatasetStore.getState().heldOut;
}

/** The dataset as JSONL, in the lab's own field names. */
export function getDatasetJsonl(): string {
  return exportJsonl(getDatasetRows());
}

// ------------------------------------------------------------------------------ persistence

const SAVE_DELAY_MS = 300;
let saveTimer: ReturnType<typeof setTimeout> | null = null;

async function saveNow(): Promise<void> {
  const s = useDatasetStore.getState();
  const record: StoredDataset = {
    version: 1,
    name: s.name,
    rows: s.rows.map(stripUid),
    problems: s.problems.map(({ file: _file, ...p }) => p),
    heldOut: s.heldOut,
    savedAt: new Date().toISOString(),
  };
  try {
    await labStorage().store<StoredDataset>('datasets').put(CURRENT_DATASET_KEY, record);
    useDatasetStore.setState({ saveState: 'saved' });
  } catch (error) {
    useDatasetStore.setState({ saveState: 'error', error: `The dataset could not be saved in this browser: ${message(error)}. Export it to JSONL to keep it.` });
  }
}

useDatasetStore.subscribe((state, previous) => {
  if (state.status !== 'ready') return;
  if (state.rows === previous.rows && state.name === previous.name && state.problems === previous.problems && state.heldOut === previous.heldOut) return;
  // Restoring from storage sets saveState 'saved' with the rows: nothing to write.
  if (previous.status !== 'ready' && state.saveState === 'saved') return;
  if (state.saveState !== 'saving') useDatasetStore.setState({ saveState: 'saving' });
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    saveTimer = null;
    void saveNow();
  }, SAVE_DELAY_MS);
});
