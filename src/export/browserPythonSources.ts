import { pythonSources, type PythonSources } from './pythonSources.ts';

const files = import.meta.glob<string>(['../../python/alphaalign/*.py', '../../python/entrypoints/*/*.py'], { query: '?raw', import: 'default', eager: true });

export function loadBrowserPythonSources(): PythonSources {
  return pythonSources(new Map(Object.entries(files).map(([path, source]) => [path.replace('../../python/', ''), source])));
}
