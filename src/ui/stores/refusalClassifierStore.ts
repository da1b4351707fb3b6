// The shipped refusal classifier (public/refusal-classifier.json) in the page, for the Rewards
// panel's tester: fetched once from the page's own origin. The training worker fetches its own copy.
import { create } from 'zustand';
import { fetchRefusalClassifier, REFUSAL_CLASSIFIER_FILE, type RefusalClassifier } from '../../rl/refusalClassifier.ts';

interface RefusalClassifierStore {
  status: 'none' | 'loading' | 'ready' | 'error';
  classifier: RefusalClassifier | null;
  error: string | null;
  /** Fetches the classifier unless it is loaded or loading; a failed fetch may be tried again. */
  load(url?: URL | string): Promise<void>;
}

export const useRefusalClassifierStore = create<RefusalClassifierStore>((set, get) => ({
  status: 'none',
  classifier: null,
  error: null,
  async load(url = new URL(REFUSAL_CLASSIFIER_FILE, document.baseURI)) {
    if (get().status === 'ready' || get().status === 'loading') return;
    set({ status: 'loading', error: null });
    try {
      set({ status: 'ready', classifier: await fetchRefusalClassifier(url) });
    } catch (error) {
      set({ status: 'error', error: error instanceof Error ? error.message : String(error) });
    }
  },
}));
