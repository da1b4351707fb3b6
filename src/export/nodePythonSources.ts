import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PYTHON_PACKAGE_DIR, pythonSources, TRL_ENTRY, VERL_ENTRY, type PythonSources } from './pythonSources.ts';

const PYTHON_DIR = fileURLToPath(new URL('../../python/', import.meta.url));

export function loadNodePythonSources(): PythonSources {
  const packageFiles = readdirSync(`${PYTHON_DIR}${PYTHON_PACKAGE_DIR}`).filter((name) => name.endsWith('.py'));
  const paths = [...packageFiles.map((name) => `${PYTHON_PACKAGE_DIR}/${name}`), TRL_ENTRY, VERL_ENTRY];
  return pythonSources(new Map(paths.map((path) => [path, readFileSync(`${PYTHON_DIR}${path}`, 'utf8')])));
}
