// The GPU panel's binding cap outside the browser (no localStorage, no worker): parsed, refused
// with the way out, kept in the store.
import { describe, expect, it } from 'vitest';
import { parseBindingCap, useGpuStore } from '../../src/ui/stores/gpuStore.ts';

describe('the binding cap setting', () => {
  it('reads empty as the adapter\'s limit and MiB above 0 as a cap; anything else names the way out', () => {
    expect(parseBindingCap('')).toEqual({ mib: null });
    expect(parseBindingCap(' 128 ')).toEqual({ mib: 128 });
    expect(parseBindingCap('0.5')).toEqual({ mib: 0.5 });
    for (const bad of ['0', '-4', 'lots', '12 MiB']) {
      expect(parseBindingCap(bad)).toEqual({ problem: expect.stringContaining('give MiB above 0 (e.g. 128), or leave it empty') });
    }
  });

  it('keeps the text as typed, with the problem while it is not a size', () => {
    const store = useGpuStore.getState();
    expect(useGpuStore.getState().bindingCapText).toBe('');
    store.setBindingCapText('12x');
    expect(useGpuStore.getState()).toMatchObject({ bindingCapText: '12x', bindingCapProblem: expect.stringContaining('"12x" is not a size') });
    store.setBindingCapText('128');
    expect(useGpuStore.getState()).toMatchObject({ bindingCapText: '128', bindingCapProblem: null });
  });
});
