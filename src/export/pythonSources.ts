// The Python an export copies: the alphaalign package (python/alphaalign/) and the target's entry
// file (python/entrypoints/), real files in the repository. The page bundles them with Vite's
// ?raw imports (browserPythonSources.ts), the command line reads them from disk
// (nodePythonSources.ts); both hand them over in this shape, by path under python/.

export const PYTHON_PACKAGE_DIR = 'alphaalign';
/** The TRL export's reward module; train_grpo.py imports its reward functions. */
export const TRL_ENTRY = 'entrypoints/trl/alphaalign_rewards.py';
/** The veRL export's reward file, named in custom_reward_function.path. */
export const VERL_ENTRY = 'entrypoints/verl/alphaalign_reward.py';

export interface PythonSources {
  /** The package's files by path in an export (alphaalign/__init__.py, …). */
  package: ReadonlyMap<string, string>;
  trlEntry: string;
  verlEntry: string;
}

/** The sources from every file under python/ that the loader found, by path under python/. */
export function pythonSources(files: ReadonlyMap<string, string>): PythonSources {
  const entry = (path: string) => {
    const source = files.get(path);
    if (source === undefined) throw new Error(`python/${path} is missing`);
    return source;
  };
  const pkg = new Map([...files].filter(([path]) => path.startsWith(`${PYTHON_PACKAGE_DIR}/`)).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (!pkg.has(`${PYTHON_PACKAGE_DIR}/__init__.py`)) throw new Error(`python/${PYTHON_PACKAGE_DIR}/__init__.py is missing`);
  return { package: pkg, trlEntry: entry(TRL_ENTRY), verlEntry: entry(VERL_ENTRY) };
}
