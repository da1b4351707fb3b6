import { resolveIncludes, SHADER_LIBRARIES, SHADER_NAMES, type ShaderLibraries, type ShaderSources } from './shaderSources.ts';

const files = import.meta.glob<string>(['../../shaders/*.wgsl', '../../shaders/lib/*.wgsl'], { query: '?raw', import: 'default', eager: true });

function bundled(path: string): string {
  const source = files[`../../shaders/${path}`];
  if (source === undefined) throw new Error(`shaders/${path} is missing from the bundle`);
  return source;
}

export function loadBrowserShaders(): ShaderSources {
  const libraries = {} as ShaderLibraries;
  for (const name of SHADER_LIBRARIES) libraries[name] = bundled(`lib/${name}.wgsl`);
  const sources = {} as ShaderSources;
  for (const name of SHADER_NAMES) sources[name] = resolveIncludes(`shaders/${name}.wgsl`, bundled(`${name}.wgsl`), libraries);
  return sources;
}
