// Where the command line remembers autotuned kernel picks: a JSON file, by default
// ~/.cache/alphaalign-lab/autotune.json (under $XDG_CACHE_HOME when set), or the path in
// LAB_AUTOTUNE_CACHE. A file that is missing or not the lab's JSON counts as empty (it is only a
// cache: the next tuning rewrites it); the warning names the file so it can be deleted.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AutotunePicks, AutotuneStore } from './autotune.ts';

export function autotuneCachePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LAB_AUTOTUNE_CACHE) return env.LAB_AUTOTUNE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'alphaalign-lab', 'autotune.json');
}

function isPicks(value: unknown): value is AutotunePicks {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  return isRecord(value) && Object.values(value).every((perAdapter) => isRecord(perAdapter) && Object.values(perAdapter).every((id) => typeof id === 'string'));
}

export function autotuneFileStore(path: string = autotuneCachePath()): AutotuneStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        return {};
      }
      try {
        const parsed: unknown = JSON.parse(text);
        if (isPicks(parsed)) return parsed;
      } catch {
        // handled below, as any other content that is not the lab's
      }
      console.warn(`${path} is not an autotune cache of this lab; ignoring it (it is rewritten after the next tuning)`);
      return {};
    },
    async save(picks) {
      await mkdir(dirname(path), { recursive: true });
      // Written beside and renamed, so a second process reading it never sees half a file.
      const partial = `${path}.${process.pid}.tmp`;
      await writeFile(partial, `${JSON.stringify(picks, null, 2)}\n`);
      await rename(partial, path);
    },
  };
}
