// The WGSL op families under shaders/, one file each, and the libraries under shaders/lib/ that
// they include. The browser bundles them with Vite (browserShaders.ts), Node reads the same files
// from disk (nodeShaders.ts); both resolve the includes here.
export const SHADER_NAMES = [
  'embedding',
  'rmsnorm',
  'matmul',
  'matmulTiled',
  'matmulSubgroup',
  'matmulPacked',
  'rope',
  'attention',
  'swiglu',
  'residual',
  'logsoftmax',
  'adamw',
  'globalnorm',
  'sampling',
  'dropout',
  'policyloss',
] as const;

export type ShaderName = (typeof SHADER_NAMES)[number];

export type ShaderSources = Record<ShaderName, string>;

/** Functions shared by several op families: shaders/lib/NAME.wgsl, pulled in by `#include "NAME"`. */
export const SHADER_LIBRARIES = ['philox', 'packed16', 'matmulVec4', 'matmulStore'] as const;

export type ShaderLibraries = Record<(typeof SHADER_LIBRARIES)[number], string>;

/**
 * The shader's text with each `#include "NAME"` line replaced by that library's text. WGSL has no
 * includes of its own; an unknown name throws here rather than as a WGSL syntax error later.
 */
export function resolveIncludes(file: string, source: string, libraries: ShaderLibraries): string {
  return source.replace(/^#include "([^"]*)"$/gm, (_, name: string) => {
    if (!Object.hasOwn(libraries, name)) {
      throw new Error(`${file}: #include "${name}" names no library in shaders/lib/ (known: ${SHADER_LIBRARIES.join(', ')})`);
    }
    return libraries[name as keyof ShaderLibraries].trimEnd();
  });
}
