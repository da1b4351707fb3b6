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
