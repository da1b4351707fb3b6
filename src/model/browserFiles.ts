// Model files the user dropped onto the page or picked with <input type=file webkitdirectory>:
// a folder's files arrive with their relative paths; only the file names inside it matter.
import { ModelFileError, type ModelFileSource } from './files.ts';

export function droppedFilesSource(files: readonly File[], label = 'dropped files'): ModelFileSource {
  const byName = new Map<string, File>();
  for (const file of files) {
    const path = file.webkitRelativePath || file.name;
    byName.set(path.split('/').pop()!, file);
  }
  return {
    label,
    has: async (name) => byName.has(name),
    async read(name) {
      const file = byName.get(name);
      if (!file) throw new ModelFileError(`${label}: ${name} is missing; drop the whole model folder`);
      return new Uint8Array(await file.arrayBuffer());
    },
  };
}
