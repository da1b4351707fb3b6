import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveIncludes, SHADER_LIBRARIES, SHADER_NAMES, type ShaderLibraries, type ShaderSources } from './shaderSources.ts';

const SHADER_DIR = fileURLToPath(new URL('../../shaders/', import.meta.url));

export function loadNodeShaders(): ShaderSources {
  const libraries = {} as ShaderLibraries;
  for (const name of SHADER_LIBRARIES) libraries[name] = readFileSync(`${SHADER_DIR}lib/${name}.wgsl`, 'utf8');
  const sources = {} as ShaderSources;
  for (const name of SHADER_NAMES) sources[name] = resolveIncludes(`shaders/${name}.wgsl`, readFileSync(`${SHADER_DIR}${name}.wgsl`, 'utf8'), libraries);
  return sources;
}
