import { SHADER_NAMES, type ShaderSources } from './shaderSources.ts';

const files = import.meta.glob<string>('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true });

export function loadBrowserShaders(): ShaderSources {
  const sources = {} as ShaderSources;
  for (const name of SHADER_NAMES) {
    const source = files[`../../shaders/${name}.wgsl`];
    if (source === undefined) throw new Error(`shaders/${name}.wgsl is missing from the bundle`);
    sources[name] = source;
  }
  return sources;
}
