// The WGSL op families under shaders/, one file each. The browser bundles them with Vite
// (browserShaders.ts), Node reads the same files from disk (nodeShaders.ts).
export const SHADER_NAMES = [
  'embedding',
  'rmsnorm',
  'matmul',
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
