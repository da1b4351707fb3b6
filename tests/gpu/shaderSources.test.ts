import { describe, expect, it } from 'vitest';
import { loadNodeShaders } from '../../src/gpu/nodeShaders.ts';
import { resolveIncludes } from '../../src/gpu/shaderSources.ts';

describe('shader includes', () => {
  it('replaces an #include line with the library, and only whole lines', () => {
    const source = 'const A: u32 = 1u;\n#include "philox"\n// #include "philox" stays a comment\nfn main() {}\n';
    expect(resolveIncludes('x.wgsl', source, { philox: 'fn philox() {}\n', packed16: '', matmulVec4: '', matmulStore: '' })).toBe('const A: u32 = 1u;\nfn philox() {}\n// #include "philox" stays a comment\nfn main() {}\n');
  });

  it('names the file and the unknown library', () => {
    expect(() => resolveIncludes('shaders/x.wgsl', '#include "nope"\n', { philox: '', packed16: '', matmulVec4: '', matmulStore: '' })).toThrow('shaders/x.wgsl: #include "nope" names no library in shaders/lib/ (known: philox, packed16, matmulVec4, matmulStore)');
  });

  it('leaves no #include in the loaded shaders; sampling and dropout get the one Philox', () => {
    const sources = loadNodeShaders();
    for (const [name, source] of Object.entries(sources)) expect(source, name).not.toMatch(/^#include/m);
    for (const name of ['sampling', 'dropout'] as const) expect(sources[name].match(/fn philox4x32_10\(/g)).toHaveLength(1);
    for (const name of ['matmulPacked', 'embedding'] as const) expect(sources[name].match(/fn unpackPair\(/g)).toHaveLength(1);
    for (const name of ['matmul', 'matmulPacked'] as const) expect(sources[name].match(/fn matmulForwardVec4\(/g)).toHaveLength(1);
  });
});
