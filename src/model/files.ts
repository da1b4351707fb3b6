// Where a model's files come from, seen the same way by the loader: a Node folder, files the
// user dropped into the page, or a Hugging Face repo fetched by the browser.
export interface ModelFileSource {
  /** Shown in messages: a folder path, "dropped files", or a repo id. */
  label: string;
  has(name: string): Promise<boolean>;
  read(name: string): Promise<Uint8Array>;
}

export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** A file that could not be fetched at all (offline, DNS, a refused connection): the network, not the files, is at fault. */
export class ModelFetchError extends ModelFileError {
  override name = 'ModelFetchError';
}

/** A server that refused the file (401/403): a gated or private repo, whose way out is access, not other files. */
export class ModelAccessError extends ModelFileError {
  override name = 'ModelAccessError';
}

/**
 * What a user can do after a model failed to load: the way out depends on whose fault it was
 * (the network, the files, anything else), and on whether a model loaded before is still there.
 */
export function loadFailureRecovery(error: unknown, stillLoaded: string | null): string {
  if (stillLoaded === null) return 'Drop a Hugging Face model folder, type a repo id, or import a checkpoint zip.';
  const next =
    error instanceof ModelFetchError
      ? 'Check the network connection and try again, or download the model and drop its folder in.'
      : error instanceof ModelAccessError
        ? 'Check the repo id; for a gated model accept the licence on its Hub page, paste an access token and fetch again; or download the model and drop its folder in.'
        : error instanceof ModelFileError
        ? 'Check the files (a Hugging Face folder: config.json, tokenizer.json, model.safetensors) and try again.'
        : 'Try again.';
  return `Still loaded: ${stillLoaded}. ${next}`;
}

export async function readJson(source: ModelFileSource, name: string): Promise<unknown> {
  const bytes = await source.read(name);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelFileError(`${source.label}/${name} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A source over in-memory files keyed by name (dropped File objects once read, a zip's entries). */
export function memorySource(label: string, files: ReadonlyMap<string, Uint8Array | (() => Promise<Uint8Array>)>): ModelFileSource {
  return {
    label,
    has: async (name) => files.has(name),
    async read(name) {
      const entry = files.get(name);
      if (entry === undefined) throw new ModelFileError(`${label} has no ${name}`);
      return typeof entry === 'function' ? entry() : entry;
    },
  };
}
