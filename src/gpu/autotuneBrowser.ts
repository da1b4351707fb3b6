// Where the page remembers autotuned kernel picks: the lab's IndexedDB 'settings' store, under one
// key (the page and its training worker share it; IndexedDB works in both).
import { labStorage, type StorageBackend } from '../data/storage.ts';
import type { AutotunePicks, AutotuneStore } from './autotune.ts';

export const AUTOTUNE_SETTINGS_KEY = 'autotune';

export function autotuneSettingsStore(storage: StorageBackend = labStorage()): AutotuneStore {
  const settings = storage.store<AutotunePicks>('settings');
  return {
    load: async () => (await settings.get(AUTOTUNE_SETTINGS_KEY)) ?? {},
    save: (picks) => settings.put(AUTOTUNE_SETTINGS_KEY, picks),
  };
}
