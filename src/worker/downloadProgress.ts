// How the training worker reports model files' downloads to the page: a 1 GB shard arrives in
// tens of thousands of chunks, and a message per chunk would flood the page; a count held back too
// long would leave a stalled download's bar behind where it stalled.

export type DownloadProgressListener = (file: string, received: number, total: number | null) => void;

/** How often one file's progress is passed on while it downloads: enough for a smooth bar. */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * Passes each file's bytes on at most every intervalMs; the start (0) and the end (received =
 * total) at once. A count held back is passed on when its interval is over, unless a newer one
 * went first.
 */
export function throttledDownloadProgress(passOn: DownloadProgressListener, intervalMs = PROGRESS_INTERVAL_MS): DownloadProgressListener {
  const passedAt = new Map<string, number>();
  const waiting = new Map<string, { received: number; total: number | null }>();
  const passNow = (file: string, received: number, total: number | null) => {
    passedAt.set(file, Date.now());
    waiting.delete(file);
    passOn(file, received, total);
  };
  return (file, received, total) => {
    const wait = intervalMs - (Date.now() - (passedAt.get(file) ?? -Infinity));
    if (received === 0 || received === total || wait <= 0) return passNow(file, received, total);
    const scheduled = waiting.has(file);
    waiting.set(file, { received, total });
    if (scheduled) return;
    setTimeout(() => {
      const latest = waiting.get(file);
      if (latest) passNow(file, latest.received, latest.total);
    }, wait);
  };
}
