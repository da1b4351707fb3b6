import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttledDownloadProgress } from '../../src/worker/downloadProgress.ts';

describe('throttledDownloadProgress', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('passes the start and the end on at once, a chunk at most every interval, and the latest held-back count when a download stalls', () => {
    const seen: [string, number, number | null][] = [];
    const report = throttledDownloadProgress((file, received, total) => seen.push([file, received, total]), 100);
    report('shard', 0, 1000);
    report('shard', 100, 1000); // the start went 0 ms ago: held
    report('shard', 200, 1000); // replaces the held count
    report('config.json', 0, 50); // another file has its own interval
    expect(seen).toEqual([
      ['shard', 0, 1000],
      ['config.json', 0, 50],
    ]);
    vi.advanceTimersByTime(100); // the download stalls: the last count still arrives
    expect(seen.at(-1)).toEqual(['shard', 200, 1000]);
    vi.advanceTimersByTime(150);
    report('shard', 300, 1000); // the interval is over: at once
    report('shard', 1000, 1000); // the end: at once, and the held one never follows
    vi.advanceTimersByTime(500);
    expect(seen.slice(2)).toEqual([
      ['shard', 200, 1000],
      ['shard', 300, 1000],
      ['shard', 1000, 1000],
    ]);
  });

  it('holds back counts of a file without a Content-Length too', () => {
    const seen: number[] = [];
    const report = throttledDownloadProgress((_file, received) => seen.push(received), 100);
    report('f', 0, null);
    for (let received = 10; received <= 50; received += 10) report('f', received, null);
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([0, 50]);
  });
});
