import { describe, expect, it } from 'vitest';
import { adapterKind, isCpuAdapter } from '../../src/gpu/adapter.ts';
import { adapterChoiceFromEnv } from '../../src/gpu/nodeDevice.ts';
import { testGpu } from '../helpers/testGpu.ts';

const info = (vendor: string, architecture: string, device: string, description: string) => ({ vendor, architecture, device, description });

describe('adapterKind', () => {
  it('knows the CPU implementations by what their adapters report', () => {
    expect(adapterKind(info('google', 'swiftshader', '', 'SwiftShader driver 5.0.0'))).toBe('swiftshader');
    expect(adapterKind(info('mesa', 'software', 'llvmpipe-llvm-15-0-6-256-bits-', 'llvmpipe: Mesa 25.0.7'))).toBe('lavapipe');
    expect(adapterKind(info('microsoft', '', '', 'Microsoft Basic Render Driver'))).toBe('warp');
    expect(adapterKind(info('nvidia', 'hopper', '', 'NVIDIA H100 80GB HBM3'))).toBe('gpu');
    expect(adapterKind(info('apple', 'metal-3', '', ''))).toBe('gpu');
    expect(isCpuAdapter({ kind: 'lavapipe' })).toBe(true);
    expect(isCpuAdapter({ kind: 'gpu' })).toBe(false);
  });

  it('names the adapter the tests run on', async () => {
    const gpu = await testGpu();
    expect(gpu.adapter.kind).toBe(adapterKind(gpu.device.adapterInfo));
    const asked = adapterChoiceFromEnv(process.env);
    if (asked !== 'auto') expect(gpu.adapter.kind).toBe(asked);
  });
});

describe('adapterChoiceFromEnv', () => {
  it('reads LAB_ADAPTER, auto when unset, and refuses anything else by name', () => {
    expect(adapterChoiceFromEnv({})).toBe('auto');
    expect(adapterChoiceFromEnv({ LAB_ADAPTER: '' })).toBe('auto');
    expect(adapterChoiceFromEnv({ LAB_ADAPTER: 'lavapipe' })).toBe('lavapipe');
    expect(() => adapterChoiceFromEnv({ LAB_ADAPTER: 'cuda' })).toThrow('LAB_ADAPTER is "cuda": set it to one of auto, swiftshader, lavapipe, gpu');
  });
});
