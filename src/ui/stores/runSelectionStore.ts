// Which runs the Charts and Eval panels overlay, and how each is told apart: a colour from a fixed
// palette, given once and kept (a run keeps its colour as others are shown, hidden or deleted, as
// in TensorBoard's run selector), and a name the user may edit. Keyed by run id (the live run of
// this tab without one is LIVE_RUN_ID). Kept in localStorage like the page's other settings, so a
// reload shows the same runs in the same colours under the same names.
import { create } from 'zustand';

/** The key of this tab's run while it has no run id (a loaded checkpoint's record, a fresh page). */
export const LIVE_RUN_ID = 'this-tab';

/** localStorage key of the selection. */
export const RUN_SELECTION_KEY = 'alphaalign-lab run selection';

/**
 * Ten colours that stay apart on white and in the charts' thin lines (d3's category10, the
 * refusal chart's blue and red first). A run past the tenth shares a colour, the least used.
 */
export const RUN_PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#17becf', '#8c564b', '#e377c2', '#bcbd22', '#7f7f7f'] as const;

interface Selection {
  /** Names the user gave; a run without one shows its default name. */
  names: Record<string, string>;
  colors: Record<string, string>;
  /** Shown (true) or hidden (false) by a click; a run never clicked is shown only if it is the live one. */
  shown: Record<string, boolean>;
}

interface RunSelectionStore extends Selection {
  /** Gives each of `ids` without a colour the palette's least used one among `ids`. */
  assignColors(ids: readonly string[]): void;
  setShown(id: string, shown: boolean): void;
  /** '' (or only spaces) goes back to the default name. */
  rename(id: string, name: string): void;
}

/** Whether a run is drawn: as clicked, or by default the live run only. */
export function isShown(selection: Pick<Selection, 'shown'>, id: string, liveId: string): boolean {
  return selection.shown[id] ?? id === liveId;
}

/** The colour for a new run: the palette's least used among the runs listed, the earliest on a tie. */
function nextColor(colorsInUse: readonly string[]): string {
  const uses = (c: string) => colorsInUse.filter((u) => u === c).length;
  return RUN_PALETTE.reduce<string>((best, c) => (uses(c) < uses(best) ? c : best), RUN_PALETTE[0]);
}

/** `assigned` with a colour for each of `ids` that has none, in their order (what assignColors keeps). */
export function withColors(ids: readonly string[], assigned: Readonly<Record<string, string>>): Record<string, string> {
  const colors = { ...assigned };
  for (const id of ids) colors[id] ??= nextColor(ids.flatMap((other) => colors[other] ?? []));
  return colors;
}

function saved(): Selection {
  const empty: Selection = { names: {}, colors: {}, shown: {} };
  try {
    const value = JSON.parse(globalThis.localStorage?.getItem(RUN_SELECTION_KEY) ?? 'null') as Partial<Selection> | null;
    const record = <T>(x: unknown, isValue: (v: unknown) => v is T): Record<string, T> =>
      x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).filter((e): e is [string, T] => isValue(e[1]))) : {};
    const isString = (v: unknown): v is string => typeof v === 'string';
    const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
    return value ? { names: record(value.names, isString), colors: record(value.colors, isString), shown: record(value.shown, isBoolean) } : empty;
  } catch {
    return empty; // storage blocked or the value unreadable: start afresh
  }
}

export const useRunSelectionStore = create<RunSelectionStore>((set, get) => {
  const update = (change: Partial<Selection>) => {
    set(change);
    const { names, colors, shown } = get();
    try {
      globalThis.localStorage?.setItem(RUN_SELECTION_KEY, JSON.stringify({ names, colors, shown }));
    } catch {
      // storage blocked: the selection holds for this page only
    }
  };
  return {
    ...saved(),
    assignColors(ids) {
      if (ids.every((id) => get().colors[id] !== undefined)) return;
      update({ colors: withColors(ids, get().colors) });
    },
    setShown(id, shown) {
      update({ shown: { ...get().shown, [id]: shown } });
    },
    rename(id, name) {
      const names = { ...get().names };
      if (name.trim() === '') delete names[id];
      else names[id] = name;
      update({ names });
    },
  };
});
