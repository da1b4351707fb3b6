import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SHADER_NAMES, type ShaderSources } from './shaderSources.ts';

const SHADER_DIR = fileURLToPath(new URL('../../shaders/', import.meta.url));

export function loadNodeShaders(): ShaderSources {
  const sources = {} as ShaderSources;
  for (const name of SHADER_NAMES) sources[name] = readFileSync(`${SHADER_DIR}${name}.wgsl`, 'utf8');
  return sources;
}
