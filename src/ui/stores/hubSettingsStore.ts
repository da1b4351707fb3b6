// Where "Fetch from the Hub" fetches from: the Hub's address (huggingface.co unless the user gives a
// mirror, or a test its local server laid out like the Hub) and an access token for gated repos.
// The address is kept in localStorage, as the page's other settings are; the token only in memory,
// so that a secret never outlives the tab. The page's Content-Security-Policy still decides which
// addresses can be reached (vite.config.ts): the setting cannot widen it.
import { create } from 'zustand';
import { ModelFileError } from '../../model/files.ts';
import { DEFAULT_HUB_BASE_URL, parseHubBaseUrl } from '../../model/hubSource.ts';

/** localStorage key of the Hub's address as typed. */
export const HUB_BASE_URL_KEY = 'alphaalign-lab hub address';

function savedBaseUrl(): string {
  try {
    return globalThis.localStorage?.getItem(HUB_BASE_URL_KEY) ?? '';
  } catch {
    return ''; // storage blocked: the Hub itself
  }
}

/** The field's text as an address, or what is wrong with it. */
function checkBaseUrl(text: string): { baseUrl: string; baseUrlProblem: null } | { baseUrl: null; baseUrlProblem: string } {
  try {
    return { baseUrl: parseHubBaseUrl(text), baseUrlProblem: null };
  } catch (error) {
    if (error instanceof ModelFileError) return { baseUrl: null, baseUrlProblem: error.message };
    throw error;
  }
}

interface HubSettingsStore {
  /** The address field's text: '' means huggingface.co. */
  baseUrlText: string;
  /** The address to fetch from, or null while the text is not one. */
  baseUrl: string | null;
  /** Why the text is not an address, or null. */
  baseUrlProblem: string | null;
  setBaseUrlText(text: string): void;
  /** A Hugging Face access token ('' for none), sent only to the address above. */
  token: string;
  setToken(text: string): void;
}

const initialText = savedBaseUrl();
const initial = checkBaseUrl(initialText);

export const useHubSettingsStore = create<HubSettingsStore>((set) => ({
  baseUrlText: initial.baseUrl === null ? '' : initialText,
  baseUrl: initial.baseUrl ?? DEFAULT_HUB_BASE_URL,
  baseUrlProblem: null,
  setBaseUrlText(text) {
    const checked = checkBaseUrl(text);
    set({ baseUrlText: text, ...checked });
    if (checked.baseUrl === null) return;
    try {
      globalThis.localStorage?.setItem(HUB_BASE_URL_KEY, text.trim());
    } catch {
      // storage blocked: the address holds for this page only
    }
  },
  token: '',
  setToken: (text) => set({ token: text.trim() }),
}));
