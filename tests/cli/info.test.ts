import { describe, expect, it } from 'vitest';
import { lab } from './lab.ts';

describe('lab info', () => {
  it('prints the adapter as JSON', () => {
    const result = lab(['info']);
    expect(result.status, result.stderr).toBe(0);
    const info = JSON.parse(result.stdout) as { vendor: string; features: string[]; limits: Record<string, number> };
    expect(info.vendor).not.toBe('');
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(info.features)).toBe(true);
  });

  it('reports the binding limit LAB_MAX_BINDING_MIB lowers it to, and refuses a value that is not a size', () => {
    const adapter = JSON.parse(lab(['info']).stdout) as { limits: Record<string, number> };
    // Half the adapter's own limit, whatever it is (SwiftShader 1 GiB, lavapipe and many GPUs 128 MiB).
    const halfMib = adapter.limits.maxStorageBufferBindingSize! / 2 ** 21;
    const lowered = lab(['info'], { ...process.env, LAB_MAX_BINDING_MIB: String(halfMib) });
    expect(lowered.status, lowered.stderr).toBe(0);
    const info = JSON.parse(lowered.stdout) as { limits: Record<string, number> };
    expect(info.limits.maxStorageBufferBindingSize).toBe(halfMib * 2 ** 20);
    expect(info.limits.maxBufferSize).toBe(adapter.limits.maxBufferSize);
    // A cap above the adapter's own changes nothing.
    const above = JSON.parse(lab(['info'], { ...process.env, LAB_MAX_BINDING_MIB: '1000000' }).stdout) as { limits: Record<string, number> };
    expect(above.limits.maxStorageBufferBindingSize).toBe(adapter.limits.maxStorageBufferBindingSize);
    const bad = lab(['info'], { ...process.env, LAB_MAX_BINDING_MIB: 'lots' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('LAB_MAX_BINDING_MIB is "lots": set it to a number of MiB above 0 (e.g. 128), or unset it');
  });

  it('opens the adapter LAB_ADAPTER names, says which, and lists the others found', () => {
    const inUse = JSON.parse(lab(['info']).stdout) as { kind: string; others_found: Array<{ kind: string; description: string }> };
    const present = [inUse.kind, ...inUse.others_found.map((o) => o.kind)];
    expect(new Set(present).size).toBe(present.length);
    for (const kind of present) {
      const result = lab(['info'], { ...process.env, LAB_ADAPTER: kind });
      expect(result.status, result.stderr).toBe(0);
      const info = JSON.parse(result.stdout) as { kind: string; description: string; others_found: Array<{ kind: string }> };
      expect(info.kind).toBe(kind);
      expect(info.description).toMatch(kind === 'lavapipe' ? /llvmpipe/ : kind === 'swiftshader' ? /SwiftShader/ : /./);
      expect(info.others_found.map((o) => o.kind).sort()).toEqual(present.filter((k) => k !== kind).sort());
    }
  });

  it('refuses an adapter choice it does not know, naming the choices', () => {
    const result = lab(['info'], { ...process.env, LAB_ADAPTER: 'voodoo' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('LAB_ADAPTER is "voodoo": set it to one of auto, swiftshader, lavapipe, gpu');
  });

  it('with no adapter exits non-zero with the install hint', () => {
    // A Vulkan driver list naming nothing leaves Dawn without an adapter, and the lab must not
    // override a list the user set.
    const result = lab(['info'], { ...process.env, LAB_ADAPTER: 'auto', VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('No WebGPU adapter was found');
    expect(result.stderr).toContain('mesa-vulkan-drivers');
    expect(result.stderr).toContain('apt-get install -y chromium libvulkan1');
    // No JavaScript stack trace (the Vulkan loader's own warnings name .cpp files).
    expect(result.stderr).not.toMatch(/\n\s+at .*\.(ts|js|mjs):\d+/);
  });

  it('rejects an unknown command and unknown options with a usage message', () => {
    expect(lab(['frobnicate']).status).toBe(2);
    const bad = lab(['info', '--nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--nope');
  });
});
